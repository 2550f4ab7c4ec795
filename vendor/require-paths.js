/* nnrnn_edu book: RequireJS configuration, loaded before require.js (a global `require` object is
 * RequireJS's configuration). The ipywidgets embed manager (embed-amd.js) takes the folder of its
 * AMD module "@jupyter-widgets/html-manager/dist/libembed-amd" as the place of its Font Awesome font
 * files; without a path for it RequireJS puts that module beside the page, where no fonts are. Here
 * it is mapped to the manager's folder next to this file (_static/thirdparty/html-manager-<version>).
 * Written by hand for this book (vendor/require-paths.js; `make vendor` publishes it). */
(function () {
  var here = document.currentScript.src.replace(/[?#].*$/, '').replace(/[^\/]*$/, '');
  window.require = {paths: {'@jupyter-widgets/html-manager/dist': here + '@HTML_MANAGER_DIR@'}};
})();

"""The built HTML book, as a reader sees it: every page of book/_toc.yml in headless Chromium.

Per page: every image loaded (naturalWidth > 0), no empty output area, every widget output has
its default figure as an ordinary image next to it (the book has no kernel: sliders move but do
not recompute) -- except tqdm progress bars of training cells, which need no figure --, every
widget view has its model in the saved widget state and renders from it, no error output, every
relative link answers 200 (and its #fragment exists), and each chapter has an "Open in Colab" link
to its .ipynb built from ``repository.url``. Full-page screenshots go to build/browser/book-*.png.

Self-contained: the page runs with the network blocked (offline.offline_context: every request
off the book server's origin aborted and recorded, the proxy a closed local port) and no request
may leave the origin; its MathJax, require.js and widget manager are the book's own copies
(_static/thirdparty, `make vendor`); every formula is typeset by it (offline.math_problems: an
mjx-container in every span.math/div.math, no raw \\( \\[ $$ left in the text, no MathJax error).
"""

from __future__ import annotations

import html.parser
import pathlib
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from offline import math_facts, math_problems, offline_context

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "jupyter_book_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
CHAPTERS = [c["file"] for c in TOC.get("chapters", [])]
PAGES = [TOC["root"], *CHAPTERS]
SPHINX = CONFIG["sphinx"]["config"]
# the book's own copies (jupyter_book_config.yml; `make vendor`), as paths under _static/
MATHJAX_JS = SPHINX["mathjax_path"]
WIDGET_JS = list(SPHINX["nb_ipywidgets_js"])
MATHJAX_VERSION = MATHJAX_JS.split("/")[1].rsplit("-", 1)[1]  # thirdparty/mathjax-3.2.2/...
BUILTIN_WIDGET_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}


def colab_link(stem: str) -> str:
    """https://colab.research.google.com/github/<owner>/<repo>/blob/<branch>/<path_to_book>/<stem>.ipynb"""
    repo = CONFIG["repository"]
    owner_repo = urllib.parse.urlparse(repo["url"]).path.strip("/")
    colab = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    return f"{colab}/github/{owner_repo}/blob/{repo['branch']}/{repo['path_to_book']}/{stem}.ipynb"


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


_fetched: dict[str, tuple[int, set[str]]] = {}


def fetch(url: str) -> tuple[int, set[str]]:
    """HTTP status of a local URL and, for HTML, the ids in it (cached over the session)."""
    if url not in _fetched:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, b"", ""
        ids: set[str] = set()
        if "html" in ctype:
            p = _Ids()
            p.feed(body.decode("utf-8", "replace"))
            ids = p.ids
        _fetched[url] = (status, ids)
    return _fetched[url]


PAGE_FACTS = """() => {
  const images = Array.from(document.images).map(i => ({
    src: i.getAttribute('src'), url: i.currentSrc || i.src,
    loaded: i.complete && i.naturalWidth > 0, figure: !!i.closest('.cell_output')}));
  const cells = Array.from(document.querySelectorAll('div.cell'));
  // the widget state saved at execution: an online reader's browser renders widget views from it
  const stateEl = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  const state = stateEl ? (JSON.parse(stateEl.textContent).state || {}) : {};
  const modelOf = view => { try { return JSON.parse(view.textContent).model_id; } catch (e) { return null; } };
  // a tqdm progress bar: an HBox holding a FloatProgress/IntProgress (training cells show these)
  const isProgressBar = id => !!state[id] && state[id].model_name === 'HBoxModel' &&
      (state[id].state.children || []).some(c => /Progress/.test((state[String(c).replace('IPY_MODEL_', '')] || {}).model_name || ''));
  const outputs = Array.from(document.querySelectorAll('.cell_output')).map(o => {
    const cell = o.closest('div.cell');
    const next = cells[cells.indexOf(cell) + 1];
    const loadedImg = el => !!el && Array.from(el.querySelectorAll('.cell_output img'))
                                     .some(i => i.complete && i.naturalWidth > 0);
    const views = Array.from(o.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
    const models = views.map(modelOf);
    const widget = models.some(id => !isProgressBar(id));
    const progressOnly = views.length > 0 && !widget;
    const unsaved = models.filter(id => !state[id]);
    const rendered = o.querySelector('img, svg, table, pre, .output, .jupyter-widgets, iframe');
    const text = o.innerText.trim();
    return {code: cell ? (cell.querySelector('.cell_input') || cell).innerText.trim().slice(0, 120) : '',
            widget, unsaved, empty: !widget && !progressOnly && !rendered && !text,
            imageNextToWidget: loadedImg(cell) || loadedImg(next)};
  });
  const errors = [];
  for (const el of document.querySelectorAll('.output.traceback, .output.error, [class*="traceback"]'))
    errors.push('traceback output: ' + el.innerText.slice(0, 300));
  for (const el of document.querySelectorAll('.output.stderr, .output_stderr, .stderr'))
    if (/Error|Traceback/.test(el.innerText)) errors.push('stderr with Error: ' + el.innerText.slice(0, 300));
  if (/Traceback \\(most recent call last\\)/.test(document.body.innerText))
    errors.push('"Traceback (most recent call last)" in the page text');
  const refs = [];
  for (const el of document.querySelectorAll('a[href], link[href]')) refs.push(el.getAttribute('href'));
  for (const el of document.querySelectorAll('img[src], script[src]')) refs.push(el.getAttribute('src'));
  const colab = Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(a => a.href);
  // scripts: the book's vendored ones (path under _static/, query dropped), and any other origin's
  const scripts = Array.from(document.scripts).map(s => s.getAttribute('src')).filter(Boolean);
  const vendored = scripts.map(s => (s.match(/_static[/](thirdparty[/][^?#]*)/) || [])[1]).filter(Boolean);
  // widget modules named in the saved state: the embed manager bundles base/controls/output only,
  // any other module it would fetch from a CDN
  const modules = [...new Set(Object.values(state).flatMap(m => [m.model_module, (m.state || {})._view_module])
                                                  .filter(Boolean))];
  return {images, outputs, errors, refs, colab, vendored, modules, hasState: !!stateEl};
}"""

# Every saved widget view rendered by the embed manager: a div.widget-subarea with content just
# before its view script (html-manager's renderView). Returns the views not (yet) rendered.
UNRENDERED_VIEWS = """() => Array.from(document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')).filter(v => {
  const sub = v.previousElementSibling;
  return !(sub && sub.classList.contains('widget-subarea') && sub.querySelector('.jupyter-widgets, .lm-Widget'));
}).map(v => v.textContent.trim().slice(0, 80))"""


def is_relative(ref: str) -> bool:
    parsed = urllib.parse.urlparse(ref)
    return bool(ref) and not parsed.scheme and not ref.startswith("//")


@pytest.mark.parametrize("stem", PAGES)
def test_book_page(stem, browser, book_server, artifacts):
    context, guard = offline_context(browser, book_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    bad_local, page_errors, unrendered = [], [], []
    page.on("response", lambda resp: resp.status >= 400 and bad_local.append(f"{resp.status} {resp.url}"))
    page.on("requestfailed", lambda req: guard.allowed(req.url) and bad_local.append(f"failed {req.url}"))
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    url = urllib.parse.urljoin(book_server, f"{stem}.html")
    try:
        resp = page.goto(url, wait_until="load")
        assert resp is not None and resp.status == 200, f"{url}: {resp and resp.status}"
        page.wait_for_load_state("networkidle")
        facts = page.evaluate(PAGE_FACTS)
        if facts["hasState"]:
            try:
                page.wait_for_function(f"({UNRENDERED_VIEWS})().length === 0", timeout=20000)
            except Exception:  # playwright's TimeoutError: reported below with the views
                pass
            unrendered = page.evaluate(UNRENDERED_VIEWS)
        page.wait_for_load_state("networkidle")
        math = math_facts(page)  # after the widgets: their outputs are checked too
        page.screenshot(path=str(artifacts / f"book-{stem}.png"), full_page=True)
    finally:
        context.close()
    (artifacts / f"book-{stem}.log").write_text(
        "requests that left the book's origin (blocked):\n" + "\n".join(guard.left)
        + f"\n\nMathJax: {math['status']}, version {math['version']}, {math['formulas']} formulas, "
        f"{math['containers']} mjx-container\n\npage errors:\n" + "\n".join(page_errors) + "\n")

    problems = []
    # 0. self-contained: nothing requested from another origin; formulas typeset by the book's MathJax;
    #    only the book's vendored scripts; widget views rendered by the book's widget manager
    problems += [f"request left the book's origin (blocked): {u}" for u in guard.left]
    problems += math_problems(math, expected_version=MATHJAX_VERSION)
    if math["formulas"] and MATHJAX_JS not in facts["vendored"]:
        problems.append(f"formulas but no {MATHJAX_JS} script")
    if facts["hasState"] and not all(js in facts["vendored"] for js in WIDGET_JS):
        problems.append(f"saved widget state but not the book's widget scripts {WIDGET_JS}: {facts['vendored']}")
    if extra := sorted(set(facts["vendored"]) - {MATHJAX_JS, *WIDGET_JS}):
        problems.append(f"unexpected vendored scripts in the page (a book/_static folder adds every .js of "
                        f"html_static_path to every page): {extra[:5]}")
    if foreign := sorted(set(facts["modules"]) - BUILTIN_WIDGET_MODULES):
        problems.append(f"widget modules the embed manager does not bundle (it would fetch them from a CDN): {foreign}")
    problems += [f"widget view not rendered from the saved state: {v}" for v in unrendered]
    # 1. images: every local image loaded; chapters show figures
    for img in facts["images"]:
        if is_relative(img["src"] or "") and not img["loaded"]:
            problems.append(f"image not loaded: {img['src']}")
    figures = [i for i in facts["images"] if i["figure"]]
    if stem in CHAPTERS and not figures:
        problems.append("a chapter page without any figure image")
    # 2. outputs: none empty; a widget has its default figure as an image next to it
    for out in facts["outputs"]:
        if out["empty"]:
            problems.append(f"empty output area after cell: {out['code']!r}")
        if out["unsaved"]:
            problems.append(f"widget view without saved widget state (renders nowhere): {out['code']!r}")
        if out["widget"] and not out["imageNextToWidget"]:
            problems.append(f"widget output without a static figure next to it: {out['code']!r}")
    # 3. no error output
    problems += facts["errors"]
    problems += [f"local request: {b}" for b in bad_local]
    # 4. relative links answer 200, and their #fragments exist
    for ref in sorted(set(r for r in facts["refs"] if is_relative(r))):
        target = urllib.parse.urljoin(url, ref)
        base, _, frag = target.partition("#")
        status, ids = fetch(base)
        if status != 200:
            problems.append(f"link {ref!r} -> {status}")
        elif frag and ids and urllib.parse.unquote(frag) not in ids:
            problems.append(f"link {ref!r}: no #{frag} in {base}")
    # 5. chapters: an "Open in Colab" link to the chapter's .ipynb, built from repository.url
    if stem in CHAPTERS:
        expected = colab_link(stem)
        if expected not in facts["colab"]:
            problems.append(f"no Open-in-Colab link {expected}; found {facts['colab']}")
        if not (ROOT / CONFIG["repository"]["path_to_book"] / f"{stem}.ipynb").exists():
            problems.append(f"the Colab link's {stem}.ipynb is not in the repository")
    assert not problems, f"{stem}.html:\n  " + "\n  ".join(problems)


def _exercise_ids(stem: str) -> list[str]:
    """The exercise ids a chapter checks, in order (from its MyST source)."""
    import re

    text = (ROOT / "book" / f"{stem}.md").read_text()
    return list(dict.fromkeys(re.findall(r'exercises\.check\("([^"]+)", answer\)', text)))


def test_exercise_solutions_are_folded_and_open_on_click(browser, book_server, artifacts):
    """Chapter 1's solutions are folded (myst-nb's hide-cell) and one opens on click, showing its code and
    the checker's verdict (the solution ran when the book was built)."""
    stem = next(s for s in CHAPTERS if s.startswith("01_"))
    ids = _exercise_ids(stem)
    assert len(ids) >= 2
    context, guard = offline_context(browser, book_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(urllib.parse.urljoin(book_server, f"{stem}.html"), wait_until="load")
        folds = page.locator("details", has=page.locator("summary", has_text="Show the solution"))
        assert folds.count() == len(ids)
        first = folds.first
        code, output = first.locator(".cell_input"), first.locator(".cell_output")
        assert first.get_attribute("open") is None and not code.is_visible()  # folded: the answer is not shown
        first.locator("summary").click()
        code.wait_for(state="visible", timeout=5000)
        assert first.get_attribute("open") is not None
        assert f'exercises.check("{ids[0]}"' in code.inner_text()
        assert "Right." in output.inner_text()
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"book-{stem}-solution-open.png"))
    finally:
        context.close()
    assert not guard.left

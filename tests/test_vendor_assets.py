"""The book's vendored browser assets (vendor/fetch_assets.py, `make vendor`) and the book's
configuration agree: Sphinx publishes the folder the script fills, and mathjax_path and myst-nb's
nb_ipywidgets_js name files that the pinned packages provide. No network: the tarballs are only
opened when `make vendor` has already fetched them."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import tarfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPHINX = yaml.safe_load((ROOT / "jupyter_book_config.yml").read_text())["sphinx"]["config"]


def _load_fetch_assets():
    spec = importlib.util.spec_from_file_location("fetch_assets", ROOT / "vendor" / "fetch_assets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


fa = _load_fetch_assets()


def _published_file(path: str) -> tuple[dict, str]:
    """The pin a path under _static/ (thirdparty/<pkg>-<version>/<file>) comes from, and the file."""
    for pin in fa.PINS:
        prefix = fa.published_dir(pin) + "/"
        if path.startswith(prefix):
            return pin, path[len(prefix):]
    raise AssertionError(f"{path} is under no pinned package's folder {[fa.published_dir(p) for p in fa.PINS]}")


def _copied(pin: dict, rel: str) -> bool:
    """Whether the pin's copy list puts a file at rel (below its published folder)."""
    for c in pin["copy"]:
        dest = c[len(pin["strip"]):] if c.startswith(pin["strip"]) else c
        if fa._matches(rel, dest):
            return True
    return False


def test_sphinx_publishes_the_vendor_folder():
    static = [(ROOT / "book" / p).resolve() for p in SPHINX["html_static_path"]]
    assert (ROOT / "build" / "vendor" / "static").resolve() in static


def test_config_points_at_pinned_files():
    js = [SPHINX["mathjax_path"], *SPHINX["nb_ipywidgets_js"]]
    assert not [p for p in js if "://" in p or p.startswith("//")], "a CDN URL in the book's configuration"
    used = set()
    for path in js:
        if path.startswith(f"{fa.PUBLISHED}/") and path.split("/", 1)[1] in fa.OWN_FILES:
            continue  # the book's own (vendor/require-paths.js)
        pin, rel = _published_file(path)
        assert _copied(pin, rel), f"{path}: {rel} is not in {pin['name']}'s copy list {pin['copy']}"
        used.add(pin["name"])
    assert used == {p["name"] for p in fa.PINS}, "a pinned package the book does not load"


def test_own_files_exist():
    for name, src in fa.OWN_FILES.items():
        assert src.is_file(), src
    paths = SPHINX["nb_ipywidgets_js"]
    # the RequireJS configuration must come before require.js
    assert list(paths).index(f"{fa.PUBLISHED}/require-paths.js") < next(
        i for i, p in enumerate(paths) if p.endswith("/require.js"))


def test_pins_are_exact():
    for pin in fa.PINS:
        assert re.fullmatch(r"\d+\.\d+\.\d+", pin["version"]), pin
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pin["integrity"]), pin
        assert pin["licenses"] or pin.get("license_from_python_dist") or pin["name"] == "requirejs", pin


def test_widget_manager_matches_the_kernel_ipywidgets():
    """html-manager 1.0.x renders the state of ipywidgets 8 (widget protocol 2); 1.0.15 is 8.1.9's."""
    import ipywidgets

    pin = next(p for p in fa.PINS if p["name"] == "@jupyter-widgets/html-manager")
    assert pin["version"].startswith("1.0.") and ipywidgets.__version__.startswith("8."), \
        (pin["version"], ipywidgets.__version__)


def test_fetched_tarballs_hold_the_pinned_files():
    cache = ROOT / "build" / "vendor" / "npm"
    tarballs = [(pin, cache / fa.tarball_name(pin)) for pin in fa.PINS]
    if not all(t.exists() for _, t in tarballs):
        pytest.skip("`make vendor` has not fetched the tarballs (build/vendor/npm)")
    for pin, tgz in tarballs:
        assert fa.integrity_of(tgz) == pin["integrity"], tgz
        with tarfile.open(tgz) as tar:
            names = set(tar.getnames())
        for c in pin["copy"] + pin["licenses"]:
            assert any(fa._matches(n, f"package/{c}") for n in names), (tgz.name, c)
    manifest = ROOT / "build" / "vendor" / "static" / "thirdparty" / "manifest.json"
    if manifest.exists():
        got = {m["name"]: m["version"] for m in json.loads(manifest.read_text())}
        assert got == {p["name"]: p["version"] for p in fa.PINS}, "build/vendor is stale: run `make vendor`"

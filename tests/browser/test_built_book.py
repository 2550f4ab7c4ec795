"""The built HTML book, as a reader sees it: every page of book/_toc.yml in headless Chromium.

Per page: every image loaded (naturalWidth > 0), no empty output area, every widget output has
its default figure as an ordinary image next to it (the book has no kernel, and offline the
widget JavaScript from the CDN does not load either) -- except tqdm progress bars of training
cells, which need no figure --, every widget view has its model in the saved widget state (so an
online reader's browser can render it), no error output, every relative link
answers 200 (and its #fragment exists), and each chapter has an "Open in Colab" link to its
.ipynb built from ``repository.url``. Full-page screenshots go to build/browser/book-*.png.

Requests that leave 127.0.0.1 (CDN scripts: require.js, the widget manager, MathJax) are
blocked, so the test runs offline and shows what an offline reader gets.
"""

from __future__ import annotations

import html.parser
import pathlib
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "jupyter_book_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
CHAPTERS = [c["file"] for c in TOC.get("chapters", [])]
PAGES = [TOC["root"], *CHAPTERS]


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
  return {images, outputs, errors, refs, colab};
}"""


def is_relative(ref: str) -> bool:
    parsed = urllib.parse.urlparse(ref)
    return bool(ref) and not parsed.scheme and not ref.startswith("//")


@pytest.mark.parametrize("stem", PAGES)
def test_book_page(stem, browser, book_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked, bad_local, page_errors = [], [], []

    def route(r):
        if urllib.parse.urlparse(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda resp: resp.status >= 400 and bad_local.append(f"{resp.status} {resp.url}"))
    page.on("requestfailed", lambda req: "127.0.0.1" in req.url and bad_local.append(f"failed {req.url}"))
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    url = urllib.parse.urljoin(book_server, f"{stem}.html")
    try:
        resp = page.goto(url, wait_until="load")
        assert resp is not None and resp.status == 200, f"{url}: {resp and resp.status}"
        page.wait_for_load_state("networkidle")
        facts = page.evaluate(PAGE_FACTS)
        page.screenshot(path=str(artifacts / f"book-{stem}.png"), full_page=True)
    finally:
        page.close()
    (artifacts / f"book-{stem}.log").write_text(
        "blocked (left 127.0.0.1):\n" + "\n".join(sorted(set(blocked)))
        + "\n\npage errors:\n" + "\n".join(page_errors) + "\n")

    problems = []
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

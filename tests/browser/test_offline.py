"""The self-containedness checks of test_built_book.py (offline.py) fail where they should:
on the real chapter page with its MathJax script blocked, on a page of raw TeX without MathJax,
and when a page requests another origin. The logic without a browser is tested here too."""

from __future__ import annotations

import urllib.parse

import pytest
from offline import OriginGuard, math_facts, math_problems, offline_context, origin

browser_test = pytest.mark.browser

UNTYPESET = r"""<!doctype html><html><head><title>raw TeX</title>
<script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script></head><body>
<p>Inline <span class="math notranslate nohighlight">\(J(k) = 1/(k+1)\)</span> and</p>
<div class="math notranslate nohighlight">\[ J_{tot} = \sum_k J(k) \]</div>
<p>a paragraph with $$x^2$$ left as typed, and <code>\(in code: not math\)</code>.</p>
</body></html>"""


def _facts(**kw) -> dict:
    facts = {"status": "ready", "version": "3.2.2", "formulas": 0, "containers": 0, "untypeset": [],
             "raw": [], "errors": [], "fontErrors": []}
    facts.update(kw)
    return facts


def test_math_problems_logic():
    assert math_problems(_facts()) == []  # no math at all: nothing to typeset
    assert math_problems(_facts(status="MathJax not loaded")) == []  # a page without math needs no MathJax
    assert math_problems(_facts(formulas=3, containers=3), expected_version="3.2.2") == []
    untypeset = math_problems(_facts(status="MathJax not loaded", version=None, formulas=2,
                                     untypeset=[r"\(x\)", r"\[y\]"]))
    assert any("not loaded" in p for p in untypeset)
    assert any("no MathJax output" in p for p in untypeset)
    assert any("2 of 2 formulas not typeset" in p for p in untypeset)
    raw = math_problems(_facts(raw=[{"text": "a $$x$$ b", "visible": True}]))
    assert any("raw TeX in the visible text" in p for p in raw)
    assert math_problems(_facts(formulas=1, containers=1, errors=["Undefined control sequence \\foo"]))
    assert math_problems(_facts(formulas=1, containers=1, fontErrors=["MJXTEX"]))
    assert math_problems(_facts(formulas=1, containers=1, version="3.2.1"), expected_version="3.2.2")


def test_origin_guard_logic():
    guard = OriginGuard("http://127.0.0.1:8123/")
    assert guard.allowed("http://127.0.0.1:8123/_static/thirdparty/mathjax-3.2.2/tex-mml-chtml.js?v=1")
    assert guard.allowed("ws://127.0.0.1:8123/socket")
    assert guard.allowed("data:font/woff2;base64,AAAA") and guard.allowed("blob:http://127.0.0.1:8123/x")
    for foreign in ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", "http://127.0.0.1:8124/",
                    "https://127.0.0.1:8123/", "http://localhost:8123/", "wss://example.org/"):
        assert not guard.allowed(foreign), foreign
    assert origin("https://example.org/a") == ("https", "example.org", 443)


@browser_test
def test_checker_fails_when_mathjax_is_blocked(browser, book_server):
    """The real chapter 1 page with the book's own MathJax script aborted: formulas stay raw TeX."""
    context, guard = offline_context(browser, book_server)
    blocked = []

    def block_mathjax(route):
        blocked.append(route.request.url)
        route.abort("blockedbyclient")

    context.route("**/tex-mml-chtml.js*", block_mathjax)  # registered last, so it is asked first
    page = context.new_page()
    try:
        page.goto(urllib.parse.urljoin(book_server, "01_fisher_memory.html"), wait_until="load")
        problems = math_problems(math_facts(page, timeout_ms=3000), expected_version="3.2.2")
    finally:
        context.close()
    assert blocked, "the page did not request the book's MathJax"
    assert guard.left == []
    assert any("MathJax not loaded" in p for p in problems), problems
    assert any("formulas not typeset" in p for p in problems), problems
    assert any("raw TeX in the visible text" in p and "\\(" in p for p in problems), problems


@browser_test
def test_checker_fails_on_raw_tex_page(browser, book_server):
    """A small page of Sphinx-style formulas with no MathJax at all."""
    context, guard = offline_context(browser, book_server)
    page = context.new_page()
    try:
        page.set_content(UNTYPESET)
        facts = math_facts(page, timeout_ms=1000)
    finally:
        context.close()
    problems = math_problems(facts)
    assert facts["formulas"] == 2 and facts["containers"] == 0
    assert any("2 of 2 formulas not typeset" in p for p in problems), problems
    raw = [p for p in problems if p.startswith("raw TeX")]
    assert len(raw) == 3, problems  # \( ... \), \[ ... \] and $$ ... $$; not the <code>
    assert not any("in code" in p for p in problems), problems


@browser_test
def test_guard_blocks_and_records_other_origins(browser, book_server):
    """A page that asks for a CDN script, an image and a fetch elsewhere gets none of them; all recorded."""
    context, guard = offline_context(browser, book_server)
    page = context.new_page()
    cdn = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
    try:
        page.goto(urllib.parse.urljoin(book_server, "intro.html"), wait_until="load")
        result = page.evaluate("""async (cdn) => {
          const script = await new Promise(r => { const s = document.createElement('script');
            s.src = cdn; s.onload = () => r('loaded'); s.onerror = () => r('error'); document.head.appendChild(s); });
          const img = await new Promise(r => { const i = new Image();
            i.onload = () => r('loaded'); i.onerror = () => r('error'); i.src = 'http://example.org/x.png'; });
          const fetched = await fetch('https://pypi.org/simple/').then(() => 'fetched', () => 'error');
          const local = await fetch('intro.html').then(r => r.status, () => 'error');
          return {script, img, fetched, local};
        }""", cdn)
    finally:
        context.close()
    assert result == {"script": "error", "img": "error", "fetched": "error", "local": 200}, result
    assert guard.left == [cdn, "http://example.org/x.png", "https://pypi.org/simple/"], guard.left

"""Checks that a page of the built book is self-contained: its formulas typeset by the book's own
MathJax, and no request leaving the book's origin. Used by test_built_book.py; test_offline.py
shows that the checks fail where they should.

How the network is blocked (``offline_context``), two layers:

1. every request of the browser context goes through a Playwright route: a request whose origin
   (scheme, host, port) is not the book server's is aborted and recorded (``OriginGuard.left``);
   WebSockets are routed the same way;
2. the context's proxy is a closed port on 127.0.0.1 (only 127.0.0.1 and localhost bypass it), so
   whatever the route might not see (a service worker's fetch, a browser-initiated prefetch) cannot
   reach another host either.

The tests assert that ``OriginGuard.left`` is empty.
"""

from __future__ import annotations

import socket
import urllib.parse

# Schemes that never touch the network.
LOCAL_SCHEMES = {"data", "blob", "about", "javascript", "chrome-extension"}

# The text of a page that MathJax would typeset: not in these elements (MathJax's skipHtmlTags, and
# its own output), visible or hidden (a collapsed admonition's formulas are read when it opens).
MATH_FACTS = r"""async (timeoutMs) => {
  const MJ = window.MathJax;
  let status;
  if (!MJ || !MJ.startup || !MJ.startup.promise) {
    status = 'MathJax not loaded (window.MathJax has no startup)';
  } else {
    const timer = new Promise(r => setTimeout(() => r('MathJax did not finish within ' + timeoutMs + ' ms'), timeoutMs));
    status = await Promise.race([MJ.startup.promise.then(() => 'ready', e => 'MathJax failed: ' + e), timer]);
  }
  const formulas = Array.from(document.querySelectorAll('span.math, div.math'));
  const untypeset = formulas.filter(el => !el.querySelector('mjx-container'))
                            .map(el => el.textContent.trim().slice(0, 80));
  const SKIP = 'script, noscript, style, textarea, pre, code, annotation, annotation-xml, mjx-container, svg';
  const RAW = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{/;
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(SKIP)) continue;
    const m = RAW.exec(n.textContent);
    if (!m) continue;
    const t = n.textContent;
    raw.push({text: t.slice(Math.max(0, m.index - 40), m.index + 60).replace(/\s+/g, ' '),
              visible: el.checkVisibility ? el.checkVisibility() : !!el.getClientRects().length});
  }
  const errors = Array.from(document.querySelectorAll('mjx-merror'))
                      .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 80));
  const fontErrors = Array.from(document.fonts || []).filter(f => /^MJX/.test(f.family) && f.status === 'error')
                          .map(f => f.family);
  return {status, version: MJ && MJ.version || null, formulas: formulas.length,
          containers: document.querySelectorAll('mjx-container').length, untypeset, raw, errors, fontErrors};
}"""


def math_facts(page, timeout_ms: int = 20000) -> dict:
    """What MATH_FACTS finds on the page, after MathJax's first typesetting (or timeout_ms)."""
    return page.evaluate(MATH_FACTS, timeout_ms)


def math_problems(facts: dict, expected_version: str | None = None) -> list[str]:
    """Why the page's formulas are not all typeset (empty: they are, or the page has none).

    A page "has math" when it has Sphinx formulas (span.math / div.math) or raw TeX delimiters
    (\\( \\) \\[ \\] $$ \\begin{) in its text outside code; then MathJax must have loaded and
    finished, every formula must hold an mjx-container, no raw delimiter may be left, and no
    formula may be a MathJax error (mjx-merror) or use a MathJax font that failed to load.
    """
    problems = []
    has_math = facts["formulas"] > 0 or bool(facts["raw"])
    if has_math and facts["status"] != "ready":
        problems.append(f"{facts['formulas']} formulas but {facts['status']}")
    if has_math and facts["containers"] == 0:
        problems.append("no MathJax output (mjx-container) on a page with math")
    if facts["untypeset"]:
        shown = "; ".join(repr(t) for t in facts["untypeset"][:5])
        problems.append(f"{len(facts['untypeset'])} of {facts['formulas']} formulas not typeset, e.g. {shown}")
    for r in facts["raw"][:10]:
        problems.append(f"raw TeX in the {'visible' if r['visible'] else 'hidden'} text: {r['text']!r}")
    if len(facts["raw"]) > 10:
        problems.append(f"... and {len(facts['raw']) - 10} more text nodes with raw TeX")
    problems += [f"MathJax error: {e}" for e in facts["errors"]]
    problems += [f"MathJax font failed to load: {f}" for f in facts["fontErrors"]]
    if has_math and expected_version and facts["status"] == "ready" and facts["version"] != expected_version:
        problems.append(f"MathJax {facts['version']} ran, not the book's {expected_version}")
    return problems


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of a network URL; None for a URL that needs no network (data:, blob:...)."""
    p = urllib.parse.urlsplit(url)
    if p.scheme in LOCAL_SCHEMES:
        return None
    port = p.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(p.scheme)
    return (p.scheme.replace("ws", "http", 1) if p.scheme.startswith("ws") else p.scheme, p.hostname or "", port)


class OriginGuard:
    """Routes every request of a browser context: same origin as ``base_url`` goes on, anything
    else is aborted and recorded in ``left`` (in order, duplicates kept once)."""

    def __init__(self, base_url: str):
        self.origin = origin(base_url)
        self.left: list[str] = []

    def allowed(self, url: str) -> bool:
        o = origin(url)
        return o is None or o == self.origin

    def _record(self, url: str) -> None:
        if url not in self.left:
            self.left.append(url)

    def _route(self, route) -> None:
        if self.allowed(route.request.url):
            route.continue_()
        else:
            self._record(route.request.url)
            route.abort("blockedbyclient")

    def _route_ws(self, ws) -> None:
        if self.allowed(ws.url):
            ws.connect_to_server()
        else:
            self._record(ws.url)
            ws.close()

    def install(self, context) -> "OriginGuard":
        context.route("**/*", self._route)
        context.route_web_socket("**/*", self._route_ws)
        # a request the route did not see (e.g. from a service worker) is still recorded
        context.on("request", lambda req: None if self.allowed(req.url) else self._record(req.url))
        return self


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released: connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def offline_context(browser, base_url: str, **kwargs):
    """A new browser context that cannot reach anything but ``base_url``'s origin, and its guard."""
    context = browser.new_context(
        proxy={"server": f"http://127.0.0.1:{closed_port()}", "bypass": "127.0.0.1,localhost"}, **kwargs)
    return context, OriginGuard(base_url).install(context)

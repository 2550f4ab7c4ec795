"""Chapters in a real JupyterLab, driven by headless Chromium: run all cells, move an explorer
slider with the keyboard, and check that the explorer's figure was redrawn and no cell failed; the
exercises' solution cells open folded (input collapsed) and ran.

The chapters' paired ``.ipynb`` are opened (copies in a temporary root, autosave off). Why the
``.ipynb`` and not the ``.md``: it opens as a notebook in any JupyterLab without jupytext's
default-viewer setting, it is exactly the file Colab opens, and tests/test_project.py checks that
it has the same cells as the ``.md``. Kernels run in quick mode (NNRNN_EDU_QUICK=1).
"""

from __future__ import annotations

import base64
import hashlib
import pathlib
import re
import time

import pytest

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[2]

# chapter, slider label, keys to press, expected readout afterwards (None: just "different")
CASES = [
    ("01_fisher_memory", "alpha", ["ArrowRight"] * 10, "1.60"),
    ("02_decoding", "noise σ", ["ArrowRight"] * 10, "0.20"),
]

JS_NOTEBOOK = """(name) => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.context || !w.context.path.endsWith(name) || !w.content) return null;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return k ? k.status : 'no kernel';
}"""

JS_RUN_ALL = """async (timeoutMs) => {
  const app = window.jupyterapp;
  const timer = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
  return await Promise.race([app.commands.execute('notebook:run-all-cells'), timer]);
}"""

JS_CELLS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const out = [];
  nb.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const outputs = [];
    for (let j = 0; j < cell.model.outputs.length; j++) outputs.push(cell.model.outputs.get(j).toJSON());
    out.push({index: i, count: cell.model.executionCount, outputs});
  });
  return out;
}"""

JS_SOLUTIONS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const out = [];
  nb.widgets.forEach((cell) => {
    if (cell.model.type === 'code' && cell.model.sharedModel.getSource().startsWith('#@title Solution'))
      out.push({inputHidden: cell.inputHidden, ran: !!cell.model.executionCount});
  });
  return out;
}"""


def _errors(cells, page) -> list[str]:
    found = []
    for c in cells:
        for o in c["outputs"]:
            if o["output_type"] == "error":
                found.append(f"cell {c['index']}: {o['ename']}: {o['evalue']}")
            elif o.get("name") == "stderr" and ("Error" in o.get("text", "") or "Traceback" in o.get("text", "")):
                found.append(f"cell {c['index']} stderr: {o['text'][:300]}")
    dom = page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()
    found += [f"rendered traceback: {t[:300]}" for t in dom if "Traceback (most recent call last)" in t]
    return found


def _image(img) -> bytes:
    src = img.get_attribute("src") or ""
    return base64.b64decode(src.split(",", 1)[1]) if src.startswith("data:") else src.encode()


@pytest.mark.parametrize(("chapter", "label", "keys", "expected"), CASES, ids=[c[0] for c in CASES])
def test_explorer_slider_redraws_figure(chapter, label, keys, expected, lab, browser, artifacts):
    t0 = time.monotonic()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(lab.tree_url(f"{chapter}.ipynb"), wait_until="domcontentloaded")
        page.wait_for_function(f"(() => ({JS_NOTEBOOK})({chapter!r}.concat('.ipynb')) === 'idle')()",
                               timeout=120_000, polling=250)
        t_idle = time.monotonic()
        result = page.evaluate(JS_RUN_ALL, 240_000)
        t_run = time.monotonic()
        cells = page.evaluate(JS_CELLS)
        errors = _errors(cells, page)
        assert not errors, "error output after run-all:\n" + "\n".join(errors)
        assert result is True, f"notebook:run-all-cells returned {result!r}"
        assert all(c["count"] for c in cells), "cells left unexecuted: " + str(
            [c["index"] for c in cells if not c["count"]])
        # the exercises' solutions: folded (input collapsed) in JupyterLab too, and they ran without error
        solutions = page.evaluate(JS_SOLUTIONS)
        n_exercises = (ROOT / "book" / f"{chapter}.md").read_text().count(", answer)\n")
        assert len(solutions) == n_exercises >= 2 and all(s["inputHidden"] and s["ran"] for s in solutions), solutions

        slider = page.locator(".widget-slider:visible").filter(
            has=page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
        assert slider.count() == 1, f"{slider.count()} sliders labelled {label!r}"
        cell = page.locator(".jp-CodeCell").filter(has=slider)
        figure = cell.locator(".widget-output img")
        readout = slider.locator(".widget-readout")
        slider.scroll_into_view_if_needed()
        figure.wait_for(timeout=30_000)
        before, before_readout = _image(figure), readout.inner_text()
        cell.screenshot(path=str(artifacts / f"lab-{chapter}-before.png"))

        slider.locator(".noUi-handle").focus()
        for key in keys:
            page.keyboard.press(key)
        deadline = time.monotonic() + 60
        after = before
        while time.monotonic() < deadline:
            now = readout.inner_text()
            if figure.count() == 1 and now != before_readout and (expected is None or now == expected):
                after = _image(figure)
                if after != before:
                    break
            time.sleep(0.25)
        page.wait_for_function(f"(() => ({JS_NOTEBOOK})({chapter!r}.concat('.ipynb')) === 'idle')()",
                               timeout=60_000, polling=250)
        time.sleep(0.5)  # let the last redraw land before the screenshot
        after = _image(figure) if figure.count() == 1 else after
        cell.screenshot(path=str(artifacts / f"lab-{chapter}-after.png"))
        page.screenshot(path=str(artifacts / f"lab-{chapter}.png"))
        after_readout = readout.inner_text()
        print(f"\n{chapter}: kernel idle {t_idle - t0:.1f} s, run-all {t_run - t_idle:.1f} s, slider "
              f"{label!r} {before_readout} -> {after_readout}, figure "
              f"{hashlib.sha1(before).hexdigest()[:8]} -> {hashlib.sha1(after).hexdigest()[:8]}, "
              f"total {time.monotonic() - t0:.1f} s")
        assert after_readout != before_readout, f"the {label!r} slider did not move ({before_readout})"
        if expected is not None:
            assert after_readout == expected
        assert after != before, f"the explorer figure did not change after moving {label!r}"
        errors = _errors(page.evaluate(JS_CELLS), page)
        assert not errors, "error output after moving the slider:\n" + "\n".join(errors)
    finally:
        page.close()

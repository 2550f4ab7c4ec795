"""The checks the chapters' notebook tests run in their kernels (tests/notebook_checks.py): a cell that
displays an unreadable figure, or an image without alt text, fails in that cell."""

import importlib.util
import json
import pathlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("nnrnn_edu_notebook_checks_test", HERE / "notebook_checks.py")
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)

SETUP = "from matplotlib.figure import Figure\nfrom IPython.display import display"
BAD = "fig = Figure(figsize=(14, 3)); fig.subplots().plot([1, 2])\ndisplay(fig)"
GOOD = "fig = Figure(figsize=(5, 3), layout='constrained'); fig.subplots().plot([1, 2])\ndisplay(fig)"


def _register(tmp_path, monkeypatch, mode="raise", out_dir=None):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    cells = [SETUP, BAD, GOOD]
    meta = [{}, {"mystnb": {"image": {"alt": "A rising line."}}}, {}]
    nb = {"cells": [{"cell_type": "code", "source": s, "metadata": m} for s, m in zip(cells, meta)]}
    (tmp_path / "09_test.ipynb").write_text(json.dumps(nb))
    monkeypatch.setenv("NNRNN_EDU_FIGURE_CHECK", mode)
    monkeypatch.setenv("NNRNN_EDU_FIGURE_DIR", str(out_dir or ""))
    sh = InteractiveShell.instance()
    select_figure_formats(sh, {"png"})  # what %matplotlib inline does
    undo = checks.register(sh, book=tmp_path)
    assert sh.run_cell(SETUP).success
    return sh, undo


@pytest.fixture
def shell(tmp_path, monkeypatch):
    sh, undo = _register(tmp_path, monkeypatch)
    yield sh
    undo()


def test_an_unreadable_figure_fails_its_cell(shell):
    result = shell.run_cell(BAD)
    assert isinstance(result.error_in_exec, checks.FigureCheckError)
    message = str(result.error_in_exec)
    assert message.startswith("09_test, cell 1: a figure the book cannot show well")
    assert "tick label" in message and "shows as" in message


def test_a_readable_figure_without_alt_text_fails_and_with_it_passes(shell):
    result = shell.run_cell(GOOD)
    assert "has no alt text" in str(result.error_in_exec)
    assert shell.run_cell("print('no figure')").success
    assert shell.run_cell("1 + 1").success  # a cell of no chapter, showing no image


def test_report_mode_never_fails_and_writes_what_the_page_shows(monkeypatch, tmp_path):
    shell, undo = _register(tmp_path, monkeypatch, "report", tmp_path / "figures")
    try:
        assert shell.run_cell(BAD).success
        rows = [json.loads(line) for line in (tmp_path / "figures" / "figures.jsonl").read_text().splitlines()]
        assert rows[0]["figure"] == "09_test-c01-1" and rows[0]["problems"] and rows[0]["alt"] == "A rising line."
        assert (tmp_path / "figures" / "09_test-c01-1.png").exists()
    finally:
        undo()


def test_the_chapters_carry_the_hook():
    conftest = (HERE.parent / "book" / "conftest.py").read_text()
    assert 'os.environ["PYTHONSTARTUP"]' in conftest and "notebook_startup.py" in conftest
    assert "register(get_ipython())" in (HERE / "notebook_startup.py").read_text()

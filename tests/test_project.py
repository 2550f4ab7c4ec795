"""Project invariants: paired notebooks in sync and output-free, environment.yml == pyproject,
chapters follow the skeleton, quick mode is read in one place only."""

from __future__ import annotations

import ast
import pathlib
import re
import tomllib

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))


def test_there_are_chapters():
    assert CHAPTERS, "no chapters found in book/"


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_chapter_pair_in_sync_and_output_free(md):
    import jupytext

    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `make sync`"
    text_nb = jupytext.read(md)
    paired = nbformat.read(ipynb, as_version=4)
    assert _cells(text_nb) == _cells(paired), f"{md.name} and {ipynb.name} differ: run `make sync`"
    for cell in paired.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{ipynb.name} carries outputs: clear them (make sync)"
            assert cell.execution_count is None, f"{ipynb.name} has execution counts"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_chapter_skeleton(md):
    import jupytext

    nb = jupytext.read(md)
    text = md.read_text()
    assert "**What you will learn**" in text
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = code[0]
    assert '"google.colab" in sys.modules' in setup and "%pip install" in setup
    assert "config.environment_report()" in setup
    # torch/numpy pinned to what Colab already has: never upgraded
    assert "torch=={torch.__version__}" in setup and "numpy=={numpy.__version__}" in setup
    sections = re.findall(r"^## (\d+)\. ", text, flags=re.M)
    assert sections and sections == [str(i) for i in range(1, len(sections) + 1)]
    assert text.count("**Try this:**") >= len(sections)
    assert "## Summary" in text
    assert "NNRNN_EDU_QUICK" not in "\n".join(code), "notebooks must not read quick mode themselves"


def test_quick_mode_read_only_in_config():
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "nnrnn_edu").rglob("*.py")
        if ("NNRNN_EDU_QUICK" in p.read_text() or "NNRNN_EDU_TIER" in p.read_text()) and p.name != "config.py"
    ]
    assert offenders == []


def test_no_text_calls_itself_full_scale():
    """Only the full tier is the paper's scale, and it is called "full tier": no library string, chapter,
    README or build file may call anything "full scale" / "full-scale" (a cpu or quick run least of all)."""
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "jupyter_book_config.yml", ROOT / "environment.yml",
             ROOT / "pyproject.toml", *sorted((ROOT / "book").glob("*.md")), *sorted((ROOT / "nnrnn_edu").rglob("*.py")),
             *sorted((ROOT / "benchmarks").glob("*.py"))]
    pattern = re.compile(r"full[\s_-]*scale", re.I)
    offenders = [
        f"{p.relative_to(ROOT).as_posix()}:{i}: {line.strip()}"
        for p in files if p.exists()
        for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)
    ]
    assert offenders == [], "\n".join(offenders)


def _normalise(specs):
    out = {}
    for s in specs:
        r = Requirement(s)
        out[r.name.lower().replace("_", "-")] = str(r.specifier)
    return out


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _normalise(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(c.split("=")[0] for c in conda) == ["pip", "python"]
    assert _normalise(pip) == wanted


def test_dependencies_are_ranges_not_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert "==" not in spec, f"{spec}: use a range, not an exact pin"


def test_book_config_and_toc():
    cfg = yaml.safe_load((ROOT / "jupyter_book_config.yml").read_text())
    assert "**.ipynb" in cfg["exclude_patterns"]
    assert cfg["execute"]["execute_notebooks"] == "force"
    assert cfg["repository"]["url"].startswith("https://github.com/")
    assert cfg["copyright"]
    # no book-wide figure numbers ("Fig. 6 Paper Figure 2: ..."); sphinx-jupyterbook-latex would turn
    # numfig back on for the HTML too
    assert cfg["sphinx"]["config"]["numfig"] is False and cfg["latex"]["use_jupyterbook_latex"] is False
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    listed = {c["file"] for c in toc["chapters"]}
    assert listed == {p.stem for p in CHAPTERS}, "every chapter in the toc, and only chapters"


def test_ci_runs_exactly_make_test():
    lines = [
        ln.strip()
        for ln in (ROOT / ".ci" / "run").read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    assert "set -euo pipefail" in lines and "make test" in lines


# ---- cells orchestrate, the library draws (issue 14, item 4) ------------------------------------

MAX_LOGIC_LINES = 12
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef,
             ast.AsyncFunctionDef, ast.ClassDef)


def logic_lines(source: str) -> int:
    """The lines of logic of a chapter's code cell, the measure of the 12-line rule.

    Every statement counts its physical lines, except that a compound statement (``if``, ``for``,
    ``while``, ``with``, ``try``, ``def``, ``class``) counts only its header, its body being counted
    statement by statement (``else:``/``except:`` lines count nothing). Not counted: blank and
    comment-only lines; ``assert`` statements (they check what the prose says); calls of ``print``
    (output, however they format it); ``import`` statements and IPython magics (``%...``).
    """
    lines = source.splitlines()
    code = "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)
    counted: set[int] = set()
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.stmt) or isinstance(node, (ast.Assert, ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Name) and node.value.func.id == "print":
            continue
        last = node.body[0].lineno - 1 if isinstance(node, _COMPOUND) else node.end_lineno
        counted.update(n for n in range(node.lineno, max(last, node.lineno) + 1)
                       if lines[n - 1].strip() and not lines[n - 1].strip().startswith("#"))
    return len(counted)


def test_logic_lines_rule():
    cell = ("import numpy as np\n%matplotlib inline\n\n# a comment\nx = f(1,\n      2)\nfor i in x:\n"
            "    print(i,\n          i)\n    y = i\nelse:\n    pass\nassert x, (\n    'prose')\n")
    assert logic_lines(cell) == 4  # x = f(1, 2) on two lines, the for header, y = i


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_cells_orchestrate_and_the_library_draws(md):
    """No code cell of a chapter has more than MAX_LOGIC_LINES lines of logic (:func:`logic_lines`):
    computing belongs in ``nnrnn_edu/chapters``, drawing (a multi-panel figure is one call) in
    ``nnrnn_edu/plotting``."""
    import jupytext

    nb = jupytext.read(md)
    long = [f"cell {i}: {n} lines of logic, starting {c.source.strip().splitlines()[0]!r}"
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and (n := logic_lines(c.source)) > MAX_LOGIC_LINES]
    assert long == [], f"{md.name}: cells over {MAX_LOGIC_LINES} lines of logic:\n" + "\n".join(long)


# ---- accessibility basics (issue 14, item 6) ----------------------------------------------------

BOOK_PAGES = sorted((ROOT / "book").glob("*.md"))
_SHOWS_FIGURE = re.compile(r"display\((plotting\.plot_\w+\(|fig\b|\w+\.figure\))")


def _headings(text: str) -> list[int]:
    levels, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(#{1,6}) \S", line)):
            levels.append(len(m.group(1)))
    return levels


@pytest.mark.parametrize("md", BOOK_PAGES, ids=lambda p: p.name)
def test_headings_in_order(md):
    """One title (#) per page, and no heading deeper than one level below the one before it."""
    text = md.read_text().split("\n---\n", 1)[-1] if md.read_text().startswith("---") else md.read_text()
    levels = _headings(text)
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{md.name}: one # title first, got {levels}"
    skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert skips == [], f"{md.name}: headings skip a level: {skips}"


def _alt(cell) -> str | None:
    return ((cell.metadata.get("mystnb") or {}).get("image") or {}).get("alt")


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(md):
    """Every cell that displays a figure (``display(plotting.plot_...)``, ``display(fig)``,
    ``display(<x>.figure)``) carries alt text for its image, ``mystnb: image: alt:`` (myst-nb 1.x writes
    it into the ``<img alt=...>``): one sentence saying what the figure shows. A figure caption
    (``mystnb: figure: caption:``) goes only with alt text. The notebook tests check the same for every
    cell that really put an image into its output (tests/notebook_checks.py)."""
    import jupytext

    for i, cell in enumerate(jupytext.read(md).cells):
        if cell.cell_type != "code":
            continue
        alt, where = _alt(cell), f"{md.name}, cell {i}"
        if _SHOWS_FIGURE.search(cell.source) or (cell.metadata.get("mystnb") or {}).get("figure"):
            assert alt, f"{where} shows a figure without alt text (mystnb: image: alt:)"
        if alt:
            assert "\n" not in alt.strip() and alt.strip().endswith(".") and ". " not in alt, \
                f"{where}: alt text must be one sentence: {alt!r}"
            assert 40 <= len(alt) <= 450, f"{where}: alt text of {len(alt)} characters"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_explorers_say_how_to_get_live_sliders(md):
    """Where a chapter shows an explorer, the text before its static fallback tells the reader how to
    move the sliders: Colab (the launch button) or JupyterLab (``make lab``)."""
    import jupytext

    cells = jupytext.read(md).cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and re.search(r"display\(\w*explorer\.figure\)", cell.source):
            before = cells[i - 1].source
            assert cells[i - 1].cell_type == "markdown" and "Colab" in before and "make lab" in before, \
                f"{md.name}, cell {i}: say how to get live sliders before the explorer's static figure"

"""Checks that run inside the kernel of every chapter's notebook test: each figure a cell displays.

``book/conftest.py`` points ``PYTHONSTARTUP`` at ``tests/notebook_startup.py`` for the kernels that
nbval starts (``make notebooks``, or ``pytest --nbval-lax book/...``); that file calls
:func:`register`. From then on, every matplotlib figure that a cell displays is measured with
:func:`nnrnn_edu.plotting.legibility.legibility_report`, and a cell that put an image into its output
must carry alt text in the chapter (``mystnb: image: alt:``, what myst-nb writes into the ``<img>``).
A cell that breaks either rule fails with a :class:`FigureCheckError` raised in that cell, so nbval
reports the cell that made the figure.

Environment (optional):

- ``NNRNN_EDU_FIGURE_CHECK=report``: measure and record, never fail (to survey the book).
- ``NNRNN_EDU_FIGURE_DIR=<dir>``: write each figure as the page shows it (``<chapter>-c<cell>-<n>.png``,
  scaled to the page width) and one JSON line per figure to ``<dir>/figures.jsonl``.
"""

from __future__ import annotations

import json
import os
import pathlib

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"


WAIVED: dict[tuple[str, str], str] = {}
"""Legibility problems known and not yet fixed: ``(chapter, text in the cell's code) -> what``. A waived
cell's problems are printed, not raised. Remove an entry once its figure passes."""


class FigureCheckError(AssertionError):
    """A figure the book cannot show: unreadable text, a long title, or no alt text."""


def chapter_cells(book: pathlib.Path = BOOK) -> dict[str, dict[str, tuple[int, dict]]]:
    """Every code cell of the chapters' paired notebooks: ``{source: {chapter: (index, metadata)}}``.

    The ``.ipynb`` is what nbval runs; its cells equal the ``.md`` chapter's (``tests/test_project.py``).
    """
    cells: dict[str, dict[str, tuple[int, dict]]] = {}
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                source = "".join(cell["source"]).strip()
                cells.setdefault(source, {})[path.stem] = (i, cell.get("metadata", {}))
    return cells


def alt_text(metadata: dict) -> str | None:
    """The alt text myst-nb gives a cell's images (``metadata["mystnb"]["image"]["alt"]``), or None."""
    alt = ((metadata.get("mystnb") or {}).get("image") or {}).get("alt")
    return alt.strip() if isinstance(alt, str) and alt.strip() else None


class _Check:
    def __init__(self, shell, mode: str, out_dir: str | None, book: pathlib.Path):
        self.shell, self.mode, self.out_dir = shell, mode, out_dir
        self.cells = chapter_cells(book)
        self.chapters: set[str] = set()  # the chapters consistent with every cell run so far
        self.problems: list[str] = []
        self.images = 0
        self.figures = 0
        self.cell: tuple[str, int, dict] | None = None
        self.unwrap = lambda: None  # puts the PNG printer back

    # -- hooks
    def pre_run_cell(self, info) -> None:
        self.problems, self.images, self.figures = [], 0, 0
        self.source = (info.raw_cell or "").strip()
        self.cell = self._which_cell(self.source)
        self._wrap_png_printer()

    def post_run_cell(self, result) -> None:
        if not result.success:
            return
        waived = [why for (chapter, code), why in WAIVED.items()
                  if self.cell and self.cell[0] == chapter and code in self.source]
        if self.problems and waived:
            print(f"figure check waived ({'; '.join(waived)}):\n  " + "\n  ".join(self.problems))
            self.problems = []
        if self.images and self.cell is not None and alt_text(self.cell[2]) is None:
            self.problems.append("the cell shows an image but has no alt text: add `mystnb: image: alt:` to it")
        if not self.problems or self.mode == "report":
            return
        where = f"{self.cell[0]}, cell {self.cell[1]}" if self.cell else "this cell"
        try:
            raise FigureCheckError(f"{where}: a figure the book cannot show well:\n  " + "\n  ".join(self.problems))
        except FigureCheckError as e:
            self.shell.showtraceback(exception_only=True)
            result.error_in_exec = e

    def _which_cell(self, source: str) -> tuple[str, int, dict] | None:
        """The chapter cell being run: ``(chapter, index, metadata)``, or None for a cell of no chapter.
        Several chapters share some cells (the explorers' fallback), so the chapter is the one whose
        cells the kernel has run so far."""
        found = self.cells.get(source, {})
        if not found:
            return None
        self.chapters = (self.chapters & set(found)) or set(found)
        if len(self.chapters) != 1:
            return None
        chapter = next(iter(self.chapters))
        return (chapter, *found[chapter])

    # -- what the cell displays
    def _wrap_png_printer(self) -> None:
        """Measure every Figure the PNG formatter renders (``%matplotlib inline`` re-registers the
        printer, so the wrapper is put back before each cell)."""
        from matplotlib.figure import Figure

        formatter = self.shell.display_formatter.formatters["image/png"]
        try:
            printer = formatter.lookup_by_type(Figure)
        except KeyError:
            return
        if getattr(printer, "_nnrnn_edu_checked", False):
            return

        def checked(fig, *args, **kwargs):
            data = printer(fig, *args, **kwargs)
            if data is not None:
                self._measure(fig)
            return data

        checked._nnrnn_edu_checked = True
        formatter.for_type(Figure, checked)
        self.unwrap = lambda: formatter.for_type(Figure, printer)

    def _measure(self, fig) -> None:
        from nnrnn_edu.plotting.legibility import legibility_report

        report = legibility_report(fig)
        self.problems += list(report.problems)
        self.figures += 1
        if self.out_dir:
            os.makedirs(self.out_dir, exist_ok=True)
            name = f"{self.cell[0]}-c{self.cell[1]:02d}-{self.figures}" if self.cell else f"unknown-{id(fig)}"
            fig.savefig(os.path.join(self.out_dir, name + ".png"), dpi=report.dpi * report.scale,
                        bbox_inches="tight", facecolor=fig.get_facecolor())
            small = report.smallest
            row = {"figure": name, "width_px": report.width_px, "scale": round(report.scale, 3),
                   "smallest_pt": round(small.displayed_pt, 2) if small else None,
                   "smallest": [small.role, small.text] if small else None, "title_lines": report.title_lines,
                   "alt": alt_text(self.cell[2]) if self.cell else None, "problems": list(report.problems)}
            with open(os.path.join(self.out_dir, "figures.jsonl"), "a") as f:
                f.write(json.dumps(row) + "\n")

    def _publish(self, publish):
        def wrapped(data, *args, **kwargs):
            if isinstance(data, dict) and "image/png" in data:
                self.images += 1
            return publish(data, *args, **kwargs)

        return wrapped


def register(shell, book: pathlib.Path = BOOK):
    """Run the checks on every cell this IPython ``shell`` executes from now on.

    Returns a function that removes them again (the unit tests use it).
    """
    mode = os.environ.get("NNRNN_EDU_FIGURE_CHECK", "raise").strip().lower() or "raise"
    if mode not in ("raise", "report"):
        raise ValueError(f"NNRNN_EDU_FIGURE_CHECK must be 'raise' or 'report', got {mode!r}")
    check = _Check(shell, mode, os.environ.get("NNRNN_EDU_FIGURE_DIR") or None, book)
    publish = shell.display_pub.publish
    shell.display_pub.publish = check._publish(publish)
    shell.events.register("pre_run_cell", check.pre_run_cell)
    shell.events.register("post_run_cell", check.post_run_cell)

    def unregister() -> None:
        shell.display_pub.publish = publish
        shell.events.unregister("pre_run_cell", check.pre_run_cell)
        shell.events.unregister("post_run_cell", check.post_run_cell)
        check.unwrap()

    return unregister

"""Is a figure readable on the book's page? The measurement behind the book's figure rules.

The rendered book shows a figure the way the notebook does: the inline backend saves it as a PNG at
the figure's dpi with ``bbox_inches="tight"``, and the page shows that image at its natural size, or
shrunk to the content width (about :data:`PAGE_WIDTH_PX` CSS pixels) when it is wider. What a reader
sees of a text of ``s`` points is then ``s * dpi / 96 * scale`` CSS points, with
``scale = min(1, PAGE_WIDTH_PX / image width in px)`` (a CSS inch is 96 px and 72 pt). For a
figure wider than the page this is ``s * 7.8 / width in inches``, whatever the dpi: a 14-inch figure
shows its 10-point labels at 5.6 pt.

:func:`legibility_problems` renders a figure that way and returns what a reader cannot read:

- a text (titles, axis and tick labels, legends, annotations, colorbars, insets) displayed smaller
  than :data:`MIN_DISPLAYED_PT`;
- a title (figure or axes) of more than one line plus one short subtitle (at most
  :data:`SUBTITLE_MAX_CHARS` characters): provenance belongs in the caption or the printed output;
- a text that sticks out of the figure, or two texts that overlap.

:func:`legibility_report` gives the measurements themselves. The chapters' notebook tests run the check
on every figure a cell displays (``tests/notebook_checks.py``); the book's figures are drawn for it
(:data:`nnrnn_edu.plotting.style.PAGE_WIDTH_IN`, :data:`~nnrnn_edu.plotting.style.SMALL_PT`).
"""

from __future__ import annotations

import io
import struct
from contextlib import contextmanager
from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.text import Text

PAGE_WIDTH_PX = 750
"""The book's content width in CSS pixels (sphinx-book-theme on a desktop screen)."""

MIN_DISPLAYED_PT = 8.0
"""The smallest text a figure may show on the page, in CSS points after scaling."""

MAX_TITLE_LINES = 2
"""A title is one line, plus at most one short subtitle."""

SUBTITLE_MAX_CHARS = 60
"""The longest second line of a title (a subtitle), in characters."""

OVERLAP_FRACTION = 0.2
"""Two texts overlap when their boxes share more than this fraction of the smaller box."""


@dataclass(frozen=True)
class TextMeasure:
    """One text the figure draws, as the page shows it.

    Attributes
    ----------
    text : str
    role : str
        ``"suptitle"``, ``"title"``, ``"label"``, ``"tick label"``, ``"legend"`` or ``"text"``.
    fontsize : float
        In points, as set on the figure.
    displayed_pt : float
        In CSS points on the page, after scaling.
    """

    text: str
    role: str
    fontsize: float
    displayed_pt: float


@dataclass(frozen=True)
class LegibilityReport:
    """A figure's measurements on the page and what is wrong with them.

    Attributes
    ----------
    width_px, height_px : int
        Size of the image the notebook shows (tight bounding box, the figure's dpi).
    dpi : float
    scale : float
        ``min(1, page_width_px / width_px)``: how much the page shrinks the image.
    texts : tuple of TextMeasure
        Every text drawn.
    problems : tuple of str
        Empty for a readable figure.
    """

    width_px: int
    height_px: int
    dpi: float
    scale: float
    texts: tuple[TextMeasure, ...] = field(repr=False)
    problems: tuple[str, ...]

    @property
    def smallest(self) -> TextMeasure | None:
        """The text displayed smallest (None for a figure without text)."""
        return min(self.texts, key=lambda t: t.displayed_pt, default=None)

    @property
    def title_lines(self) -> int:
        """The most lines any title of the figure has (0 without titles)."""
        return max((t.text.count("\n") + 1 for t in self.texts if t.role in ("suptitle", "title")), default=0)


@contextmanager
def _recording_texts():
    """Patch :meth:`matplotlib.text.Text.draw` to record every text actually drawn, with its box."""
    drawn: list[tuple[Text, object]] = []
    original = Text.draw

    def draw(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))

    Text.draw = draw  # Annotation.draw and the legends call Text.draw through the class
    try:
        yield drawn
    finally:
        Text.draw = original


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def _roles(fig: Figure) -> dict[int, str]:
    roles: dict[int, str] = {}
    for f in [fig, *fig.subfigs]:
        for t in (getattr(f, "_suptitle", None), getattr(f, "_supxlabel", None), getattr(f, "_supylabel", None)):
            if t is not None:
                roles[id(t)] = "suptitle" if t is getattr(f, "_suptitle", None) else "label"
    for ax in fig.get_axes():
        axes = [ax, *ax.child_axes]
        for a in axes:
            for t in (a.title, a._left_title, a._right_title):
                roles[id(t)] = "title"
            for axis in (a.xaxis, a.yaxis):
                roles[id(axis.label)] = "label"
                roles[id(axis.offsetText)] = "tick label"
                for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                    roles[id(tick.label1)] = roles[id(tick.label2)] = "tick label"
            legend = a.get_legend()
            if legend is not None:
                for t in [*legend.get_texts(), legend.get_title()]:
                    roles[id(t)] = "legend"
    for legend in fig.legends:
        for t in [*legend.get_texts(), legend.get_title()]:
            roles[id(t)] = "legend"
    return roles


def _short(text: str, n: int = 50) -> str:
    one = text.replace("\n", " / ")
    return one if len(one) <= n else one[: n - 1] + "…"


def legibility_report(
    fig: Figure,
    page_width_px: int = PAGE_WIDTH_PX,
    min_pt: float = MIN_DISPLAYED_PT,
    dpi: float | None = None,
) -> LegibilityReport:
    """Measure a figure as the book shows it and list what a reader cannot read.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    page_width_px : int
        The page's content width in CSS pixels (default :data:`PAGE_WIDTH_PX`).
    min_pt : float
        The smallest readable text in CSS points (default :data:`MIN_DISPLAYED_PT`).
    dpi : float or None
        The dpi the notebook renders at; None: the figure's own (what the inline backend uses).

    Returns
    -------
    LegibilityReport

    The rules are the module's (:mod:`nnrnn_edu.plotting.legibility`); see also :func:`legibility_problems`.
    """
    if not isinstance(fig, Figure):
        raise ValueError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not (isinstance(page_width_px, int) and page_width_px > 0):
        raise ValueError(f"page_width_px must be a positive integer, got {page_width_px!r}")
    dpi = float(fig.dpi if dpi is None else dpi)
    # 1. the image the notebook shows: tight bounding box at the figure's dpi
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor=fig.get_facecolor())
    width_px, height_px = _png_size(buf.getvalue())
    scale = min(1.0, page_width_px / width_px)
    # 2. the texts it draws, on the figure's own canvas (to see what sticks out of it)
    with _recording_texts() as drawn:
        fig.savefig(io.BytesIO(), format="png", dpi=dpi)
    roles = _roles(fig)
    canvas_w, canvas_h = fig.get_figwidth() * dpi, fig.get_figheight() * dpi
    texts, problems, boxes = [], [], []
    small: dict[tuple[str, float, float], list[str]] = {}
    seen: set[int] = set()
    for artist, box in drawn:
        if id(artist) in seen:
            continue
        seen.add(id(artist))
        role = roles.get(id(artist), "text")
        size = float(artist.get_fontsize())
        shown = size * dpi / 96.0 * scale
        m = TextMeasure(artist.get_text(), role, size, shown)
        texts.append(m)
        boxes.append((m, box))
        if shown < min_pt - 1e-9:
            small.setdefault((role, size, shown), []).append(m.text)
        if role in ("suptitle", "title"):
            lines = m.text.split("\n")
            if len(lines) > MAX_TITLE_LINES:
                problems.append(f"{role} {_short(m.text)!r} has {len(lines)} lines (at most one line and a subtitle)")
            elif len(lines) == 2 and len(lines[1]) > SUBTITLE_MAX_CHARS:
                problems.append(f"{role} {_short(m.text)!r}: subtitle of {len(lines[1])} characters "
                                f"(at most {SUBTITLE_MAX_CHARS}; provenance goes in the caption)")
        if box.x0 < -1 or box.y0 < -1 or box.x1 > canvas_w + 1 or box.y1 > canvas_h + 1:
            problems.append(f"{role} {_short(m.text)!r} sticks out of the figure")
    problems[:0] = [  # the smallest first, one line per role and size
        f"{role} {_short(which[0])!r}{f' (and {len(which) - 1} more)' if len(which) > 1 else ''}: "
        f"{size:g} pt shows as {shown:.1f} pt (< {min_pt:g} pt)"
        for (role, size, shown), which in sorted(small.items(), key=lambda kv: kv[0][2])
    ]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            smaller = min(box_a.width * box_a.height, box_b.width * box_b.height)
            if w > 0 and h > 0 and smaller > 0 and w * h > OVERLAP_FRACTION * smaller:
                problems.append(f"{a.role} {_short(a.text, 30)!r} overlaps {b.role} {_short(b.text, 30)!r}")
    return LegibilityReport(width_px, height_px, dpi, scale, tuple(texts), tuple(problems))


def legibility_problems(
    fig: Figure,
    page_width_px: int = PAGE_WIDTH_PX,
    min_pt: float = MIN_DISPLAYED_PT,
    dpi: float | None = None,
) -> list[str]:
    """What a reader of the book cannot read in ``fig``: an empty list for a legible figure.

    Renders the figure as the notebook shows it (the figure's dpi, tight bounding box), scales it
    to the page (``min(1, page_width_px / image width)``) and reports every drawn text smaller
    than ``min_pt`` CSS points, every title of more than one line plus a short subtitle, every text
    sticking out of the figure and every pair of overlapping texts.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    page_width_px : int
        The page's content width in CSS pixels (default :data:`PAGE_WIDTH_PX`).
    min_pt : float
        The smallest readable text in CSS points (default :data:`MIN_DISPLAYED_PT`).
    dpi : float or None
        The dpi the notebook renders at; None: the figure's own.

    Returns
    -------
    list of str
        One line per problem, naming the text.

    See :func:`legibility_report` for the measurements.
    """
    return list(legibility_report(fig, page_width_px, min_pt, dpi).problems)


__all__ = [
    "MAX_TITLE_LINES", "MIN_DISPLAYED_PT", "OVERLAP_FRACTION", "PAGE_WIDTH_PX", "SUBTITLE_MAX_CHARS",
    "LegibilityReport", "TextMeasure", "legibility_problems", "legibility_report",
]

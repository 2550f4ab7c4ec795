"""The book's look, shared by every chapter's plots: one colour and one label per network kind.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot`` so
that nothing is displayed or kept alive behind the caller's back: a notebook
shows a figure with ``display(fig)``, a widget redraws into the figure it owns,
a test inspects the returned artists. See chapter 1 (where the colours first appear).
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

# One colour per network kind, used by every chapter so that a reader can
# follow "the chain" from figure to figure.
KIND_COLORS = {
    "identity": "#1f77b4",
    "orthogonal": "#2ca02c",
    "chain": "#d62728",
    "fbchain": "#ff7f0e",
}
KIND_LABELS = {
    "identity": "identity",
    "orthogonal": "random orthogonal",
    "chain": "chain",
    "fbchain": "chain with feedback",
}

TASK_LABELS = {"copy": "copy", "addition": "addition", "psmnist": "psMNIST"}
"""Display names of the training tasks."""

PAGE_WIDTH_IN = 7.3
"""The widest a book figure is, in inches: with the 0.1 in margin of the notebook's tight bounding box
its image is at most 750 px at the default 100 dpi, the page's content width, so the page shows it at
its natural size (:mod:`~nnrnn_edu.plotting.legibility`)."""

SMALL_PT = 8.5
"""Font size of the smallest texts of a book figure (legends, annotations, dense tick labels), in
points: at full size 1 pt shows as 1.04 CSS pt, so 8.85 pt on a 750 px page, and still 8.0 pt in a
1280 px wide browser window, where the theme's content column is about 690 px (measured)."""


def _label_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None) -> None:
    """Axis labels, an optional title, the legend and a light grid: the curve plots' common finish."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _fresh(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """``fig`` cleared for a redraw, or a new figure."""
    if fig is None:
        return Figure(figsize=figsize)
    fig.clear()
    return fig


__all__ = ["KIND_COLORS", "KIND_LABELS", "PAGE_WIDTH_IN", "SMALL_PT", "TASK_LABELS"]

"""Chapter 2 plots: decoding curves, paper Figure 2, the decoding explorer.

Every ``plot_*`` function only draws: data in, :class:`matplotlib.figure.Figure` out.
The curves come from :mod:`nnrnn_edu.chapters.ch02` (:func:`~nnrnn_edu.chapters.ch02.figure2_curves`,
:func:`~nnrnn_edu.chapters.ch02.decoding_explorer_data`). See chapter 2.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .._validate import real_array
from ..chapters.ch02 import PANELS, DecodingExplorerData, DecodingPreset, decoding_preset
from .ch01 import _explorer_axes
from .style import KIND_COLORS, KIND_LABELS, PAGE_WIDTH_IN, SMALL_PT, _fresh, _label_axes

PANEL_TITLES = {
    "linear": "a  linear, no noise",
    "noisy": "b  linear, noise σ = {sigma:g}",
    "nonlinear": "c  {f}, no noise",
}
"""Panel titles of :func:`plot_decoding_figure` (formatted with the preset's values)."""


def plot_decoding_curves(
    curves: Mapping[str, np.ndarray],
    exact: Mapping[str, np.ndarray] | None = None,
    title: str | None = None,
    ax=None,
    legend: bool = True,
) -> Figure:
    """Decoding curves R^2(k): simulated (solid) with exact curves (dashed) where known.

    Parameters
    ----------
    curves : mapping of name -> ndarray, shape (L,)
        Monte Carlo curves (:func:`nnrnn_edu.decoding.r2_curve`). Names that are
        network kinds (``"chain"``, ``"orthogonal"``, ...) get the book's colour
        and label; other names are used as they are.
    exact : mapping of name -> ndarray, shape (L,), optional
        Exact curves (:func:`~nnrnn_edu.decoding.population_r2_curve`,
        :func:`~nnrnn_edu.decoding.elu_chain_r2_curve`), drawn dashed in the
        colour of the curve with the same name.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes; otherwise a new figure is made.
    legend : bool
        Give the axes a legend (the multi-panel figures share one below their panels instead).

    Returns
    -------
    Figure

    See chapter 2.
    """
    if not curves and not exact:
        raise ValueError("curves must contain at least one curve")
    if ax is None:
        fig = Figure(figsize=(5.5, 3.8))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    lowest = 0.0
    for name, y in curves.items():
        y = real_array(y, f"curves[{name!r}]", "curve")
        ax.plot(np.arange(y.size), y, "-", color=KIND_COLORS.get(name), lw=1.6,
                label=f"{KIND_LABELS.get(name, name)} (simulated)")
        lowest = min(lowest, float(np.min(y)))
    for name, y in (exact or {}).items():
        y = real_array(y, f"exact[{name!r}]", "curve")
        ax.plot(np.arange(y.size), y, "--", color=KIND_COLORS.get(name, "0.3"), lw=1.2,
                label=f"{KIND_LABELS.get(name, name)} (exact)")
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_ylim(max(-0.5, lowest - 0.05), 1.05)
    _label_axes(ax, "lag k (steps into the past)", "decoding R²", title)
    if not legend:
        ax.get_legend().remove()
    return fig


def _decoding_panels(fig: Figure, n: int) -> list:
    """A row of ``n`` decoding panels sharing the y axis, sized for the page."""
    axes = list(fig.subplots(1, n, sharey=True, squeeze=False)[0])
    for ax in axes:
        ax.tick_params(labelsize=SMALL_PT)
    return axes


def _finish_panels(fig: Figure, bottoms: list[float], kinds: list[str]) -> None:
    """The shared y axis low enough for every panel (``bottoms``: each panel's own), one y label, one legend."""
    fig.axes[0].set_ylim(min(bottoms), 1.05)
    for ax in fig.axes[1:]:
        ax.set_ylabel("")
    _shared_legend(fig, kinds)


def _shared_legend(fig: Figure, kinds: list[str]) -> None:
    """One legend under a row of decoding panels: a colour per network, solid simulated, dashed exact."""
    handles = [Line2D([], [], color=KIND_COLORS.get(k, "0.3"), lw=1.6, label=KIND_LABELS.get(k, k)) for k in kinds]
    handles += [Line2D([], [], color="0.3", lw=1.6, label="simulated"),
                Line2D([], [], color="0.3", lw=1.2, ls="--", label="exact")]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=SMALL_PT,
               handlelength=1.6, columnspacing=1.0, frameon=False)


def plot_decoding_figure(
    result: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
    preset: DecodingPreset | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Paper Figure 2: the three decoding panels side by side.

    Parameters
    ----------
    result : dict
        Output of :func:`nnrnn_edu.chapters.ch02.figure2_curves`:
        ``{"simulated": {panel: {kind: R2}}, "exact": {panel: {kind: R2}}}``.
    preset : DecodingPreset or None
        For the panel titles (noise level, non-linearity, sizes);
        ``None``: :func:`nnrnn_edu.chapters.ch02.decoding_preset`.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One axes per panel, in the order of :data:`nnrnn_edu.chapters.ch02.PANELS`.

    See chapter 2.
    """
    p = decoding_preset() if preset is None else preset
    panels = [panel for panel in PANELS if panel in result["simulated"]]
    if not panels:
        raise ValueError(f"result['simulated'] must contain some of the panels {PANELS}")
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 3.0))
    fig.set_layout_engine("constrained")
    bottoms = []
    for ax, panel in zip(_decoding_panels(fig, len(panels)), panels):
        plot_decoding_curves(
            result["simulated"][panel],
            result.get("exact", {}).get(panel),
            title=PANEL_TITLES[panel].format(sigma=p.noise_std, f=p.nonlinearity),
            ax=ax,
            legend=False,
        )
        bottoms.append(ax.get_ylim()[0])
    _finish_panels(fig, bottoms, list(result["simulated"][panels[0]]))
    return fig


def plot_input_scales(result: Mapping[float, Mapping], fig: Figure | None = None) -> Figure:
    """Panel (c) of Figure 2 at several input scales, one panel each (chapter 2, section 3).

    Parameters
    ----------
    result : dict
        :func:`nnrnn_edu.chapters.ch02.input_scale_curves`:
        ``{scale: {"simulated": {kind: R2}, "exact": {kind: R2}, ...}}``.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One axes per scale, titled with it, and one legend below them.

    See chapter 2, section 3.
    """
    if not result:
        raise ValueError("result must hold at least one input scale")
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 3.0))
    fig.set_layout_engine("constrained")
    bottoms = []
    for ax, (scale, curves) in zip(_decoding_panels(fig, len(result)), result.items()):
        plot_decoding_curves(curves["simulated"], curves.get("exact"), title=f"input scale {scale:g}", ax=ax,
                             legend=False)
        bottoms.append(ax.get_ylim()[0])
    _finish_panels(fig, bottoms, list(next(iter(result.values()))["simulated"]))
    return fig


def plot_decoding_explorer(data: DecodingExplorerData, fig: Figure | None = None) -> Figure:
    """Chapter 2's explorer figure: chain versus random orthogonal decoding curves.

    Simulated curves solid, exact ones dashed where they exist; the title gives
    the setting and the decoder's sample sizes. If ``data.error`` is set, the
    figure says why instead.

    Parameters
    ----------
    data : DecodingExplorerData
        From :func:`nnrnn_edu.chapters.ch02.decoding_explorer_data`.
    fig : Figure or None
        The figure to redraw in place (widgets pass theirs); ``None`` makes one.

    Returns
    -------
    Figure
        One axes: two simulated curves, and up to two exact ones.

    See chapter 2, section 4.
    """
    fig, axes = _explorer_axes(fig, "decoding", figsize=(6.5, 4.2), ncols=1, error=data.error is not None)
    if data.error is not None:
        # a slider can reach networks that overflow float64: say so in the figure
        fig.text(0.5, 0.5, f"cannot decode here:\n{data.error}", ha="center", va="center", wrap=True)
        return fig
    (ax,) = axes
    plot_decoding_curves(data.simulated, data.exact, ax=ax)
    ax.set_title(
        f"{data.nonlinearity}, noise σ = {data.noise_std:g}, input scale {data.input_scale:g}; "
        f"chain α = {data.alpha:g}, orthogonal λ = {data.lam:g}\nN = {data.n}, L = {data.seq_len}; "
        f"leave-one-out over {data.n_test} sequences",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.12, top=0.87)
    if fig.canvas is not None:
        fig.canvas.draw_idle()
    return fig


__all__ = ["PANEL_TITLES", "plot_decoding_curves", "plot_decoding_explorer", "plot_decoding_figure", "plot_input_scales"]

"""Chapter 1 plots: connectivity matrices, memory curves, J_tot against N, the memory explorer.

Every ``plot_*`` function only draws: data in, :class:`matplotlib.figure.Figure` out.
The explorer's numbers come from :func:`nnrnn_edu.chapters.ch01.memory_explorer_data`.
See chapter 1.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from .._validate import real_array
from ..chapters.ch01 import MemoryExplorerData
from .style import KIND_COLORS, KIND_LABELS, PAGE_WIDTH_IN, SMALL_PT, _fresh, _label_axes


def plot_connectivity(
    matrices: Mapping[str, np.ndarray], max_units: int | None = 20, fig: Figure | None = None
) -> Figure:
    """Connectivity matrices as images, one panel each in a row (paper Figure 1a), sized for the page.

    Parameters
    ----------
    matrices : mapping of title -> ndarray, shape (N, N)
        Matrices in the column convention (row i receives from column j).
    max_units : int or None
        Show only the top-left ``max_units x max_units`` block so that single
        connections stay visible; ``None`` shows everything. (The caption says how many are shown.)
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One image axes per matrix, each with its own colour bar (signed, symmetric about 0).

    See chapter 1, section 1.
    """
    if not matrices:
        raise ValueError("matrices must contain at least one matrix")
    n = len(matrices)
    fig = _fresh(fig, figsize=(min(PAGE_WIDTH_IN, 1.8 * n + 0.3), 2.4))
    fig.set_layout_engine("constrained", w_pad=0.02)
    axes = fig.subplots(1, n, squeeze=False)[0]
    for i, (ax, (title, W)) in enumerate(zip(axes, matrices.items())):
        W = real_array(W, f"matrices[{title!r}]", "matrix")
        shown = W if max_units is None else W[:max_units, :max_units]
        lim = max(float(np.max(np.abs(shown))), 1e-12)
        im = ax.imshow(shown, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(title, fontsize=9.5)
        ax.set_xlabel("from unit j", fontsize=9)
        if i == 0:
            ax.set_ylabel("to unit i", fontsize=9)
        ax.tick_params(labelsize=SMALL_PT)
        for axis in (ax.xaxis, ax.yaxis):  # unit numbers: few, integer ticks leave room for the colour bars
            axis.set_major_locator(ticker.MaxNLocator(nbins=3, integer=True))
        cbar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        cbar.ax.tick_params(labelsize=SMALL_PT)
    return fig


def plot_network_graphs(
    networks: Mapping[str, tuple[np.ndarray, np.ndarray]],
    strongest: float | Mapping[str, float] = 1.0,
    fig: Figure | None = None,
) -> Figure:
    """The networks as graphs (paper Figure 1a, upper panel): units, weighted arrows, the input.

    Units sit on a circle, unit 0 at the top and the others clockwise. An arrow from unit j to unit
    i is the weight ``W[i, j]`` (column convention): its width grows with ``|W[i, j]|`` (relative to
    the network's largest weight) and its colour says the sign (red +, blue -); a self-connection is a
    small loop inside the circle. Grey arrows from the outside are the input vector ``v``, as wide as ``|v_i|`` allows.

    Parameters
    ----------
    networks : mapping of title -> (W, v)
        ``W`` of shape (N, N) and ``v`` of shape (N,) (e.g. :func:`nnrnn_edu.connectivity.memory_network`
        at a small N such as 8: a graph of 100 units shows nothing).
    strongest : float in (0, 1], or a mapping of title -> float
        Draw only this fraction of the non-zero weights, the largest in magnitude: 1 draws every
        one; a dense random orthogonal matrix reads better with 0.3 (``{"random orthogonal": 0.3}``;
        titles not in the mapping get 1). The panel's title says when some are left out.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One panel per network; each panel's ``patches`` are its connections (arrows and self-loops),
        then its input arrows.

    See chapter 1, section 1.
    """
    from matplotlib.patches import Circle, FancyArrowPatch

    if not networks:
        raise ValueError("networks must contain at least one (W, v) pair")
    fractions = dict(strongest) if isinstance(strongest, Mapping) else {t: strongest for t in networks}
    for t, f in fractions.items():
        if isinstance(f, bool) or not (isinstance(f, (int, float)) and 0 < f <= 1):
            raise ValueError(f"strongest must be in (0, 1] (for {t!r}), got {f!r}")
    fig = _fresh(fig, figsize=(min(PAGE_WIDTH_IN, 1.825 * len(networks)), 2.3))
    fig.set_layout_engine("constrained", w_pad=0.01)
    axes = fig.subplots(1, len(networks), squeeze=False)[0]
    for ax, (title, pair) in zip(axes, networks.items()):
        W = real_array(pair[0], f"networks[{title!r}][0]", "matrix")
        v = real_array(pair[1], f"networks[{title!r}][1]", "vector")
        n = W.shape[0]
        if W.shape != (n, n) or v.shape != (n,):
            raise ValueError(f"networks[{title!r}] must be (W of shape (N, N), v of shape (N,)), got {W.shape}, {v.shape}")
        angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        xy = np.column_stack([np.cos(angle), np.sin(angle)])
        mags = np.abs(W[W != 0])
        frac = fractions.get(title, 1.0)
        cut = float(np.quantile(mags, 1 - frac)) if mags.size and frac < 1 else 0.0
        wmax = float(mags.max()) if mags.size else 1.0
        drawn = 0
        for i, j in zip(*np.nonzero(W)):
            w = float(W[i, j])
            if abs(w) < cut:
                continue
            drawn += 1
            color = "#c0392b" if w > 0 else "#2e6da4"
            lw = 0.4 + 2.6 * abs(w) / wmax
            if i == j:  # a self-connection: a loop just outside the unit
                ax.add_patch(Circle(tuple(xy[i] * 0.76), 0.13, fill=False, edgecolor=color, lw=lw))
            else:
                ax.add_patch(FancyArrowPatch(xy[j], xy[i], connectionstyle="arc3,rad=0.15", arrowstyle="-|>",
                                             mutation_scale=8, lw=lw, color=color, shrinkA=7, shrinkB=7))
        vmax = float(np.max(np.abs(v))) or 1.0
        for i in np.nonzero(v)[0]:
            ax.add_patch(FancyArrowPatch(xy[i] * 1.55, xy[i] * 1.13, arrowstyle="-|>", mutation_scale=8,
                                         lw=0.4 + 2.6 * abs(v[i]) / vmax, color="0.55"))
        ax.scatter(xy[:, 0], xy[:, 1], s=150, facecolor="white", edgecolor="0.2", lw=1.0, zorder=3)
        for i in range(n):
            ax.text(*xy[i], str(i), ha="center", va="center", fontsize=SMALL_PT, zorder=4)
        note = "" if drawn == len(mags) else f"\nstrongest {drawn} of {len(mags)} weights"
        ax.set_title(title + note, fontsize=9)
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.6, 1.6)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig


def plot_memory_curves(
    curves: Mapping[str, np.ndarray],
    ylabel: str = "Fisher memory J(k)",
    logy: bool = True,
    colors: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    title: str | None = None,
    ax=None,
    ylim: tuple[float | None, float | None] | None = None,
    legend: bool = True,
) -> Figure:
    """Curves over the lag k, e.g. Fisher memory (Figure 1b) or ``||W^k v||^2`` (Figure 1c).

    Parameters
    ----------
    curves : mapping of label -> ndarray, shape (K,)
    ylabel : str
    logy : bool
        Log-scale y axis (zeros are dropped from log plots).
    colors, styles : mapping of label -> matplotlib colour / line style, optional
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes; otherwise a new figure is made.
    ylim : (bottom, top) or None
        Limits of the y axis (either may be None: automatic).
    legend : bool
        Give the axes a legend of the curves (``False``: the caller makes one, e.g. one for
        several panels).

    Returns
    -------
    Figure

    See chapter 1, sections 2 and 3.
    """
    if ax is None:
        fig = Figure(figsize=(5.5, 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for label, y in curves.items():
        y = real_array(y, f"curves[{label!r}]", "curve")
        k = np.arange(y.size)
        if logy:
            keep = y > 0
            k, y = k[keep], y[keep]
        ax.plot(
            k,
            y,
            (styles or {}).get(label, "-"),
            color=(colors or {}).get(label),
            label=label,
            lw=1.8,
        )
    if logy:
        ax.set_yscale("log")
        # plain "%g" labels: mathtext tick labels cost ~0.1 s per redraw (widgets)
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    if ylim is not None:
        ax.set_ylim(*ylim)
    if legend:
        _label_axes(ax, "lag k (steps into the past)", ylabel, title)
    else:  # the same finish without the legend (making one to remove it costs ~2 ms a slider move)
        ax.set_xlabel("lag k (steps into the past)")
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    return fig


def plot_total_memory_scaling(
    totals: Mapping[str, tuple[np.ndarray, np.ndarray]],
    reference: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ax=None,
    title: str | None = None,
) -> Figure:
    """Total Fisher memory against network size N (log-log), with reference curves.

    Parameters
    ----------
    totals : mapping of label -> (sizes, J_tot), each ndarray of shape (M,)
        Computed ``J_tot`` per network family, at its own sizes.
    reference : mapping of label -> (sizes, values), optional
        Closed forms drawn dashed (e.g. ``N``, ``ln N + 0.577``).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    Figure

    See chapter 1, section 4.
    """
    if not totals:
        raise ValueError("totals must contain at least one curve")
    if ax is None:
        fig = Figure(figsize=(6.0, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for label, (n, y) in totals.items():
        ax.plot(n, y, "o-", label=label, ms=4)
    for label, (n, y) in (reference or {}).items():
        ax.plot(n, y, "--", color="0.5", lw=1, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("network size N")
    ax.set_ylabel("total Fisher memory J_tot")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


def _explorer_axes(
    fig: Figure | None, key: str, figsize: tuple[float, float], ncols: int, error: bool = False
) -> tuple[Figure, list | None]:
    """An explorer's figure and its row of ``ncols`` axes, emptied for a redraw; ``error``: no axes.

    A slider move redraws the same figure. Clearing it and making new axes costs more than the
    move's numbers: every new axes makes new ticks, tick labels and transforms, all laid out again
    when the figure is shown. So when ``fig`` holds the axes of the last draw of the same explorer
    (``key``), they are kept, emptied of their curves, texts and legends (the figure's too), with
    autoscaling back on:
    what is drawn into them next is what a fresh figure shows, pixel for pixel
    (tests/test_widgets.py). Otherwise (first draw, another explorer, after an error) the
    figure is cleared (or made with ``figsize``) and the axes are new.
    """
    if not error and fig is not None and getattr(fig, "_nnrnn_explorer", None) == (key, ncols):
        for legend in list(fig.legends):
            legend.remove()
        for ax in fig.axes:
            for artist in (*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images):
                artist.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            for loc in ("left", "center", "right"):
                ax.set_title("", loc=loc)
            ax.relim()  # no data left: the data limits start afresh
            ax.set_autoscale_on(True)
        return fig, list(fig.axes)
    fig = _fresh(fig, figsize=figsize)
    fig._nnrnn_explorer = None if error else (key, ncols)
    return fig, (None if error else list(fig.subplots(1, ncols, squeeze=False)[0]))


def plot_memory_explorer(data: MemoryExplorerData, fig: Figure | None = None) -> Figure:
    """Chapter 1's explorer figure: J(k) and transient amplification of one network, sized for the page.

    Draws the network's Fisher memory curve next to ``||W^k v||^2``, with the chain
    at alpha = 1 (``J(k) = 1/(k+1)``) as a dashed reference, and one legend for both
    panels below them. The title names the network and whether the stationary
    covariance or a finite horizon T was used; its second line gives ``J_tot``, the
    spectral radius and the Henrici index. If ``data.error`` is set, the figure says
    why instead.

    Parameters
    ----------
    data : MemoryExplorerData
        From :func:`nnrnn_edu.chapters.ch01.memory_explorer_data`.
    fig : Figure or None
        The figure to redraw in place (widgets pass theirs); ``None`` makes one.

    Returns
    -------
    Figure
        Two axes: ``fig.axes[0]`` holds J(k), ``fig.axes[1]`` the amplification;
        ``fig.legends[0]`` names the curves. :data:`~nnrnn_edu.plotting.style.PAGE_WIDTH_IN`
        wide, no text below :data:`~nnrnn_edu.plotting.style.SMALL_PT`. The margins are fixed
        (no layout engine: a slider move does not lay the figure out again).

    See chapter 1, section 5.
    """
    fig, axes = _explorer_axes(fig, "memory", figsize=(PAGE_WIDTH_IN, 4.0), ncols=2, error=data.error is not None)
    if data.error is not None:
        # a slider can reach networks whose C is beyond float64: say so in the figure
        fig.text(0.5, 0.5, f"cannot compute J(k) here:\n{data.error}", ha="center", va="center", wrap=True)
        return fig
    J = data.J
    ax_j, ax_a = axes
    color = KIND_COLORS[data.kind]
    label = KIND_LABELS[data.kind]
    reference = "chain, alpha = 1: J(k) = 1/(k+1)"
    plot_memory_curves(
        {label: J, reference: data.reference},
        colors={label: color, reference: "0.4"},
        styles={reference: "--"},
        ax=ax_j,
        legend=False,
    )
    ax_j.set_ylim(bottom=max(1e-6, min(1e-4, float(np.min(J[J > 0])) if np.any(J > 0) else 1e-4)))
    plot_memory_curves(
        {label: data.amplification},
        ylabel="signal strength ||W^k v||^2",
        colors={label: color},
        ax=ax_a,
        legend=False,
    )
    # one legend for both panels, below them: the network's colour is the same in both
    fig.legend(*ax_j.get_legend_handles_labels(), loc="lower center", ncols=2, fontsize=SMALL_PT,
               frameon=False, bbox_to_anchor=(0.5, 0.0))
    params = {
        "chain": f"alpha={data.alpha:g}",
        "fbchain": f"alpha={data.alpha:g}, beta={data.beta:g}",
        "identity": f"lambda={data.lam:g}",
        "orthogonal": f"lambda={data.lam:g}",
    }[data.kind]
    where = "stationary C" if data.horizon is None else f"finite horizon T={data.horizon}"
    fig.suptitle(
        f"{label} ({params}), N={data.n}, {where}\n"
        f"J_tot = {data.J_tot:.3g}, spectral radius = {data.spectral_radius:.3g}, Henrici d = {data.henrici:.3g}",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.2, top=0.85, wspace=0.4)
    return fig


__all__ = ["plot_connectivity", "plot_memory_curves", "plot_memory_explorer", "plot_network_graphs", "plot_total_memory_scaling"]

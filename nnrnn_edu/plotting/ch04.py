"""Chapter 4 plots: pseudospectra, the pseudospectrum explorer, hidden-chain weight profiles,
the Henrici index before and after training.

Every ``plot_*`` function only draws: data in, :class:`matplotlib.figure.Figure` out.
The explorer's numbers come from :func:`nnrnn_edu.analysis.pseudospectrum_explorer_data`.
See chapter 4.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps, ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .._validate import finite_float, positive_int, real_array
from ..analysis.hidden_chains import WeightProfile
from ..analysis.pseudospectra import Pseudospectrum, PseudospectrumExplorerData
from ..connectivity import KINDS
from .ch01 import _explorer_axes
from .style import KIND_COLORS, KIND_LABELS, PAGE_WIDTH_IN, SMALL_PT, TASK_LABELS, _fresh, _label_axes

PSEUDOSPECTRUM_LEVELS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8)
"""Default epsilon levels drawn by :func:`plot_pseudospectrum`."""


def plot_pseudospectrum(
    ps: Pseudospectrum,
    eps: float | tuple[float, ...] | list[float] = PSEUDOSPECTRUM_LEVELS,
    highlight: float | None = None,
    color: str | None = None,
    title: str | None = None,
    ax=None,
    legend: bool = True,
) -> Figure:
    """Eigenvalues (points) and epsilon-pseudospectra (contours ``sigma_min(zI - W) = eps``).

    Parameters
    ----------
    ps : Pseudospectrum
        From :func:`nnrnn_edu.analysis.pseudospectrum`: ``sigma`` of shape (n_im, n_re).
    eps : float or sequence of float
        Contour levels (> 0), drawn thin on a log colour scale.
    highlight : float or None
        One more level drawn thick and black (the explorer's epsilon slider).
    color : str or None
        Colour of the eigenvalue markers.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes; otherwise a new figure is made.
    legend : bool
        Give the axes a legend naming each epsilon (:func:`plot_pseudospectra` shares one instead).

    Returns
    -------
    Figure
        The axes has the unit circle (dashed), equal aspect, labels ``Re z`` / ``Im z``,
        and (``legend``) a legend naming each epsilon.

    See chapter 4.
    """
    levels = sorted({finite_float(e, "eps") for e in np.atleast_1d(eps).tolist()})
    if not levels or levels[0] <= 0:
        raise ValueError(f"eps must be positive levels, got {eps!r}")
    if ax is None:
        fig = Figure(figsize=(6.0, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    floor = np.log10(np.maximum(ps.sigma, 1e-300))  # sigma = 0 (underflow / eigenvalue) -> -300
    logs = np.log10(levels)
    colors = colormaps["viridis"](np.linspace(0.0, 0.85, len(levels)))
    handles = []
    if floor.min() < logs.max():
        ax.contour(ps.re, ps.im, floor, levels=logs, colors=colors, linewidths=1.0)
    for lvl, c in zip(levels, colors):
        handles.append(Line2D([], [], color=c, lw=1.0, label=f"ε = {lvl:g}"))
    if highlight is not None:
        h = finite_float(highlight, "highlight")
        if h <= 0:
            raise ValueError(f"highlight must be > 0, got {highlight!r}")
        if floor.min() < np.log10(h) < floor.max():
            ax.contour(ps.re, ps.im, floor, levels=[np.log10(h)], colors="k", linewidths=2.2)
        handles.append(Line2D([], [], color="k", lw=2.2, label=f"ε = {h:g} (slider)"))
    t = np.linspace(0, 2 * np.pi, 361)
    ax.plot(np.cos(t), np.sin(t), "--", color="0.5", lw=0.8)
    handles.append(Line2D([], [], ls="--", color="0.5", lw=0.8, label="unit circle"))
    lam = np.asarray(ps.eigenvalues)
    ax.plot(lam.real, lam.imag, "o", ms=3.5, color=color or "#d62728", zorder=5)
    handles.append(Line2D([], [], ls="", marker="o", ms=3.5, color=color or "#d62728", label="eigenvalues"))
    ax.set_xlim(ps.re[0], ps.re[-1])
    ax.set_ylim(ps.im[0], ps.im[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("Re z")
    ax.set_ylabel("Im z")
    if title:
        ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(handles=handles, fontsize=SMALL_PT, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def plot_pseudospectra(
    pseudospectra: Mapping[str, Pseudospectrum],
    eps: float | tuple[float, ...] | list[float] = PSEUDOSPECTRUM_LEVELS,
    titles: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Several matrices' eigenvalues and epsilon-pseudospectra side by side, one legend for all.

    Parameters
    ----------
    pseudospectra : mapping of name -> Pseudospectrum
        From :func:`nnrnn_edu.analysis.pseudospectrum`; names that are network kinds get the
        book's colour and label.
    eps : float or sequence of float
        Contour levels, the same in every panel (:func:`plot_pseudospectrum`).
    titles : mapping of name -> str, optional
        Panel titles (default: the kind's label, or the name).
    colors : mapping of name -> colour, optional
        Colours of the eigenvalue markers (default: the kind's colour).
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One axes per matrix, two in a row, and one legend below them.

    See chapter 4, sections 2 and 6.
    """
    if not pseudospectra:
        raise ValueError("pseudospectra must contain at least one pseudospectrum")
    n = len(pseudospectra)
    ncols = n if n <= 2 else 2  # panels of at least 3 in: the contours near the unit circle stay apart
    nrows = -(-n // ncols)
    width = min(PAGE_WIDTH_IN, 3.1 * ncols)
    fig = _fresh(fig, figsize=(width, nrows * (width / ncols + 0.1) + 0.6))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    for i, (ax, (name, ps)) in enumerate(zip(axes, pseudospectra.items())):
        color = (colors or {}).get(name, KIND_COLORS.get(name))
        plot_pseudospectrum(ps, eps=eps, color=color, ax=ax, legend=False,
                            title=(titles or {}).get(name, KIND_LABELS.get(name, name)))
        ax.tick_params(labelsize=SMALL_PT)
        if i % ncols:
            ax.set_ylabel("")
        if i < n - ncols:
            ax.set_xlabel("")
    levels = sorted({finite_float(e, "eps") for e in np.atleast_1d(eps).tolist()})
    cmap = colormaps["viridis"](np.linspace(0.0, 0.85, len(levels)))
    handles = [Line2D([], [], color=c, lw=1.0, label=f"ε = {lvl:g}") for lvl, c in zip(levels, cmap)]
    handles += [Line2D([], [], ls="--", color="0.5", lw=0.8, label="unit circle"),
                Line2D([], [], ls="", marker="o", ms=3.5, color="0.3", label="eigenvalues")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4), fontsize=SMALL_PT,
               frameon=False, columnspacing=1.2)
    return fig


def plot_pseudospectrum_explorer(data: PseudospectrumExplorerData, fig: Figure | None = None) -> Figure:
    """Chapter 4's explorer figure: eigenvalues versus epsilon-pseudospectra of one initialiser.

    Draws the fixed levels thin and ``data.eps`` thick (:func:`plot_pseudospectrum`),
    with the spectral radius, the epsilon-pseudospectral radius (grid estimate, "ε-radius") and
    the Henrici index ``d`` in the title's second line.

    Parameters
    ----------
    data : PseudospectrumExplorerData
        From :func:`nnrnn_edu.analysis.pseudospectrum_explorer_data`.
    fig : Figure or None
        The figure to redraw in place (widgets pass theirs): the axes of its last draw are kept
        and drawn into (what a fresh figure shows, pixel for pixel); ``None`` makes one.

    Returns
    -------
    Figure
        One axes (:func:`plot_pseudospectrum`).

    See chapter 4.
    """
    fig, (ax,) = _explorer_axes(fig, "pseudospectrum", figsize=(PAGE_WIDTH_IN, 5.0), ncols=1)
    params = {
        "chain": f"α={data.alpha:g}",
        "fbchain": f"α={data.alpha:g}, β={data.beta:g}",
        "identity": f"λ={data.lam:g}",
        "orthogonal": f"λ={data.lam:g}",
    }[data.kind]
    plot_pseudospectrum(
        data.pseudospectrum,
        highlight=data.eps,
        color=KIND_COLORS[data.kind],
        title=(
            f"{KIND_LABELS[data.kind]} ({params}), N={data.n}\n"
            f"spectral radius {data.spectral_radius:.3g}, ε-radius {data.pseudospectral_radius:.3g} "
            f"(ε={data.eps:g}), d = {data.henrici:.3g}"
        ),
        ax=ax,
    )
    fig.subplots_adjust(left=0.11, right=0.72, bottom=0.11, top=0.88)
    if fig.canvas is not None:
        fig.canvas.draw_idle()
    return fig


def plot_weight_profile(
    profiles: Mapping[str, WeightProfile] | WeightProfile,
    max_lag: int | None = 20,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    ax=None,
) -> Figure:
    """Paper Figure 5: mean ``W_ij`` against the peak-order difference ``i - j``, with s.e.m. band.

    Parameters
    ----------
    profiles : WeightProfile or mapping of label -> WeightProfile
        From :func:`nnrnn_edu.analysis.mean_weight_profile`; labels that are network
        kinds get the book's colour.
    max_lag : int or None
        Show ``|i - j| <= max_lag`` (``None``: everything).
    colors : mapping of label -> colour, optional
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
        One line per profile, a shaded band of ±1 s.e.m. where it is defined
        (two or more networks).

    See chapter 4.
    """
    if isinstance(profiles, WeightProfile):
        profiles = {"": profiles}
    if not profiles:
        raise ValueError("profiles must contain at least one profile")
    if max_lag is not None:
        max_lag = positive_int(max_lag, "max_lag")
    if ax is None:
        fig = Figure(figsize=(5.5, 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for label, p in profiles.items():
        keep = np.ones(p.lags.size, bool) if max_lag is None else np.abs(p.lags) <= max_lag
        c = (colors or {}).get(label, KIND_COLORS.get(label))
        text = f"{KIND_LABELS.get(label, label)} ({p.n_networks} network{'s' if p.n_networks != 1 else ''})"
        (line,) = ax.plot(p.lags[keep], p.mean[keep], "-", color=c, lw=1.6, label=text.strip())
        sem = np.nan_to_num(p.sem[keep], nan=0.0)
        ax.fill_between(p.lags[keep], p.mean[keep] - sem, p.mean[keep] + sem, color=line.get_color(), alpha=0.25)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.axvline(0.0, color="0.6", lw=0.6)
    _label_axes(ax, "order difference i − j (by peak time)", "mean W_ij", title)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # order differences are whole numbers
    return fig


def plot_henrici_before_after(
    before: Mapping[str, "np.ndarray | float"],
    after: Mapping[str, "np.ndarray | float"],
    reference: Mapping[str, tuple[float, float]] | None = None,
    normalized: bool = False,
    title: str | None = None,
    ax=None,
) -> Figure:
    """Henrici index before and after training, per initialiser: bars of mean ± s.e.m.

    Parameters
    ----------
    before, after : mapping of kind -> ndarray of shape (K,) or float
        ``d(W)`` of each network (:func:`nnrnn_edu.analysis.henrici_indices`), at
        initialisation and after training. Kinds in ``after`` set the bar order.
    reference : mapping of kind -> (mean, sem), optional
        Published values, e.g. ``nnrnn_edu.chapters.ch04.PAPER_TABLE2["addition"]``, drawn as
        black diamonds with error bars next to the trained bar.
    normalized : bool
        Only changes the y label (``d(W) / ||W||_F``).
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
        Two ``BarContainer`` objects (before, after) with error bars and value labels.

    See chapter 4.
    """
    kinds = list(after)
    if not kinds:
        raise ValueError("after must contain at least one kind")
    missing = [k for k in kinds if k not in before]
    if missing:
        raise ValueError(f"before lacks the kinds {missing} that after has")

    def stats(x, name: str) -> tuple[float, float]:
        x = np.atleast_1d(real_array(x, name, "array of d(W) values"))
        if x.size == 0 or not np.all(np.isfinite(x)):
            raise ValueError("before/after values must be finite and non-empty")
        return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0

    b = np.array([stats(before[k], f"before[{k!r}]") for k in kinds])
    a = np.array([stats(after[k], f"after[{k!r}]") for k in kinds])
    if ax is None:
        fig = Figure(figsize=(1.6 * len(kinds) + 2.5, 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    x = np.arange(len(kinds))
    colors = [KIND_COLORS.get(k, "0.4") for k in kinds]
    bars_b = ax.bar(x - 0.2, b[:, 0], 0.38, yerr=b[:, 1], color=colors, alpha=0.35, hatch="//",
                    edgecolor=colors, capsize=3, label="at initialisation")
    bars_a = ax.bar(x + 0.2, a[:, 0], 0.38, yerr=a[:, 1], color=colors, capsize=3, label="after training")
    ax.bar_label(bars_b, fmt="%.2f", fontsize=SMALL_PT, padding=2)
    ax.bar_label(bars_a, fmt="%.2f", fontsize=SMALL_PT, padding=2)
    if reference:
        for i, k in enumerate(kinds):
            if k in reference:
                m, s = reference[k]
                ax.errorbar(x[i] + 0.33, m, yerr=s, fmt="D", color="k", ms=4, capsize=2,
                            label="paper (Table 2)" if i == min(j for j, kk in enumerate(kinds) if kk in reference) else None)
    ax.set_xticks(x, [KIND_LABELS.get(k, k) for k in kinds])
    ax.set_ylabel("Henrici index d(W) / ||W||_F" if normalized else "Henrici index d(W)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return fig


def _task_title(task: str, group) -> str:
    """The task's label; for psMNIST the data set its runs used (psFashion-MNIST, psDigits), never called psMNIST."""
    if task == "psmnist" and group is not None and group.runs:
        return group.runs[0].get("dataset", {}).get("name", TASK_LABELS[task])
    return TASK_LABELS.get(task, task)


def plot_henrici_table(
    table: Mapping[str, Mapping[str, Mapping]],
    reference: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    normalized: bool = False,
    fig: Figure | None = None,
) -> Figure:
    """Paper Table 2 as a figure: the Henrici index before and after training, one panel per task.

    Parameters
    ----------
    table : dict
        :func:`nnrnn_edu.chapters.ch04.henrici_table`: ``{task: {init: {"before", "after", ...}}}``.
    reference : mapping or None
        The paper's values ``{task: {init: (mean, sem)}}`` (``ch04.PAPER_TABLE2``), drawn as diamonds.
    normalized : bool
        Only changes the y label (``d(W) / ||W||_F``).
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One :func:`plot_henrici_before_after` axes per task, titled with the task, one legend below.

    See chapter 4, section 4.
    """
    if not table:
        raise ValueError("table must contain at least one task (ch04.henrici_table)")
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 3.0))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, len(table), squeeze=False)[0]
    for i, (ax, (task, rows)) in enumerate(zip(axes, table.items())):
        plot_henrici_before_after({init: row["before"] for init, row in rows.items()},
                                  {init: row["after"] for init, row in rows.items()},
                                  reference=(reference or {}).get(task), normalized=normalized,
                                  title=_task_title(task, next(iter(rows.values())).get("group")), ax=ax)
        ax.get_legend().remove()
        ax.tick_params(labelsize=SMALL_PT)
        if i:
            ax.set_ylabel("")
    handles, labels = {}, {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=len(handles),
               fontsize=SMALL_PT, frameon=False)
    return fig


def plot_figure5(
    profiles: Mapping[str, Mapping[str, Mapping]],
    max_lag: int = 20,
    fig: Figure | None = None,
) -> Figure:
    """Paper Figure 5: mean weight by peak-order difference, before and after training, per task and initialiser.

    The y axis of each panel fits the off-diagonal order differences shown (``0 < |i - j| <= max_lag``):
    the diagonal ``i = j`` (1 for the identity) would flatten everything else, so it may be off the
    scale (its value before and after training is :func:`nnrnn_edu.chapters.ch04.diagonal_weights`).

    Parameters
    ----------
    profiles : dict
        :func:`nnrnn_edu.chapters.ch04.weight_profiles`:
        ``{task: {init: {"initial": WeightProfile, "final": WeightProfile, "group": RunGroup}}}``.
    max_lag : int
        Show ``|i - j| <= max_lag``.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        A row of axes per task, a column per initialiser; each titled with task and initialiser and,
        below, how many runs it averages (``group.label``); one legend below them all.

    See chapter 4, section 5.
    """
    if not profiles:
        raise ValueError("profiles must contain at least one task (ch04.weight_profiles)")
    max_lag = positive_int(max_lag, "max_lag")
    found = dict.fromkeys(init for by_init in profiles.values() for init in by_init)
    inits = [k for k in KINDS if k in found] + [k for k in found if k not in KINDS]  # the same columns for every task
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 2.5 * len(profiles) + 0.5))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(len(profiles), len(inits), squeeze=False)
    for r, (row, (task, by_init)) in enumerate(zip(axes, profiles.items())):
        for c, (ax, init) in enumerate(zip(row, inits)):
            if init not in by_init:  # no usable network (none trained, or every one blew up)
                ax.set_axis_off()
                ax.text(0.5, 0.5, f"{_task_title(task, next(iter(by_init.values()))['group'])}:\nno {KIND_LABELS.get(init, init)} network\nto show",
                        ha="center", va="center", fontsize=9.5, color="0.3", transform=ax.transAxes)
                continue
            p = by_init[init]
            plot_weight_profile({"before training": p["initial"], "after training": p["final"]}, max_lag=max_lag,
                                colors={"before training": "0.55", "after training": KIND_COLORS.get(init, "C0")},
                                title=f"{_task_title(task, p.get('group'))}, {KIND_LABELS.get(init, init)} init\n"
                                      f"{p['group'].label}", ax=ax)
            ax.get_legend().remove()
            ax.title.set_fontsize(9.5)
            ax.tick_params(labelsize=SMALL_PT)
            off = (np.abs(p["final"].lags) <= max_lag) & (p["final"].lags != 0)
            vals = np.concatenate([p[w].mean[off] for w in ("initial", "final")])
            pad = 0.15 * (vals.max() - vals.min()) + 1e-3
            ax.set_ylim(vals.min() - pad, vals.max() + 2 * pad)
            if c:
                ax.set_ylabel("")
            if r < len(profiles) - 1:
                ax.set_xlabel("")
    handles = [Line2D([], [], color="0.55", lw=1.6, label="before training"),
               *[Line2D([], [], color=KIND_COLORS.get(i, "C0"), lw=1.6, label=f"after training ({KIND_LABELS.get(i, i)})")
                 for i in inits],
               Patch(color="0.55", alpha=0.25, label="± 1 s.e.m. over networks")]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=SMALL_PT, frameon=False)
    return fig


__all__ = [
    "PSEUDOSPECTRUM_LEVELS",
    "plot_figure5",
    "plot_henrici_before_after",
    "plot_henrici_table",
    "plot_pseudospectra",
    "plot_pseudospectrum",
    "plot_pseudospectrum_explorer",
    "plot_weight_profile",
]

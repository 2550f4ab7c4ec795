"""Pure plotting functions: data in, :class:`matplotlib.figure.Figure` out.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot`` so
that nothing is displayed or kept alive behind the caller's back: a notebook
shows a figure with ``display(fig)``, a widget redraws into the figure it
owns, a test inspects the returned artists. Functions named ``plot_*_explorer``
are widget callbacks: given ``fig`` they clear it and redraw in place.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from . import connectivity as cx
from . import decoding as dec
from ._validate import finite_float, positive_int
from .memory import IllConditionedError, curve_and_total, transient_amplification

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


def plot_connectivity(
    matrices: Mapping[str, np.ndarray], max_units: int | None = 20, fig: Figure | None = None
) -> Figure:
    """Connectivity matrices as images, one panel each (paper Figure 1a).

    Parameters
    ----------
    matrices : mapping of title -> ndarray, shape (N, N)
        Matrices in the column convention (row i receives from column j).
    max_units : int or None
        Show only the top-left ``max_units x max_units`` block so that single
        connections stay visible; ``None`` shows everything.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure

    See chapter 1, section 1.
    """
    if not matrices:
        raise ValueError("matrices must contain at least one matrix")
    fig = _fresh(fig, figsize=(3.0 * len(matrices), 3.3))
    axes = fig.subplots(1, len(matrices), squeeze=False)[0]
    for ax, (title, W) in zip(axes, matrices.items()):
        W = np.asarray(W, dtype=float)
        shown = W if max_units is None else W[:max_units, :max_units]
        lim = max(float(np.max(np.abs(shown))), 1e-12)
        im = ax.imshow(shown, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("from unit j")
        ax.set_ylabel("to unit i")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if max_units is not None:
        fig.suptitle(f"W[i, j] (first {max_units} units shown)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_memory_curves(
    curves: Mapping[str, np.ndarray],
    ylabel: str = "Fisher memory J(k)",
    logy: bool = True,
    colors: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    title: str | None = None,
    ax=None,
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

    Returns
    -------
    Figure

    See chapter 1, sections 2 and 3.
    """
    if ax is None:
        fig = Figure(figsize=(5.5, 3.8))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for label, y in curves.items():
        y = np.asarray(y, dtype=float)
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
    ax.set_xlabel("lag k (steps into the past)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_total_memory_scaling(
    totals: Mapping[str, tuple[np.ndarray, np.ndarray]],
    reference: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ax=None,
) -> Figure:
    """Total Fisher memory against network size N (log-log), with reference curves.

    Parameters
    ----------
    totals : mapping of label -> (sizes, J_tot), each ndarray of shape (M,)
        Computed ``J_tot`` per network family, at its own sizes.
    reference : mapping of label -> (sizes, values), optional
        Closed forms drawn dashed (e.g. ``N``, ``ln N + 0.577``).

    Returns
    -------
    Figure

    See chapter 1, section 4.
    """
    if not totals:
        raise ValueError("totals must contain at least one curve")
    if ax is None:
        fig = Figure(figsize=(6.0, 4.2))
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
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


def plot_memory_explorer(
    kind: str = "chain",
    n: int = 100,
    alpha: float = 1.5,
    beta: float = 0.05,
    lam: float = 0.99,
    k_max: int | None = None,
    seed: int = 0,
    fig: Figure | None = None,
) -> Figure:
    """Widget callback of chapter 1: J(k) and transient amplification of one network.

    Draws the chosen network's Fisher memory curve next to ``||W^k v||^2``, with
    the chain at alpha = 1 (``J(k) = 1/(k+1)``) as a dashed reference, and puts
    ``J_tot``, the spectral radius and the Henrici index in the title. A
    spectral radius >= 1 uses the finite horizon ``T = k_max`` (said in the title).

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int
        Network size N.
    alpha, beta : float
        Chain forward / feedback weights (``beta`` only for ``"fbchain"``).
    lam : float
        Scale of the normal networks.
    k_max : int or None
        Number of lags shown (default ``2 N``).
    seed : int
        Seed of the random orthogonal matrix and of the normal networks' input vector.
    fig : Figure or None
        The figure to redraw in place (widgets pass theirs); ``None`` makes one.

    Returns
    -------
    Figure
        Two axes: ``fig.axes[0]`` holds J(k), ``fig.axes[1]`` the amplification.

    See chapter 1, section 5.
    """
    W, v = cx.memory_network(kind, n, alpha=alpha, beta=beta, lam=lam, seed=seed)
    k_max = 2 * n if k_max is None else k_max
    rho = cx.spectral_radius(W)
    horizon = None if (rho < 1.0 or kind == "chain") else k_max
    fig = _fresh(fig, figsize=(10, 3.8))
    try:
        J, jtot = curve_and_total(W, v, k_max, horizon=horizon, rho=rho)
    except IllConditionedError as exc:
        # a slider can reach networks whose C is beyond float64: say so in the figure
        fig.text(0.5, 0.5, f"cannot compute J(k) here:\n{exc}", ha="center", va="center", wrap=True)
        return fig
    amp = transient_amplification(W, v, k_max)
    ref = np.where(np.arange(k_max) < n, 1.0 / (np.arange(k_max) + 1.0), 0.0)  # chain, alpha = 1

    ax_j, ax_a = fig.subplots(1, 2)
    color = KIND_COLORS[kind]
    label = KIND_LABELS[kind]
    plot_memory_curves(
        {label: J, "chain, alpha = 1: 1/(k+1)": ref},
        colors={label: color, "chain, alpha = 1: 1/(k+1)": "0.4"},
        styles={"chain, alpha = 1: 1/(k+1)": "--"},
        ax=ax_j,
    )
    ax_j.set_ylim(bottom=max(1e-6, min(1e-4, float(np.min(J[J > 0])) if np.any(J > 0) else 1e-4)))
    plot_memory_curves(
        {label: amp},
        ylabel="signal strength ||W^k v||^2",
        colors={label: color},
        ax=ax_a,
    )
    params = {
        "chain": f"alpha={alpha:g}",
        "fbchain": f"alpha={alpha:g}, beta={beta:g}",
        "identity": f"lambda={lam:g}",
        "orthogonal": f"lambda={lam:g}",
    }[kind]
    where = "stationary C" if horizon is None else f"finite horizon T={horizon}"
    fig.suptitle(
        f"{label} ({params}), N={n}: J_tot = {jtot:.3g}, spectral radius = {rho:.3g}, "
        f"Henrici d = {cx.henrici_index(W):.3g}  [{where}]",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.88, wspace=0.3)
    return fig


# --------------------------------------------------------------------------- chapter 2: decoding

PANEL_TITLES = {
    "linear": "a  linear, no noise",
    "noisy": "b  linear, noise sigma = {sigma:g}",
    "nonlinear": "c  {f}, no noise",
}
"""Panel titles of :func:`plot_decoding_figure` (formatted with the preset's values)."""


def plot_decoding_curves(
    curves: Mapping[str, np.ndarray],
    exact: Mapping[str, np.ndarray] | None = None,
    title: str | None = None,
    ax=None,
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
        y = np.asarray(y, dtype=float)
        ax.plot(np.arange(y.size), y, "-", color=KIND_COLORS.get(name), lw=1.6,
                label=f"{KIND_LABELS.get(name, name)} (simulated)")
        lowest = min(lowest, float(np.min(y)))
    for name, y in (exact or {}).items():
        y = np.asarray(y, dtype=float)
        ax.plot(np.arange(y.size), y, "--", color=KIND_COLORS.get(name, "0.3"), lw=1.2,
                label=f"{KIND_LABELS.get(name, name)} (exact)")
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_ylim(max(-0.5, lowest - 0.05), 1.05)
    ax.set_xlabel("lag k (steps into the past)")
    ax.set_ylabel("decoding R²")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_decoding_figure(
    result: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
    preset: dec.DecodingPreset | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Paper Figure 2: the three decoding panels side by side.

    Parameters
    ----------
    result : dict
        Output of :func:`nnrnn_edu.decoding.figure2_curves`:
        ``{"simulated": {panel: {kind: R2}}, "exact": {panel: {kind: R2}}}``.
    preset : DecodingPreset or None
        For the panel titles (noise level, non-linearity, sizes);
        ``None``: :func:`nnrnn_edu.decoding.decoding_preset`.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One axes per panel, in the order of :data:`nnrnn_edu.decoding.PANELS`.

    See chapter 2.
    """
    p = dec.decoding_preset() if preset is None else preset
    panels = [panel for panel in dec.PANELS if panel in result["simulated"]]
    if not panels:
        raise ValueError(f"result['simulated'] must contain some of the panels {dec.PANELS}")
    fig = _fresh(fig, figsize=(5.0 * len(panels), 3.9))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        plot_decoding_curves(
            result["simulated"][panel],
            result.get("exact", {}).get(panel),
            title=PANEL_TITLES[panel].format(sigma=p.noise_std, f=p.nonlinearity),
            ax=ax,
        )
    fig.suptitle(
        f"Decoding s(L-k) from h(L): N = {p.n}, L = {p.seq_len}, "
        f"{p.n_train} training / {p.n_test} held-out sequences"
        + (" (quick mode)" if p.quick else ""),
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def plot_decoding_explorer(
    noise_std: float = 0.1,
    input_scale: float = 1.0,
    alpha: float = 1.0,
    lam: float = 1.0,
    nonlinearity: str = "elu",
    seq_len: int = 100,
    n: int = 100,
    fig: Figure | None = None,
    quick: bool | None = None,
) -> Figure:
    """Widget callback of chapter 2: chain versus random orthogonal decoding curves.

    Simulates ``h_t = f(W h_{t-1} + v s_t + sigma z_t)`` for the chain
    ``W = chain(N, alpha)``, ``v = input_scale * e_1`` and the random orthogonal
    ``W = lam Q``, ``v = input_scale * u`` (u a random unit vector, seed 0), and
    draws both R^2(k) curves, with the exact curves overlaid where they exist:
    both networks when f is linear (:func:`~nnrnn_edu.decoding.population_r2_curve`),
    the chain when f is non-linear and there is no noise
    (:func:`~nnrnn_edu.decoding.iterated_nonlinearity_r2`; 0 for k >= N).

    To keep one redraw fast the decoder is fitted on the preset's
    ``explorer_n_train`` sequences (1000; 400 in quick mode, at least 4 (N + 1)),
    not the chapter's thousands: the simulated curves sit about
    ``(1 - R^2)(N + 1)/n_train`` (10 % of 1 - R^2 at N = 100) below the exact ones.
    Signals and noise are seeded (seed 0), so the same settings redraw the same curves.

    Parameters
    ----------
    noise_std : float
        sigma >= 0.
    input_scale : float
        Multiplies the unit input vector v (the signal-to-noise ratio with noise,
        how far into the non-linearity without).
    alpha : float
        Chain gain.
    lam : float
        Scale of the orthogonal matrix.
    nonlinearity : {"linear", "identity", "elu", "relu", "tanh"}
    seq_len : int
        L: lags k = 0 .. L-1 are decoded from ``h_L``.
    n : int
        Network size N.
    fig : Figure or None
        The figure to redraw in place (widgets pass theirs); ``None`` makes one.
    quick : bool or None
        Sample sizes of the quick preset; ``None`` follows quick mode.

    Returns
    -------
    Figure
        One axes: two simulated curves, and up to two exact ones.

    See chapter 2, section 4.
    """
    sigma = dec._noise_std(noise_std)
    f = dec._nonlinearity(nonlinearity)
    c = finite_float(input_scale, "input_scale")
    if c == 0:
        raise ValueError("input_scale must be non-zero; the signal never enters the network")
    alpha = finite_float(alpha, "alpha")
    lam = finite_float(lam, "lam")
    L = positive_int(seq_len, "seq_len")
    n = positive_int(n, "n")
    p = dec.decoding_preset(quick)
    n_train = max(p.explorer_n_train, 4 * (n + 1))
    n_test = p.explorer_n_test

    networks = {
        "chain": cx.memory_network("chain", n, alpha=alpha),
        "orthogonal": cx.memory_network("orthogonal", n, lam=lam, seed=0),
    }
    fig = _fresh(fig, figsize=(6.5, 4.2))
    simulated: dict[str, np.ndarray] = {}
    exact: dict[str, np.ndarray] = {}
    try:
        for kind, (W, v) in networks.items():
            v = c * v
            simulated[kind] = dec.r2_curve(
                W, v, L, noise_std=sigma, nonlinearity=f, n_train=n_train, n_test=n_test, seed=0
            )
            if f == "linear":
                exact[kind] = dec.population_r2_curve(W, v, L, sigma)
            elif kind == "chain" and sigma == 0:
                curve = np.zeros(L)  # inputs older than N - 1 steps have left the chain
                depth = min(L, n)
                curve[:depth] = dec.iterated_nonlinearity_r2(f, depth, alpha=alpha, input_scale=c)
                exact[kind] = curve
    except ValueError as exc:
        # a slider can reach networks that overflow float64: say so in the figure
        fig.text(0.5, 0.5, f"cannot decode here:\n{exc}", ha="center", va="center", wrap=True)
        return fig

    ax = fig.add_subplot()
    plot_decoding_curves(simulated, exact, ax=ax)
    ax.set_title(
        f"{f}, noise σ = {sigma:g}, input scale {c:g}; chain α = {alpha:g}, "
        f"orthogonal λ = {lam:g}\nN = {n}, L = {L}; decoder fitted on {n_train} sequences, "
        f"scored on {n_test}",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.12, top=0.87)
    if fig.canvas is not None:
        fig.canvas.draw_idle()
    return fig


def _fresh(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """``fig`` cleared for a redraw, or a new figure."""
    if fig is None:
        return Figure(figsize=figsize)
    fig.clear()
    return fig


__all__ = [
    "KIND_COLORS",
    "KIND_LABELS",
    "PANEL_TITLES",
    "plot_connectivity",
    "plot_decoding_curves",
    "plot_decoding_explorer",
    "plot_decoding_figure",
    "plot_memory_curves",
    "plot_memory_explorer",
    "plot_total_memory_scaling",
]


# --------------------------------------------------------------------------- chapter 4: what training did
# (hidden chains, Henrici index before/after training, pseudospectra)

from matplotlib import colormaps  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from . import analysis as an  # noqa: E402

PSEUDOSPECTRUM_LEVELS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8)
"""Default epsilon levels drawn by :func:`plot_pseudospectrum`."""


def plot_pseudospectrum(
    ps: "an.Pseudospectrum",
    eps: float | tuple[float, ...] | list[float] = PSEUDOSPECTRUM_LEVELS,
    highlight: float | None = None,
    color: str | None = None,
    title: str | None = None,
    ax=None,
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

    Returns
    -------
    Figure
        The axes has the unit circle (dashed), equal aspect, labels ``Re z`` / ``Im z``,
        and a legend naming each epsilon.

    See chapter 4.
    """
    levels = sorted({finite_float(e, "eps") for e in np.atleast_1d(eps).tolist()})
    if not levels or levels[0] <= 0:
        raise ValueError(f"eps must be positive levels, got {eps!r}")
    if ax is None:
        fig = Figure(figsize=(6.6, 5.0))
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.1, right=0.74)
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
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def plot_pseudospectrum_explorer(
    kind: str = "chain",
    n: int = 100,
    alpha: float = 1.0,
    beta: float = 0.04,
    lam: float = 1.0,
    eps: float = 1e-2,
    n_grid: int = 80,
    seed: int = 0,
    fig: Figure | None = None,
) -> Figure:
    """Widget callback of chapter 4: eigenvalues versus epsilon-pseudospectra of one initialiser.

    Builds W with :func:`nnrnn_edu.connectivity.memory_network` (``alpha`` is also
    the forward weight of ``"fbchain"``), computes ``sigma_min(zI - W)`` on an
    ``n_grid x n_grid`` grid (:func:`nnrnn_edu.analysis.pseudospectrum`; about
    0.4 s at N = 100, 80 x 80) and draws the fixed levels thin, ``eps`` thick, with
    the spectral radius, the epsilon-pseudospectral radius (grid estimate) and the
    Henrici index in the title.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int
        Network size N.
    alpha, beta : float
        Chain forward / feedback weights.
    lam : float
        Scale of the normal networks.
    eps : float
        The highlighted epsilon (> 0).
    n_grid : int
        Grid points per axis.
    seed : int
        Seed of the random orthogonal matrix.
    fig : Figure or None
        The figure to redraw in place (widgets pass theirs); ``None`` makes one.

    Returns
    -------
    Figure
        One axes (:func:`plot_pseudospectrum`).

    See chapter 4.
    """
    eps = finite_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    W, _ = cx.memory_network(kind, n, alpha=alpha, beta=beta, lam=lam, seed=seed)
    ps = an.pseudospectrum(W, n_grid=n_grid)
    fig = _fresh(fig, figsize=(7.0, 5.4))
    ax = fig.add_subplot()
    params = {
        "chain": f"α={alpha:g}",
        "fbchain": f"α={alpha:g}, β={beta:g}",
        "identity": f"λ={lam:g}",
        "orthogonal": f"λ={lam:g}",
    }[kind]
    rho = float(np.max(np.abs(ps.eigenvalues)))
    rho_eps = an.pseudospectral_radius(ps, eps)
    plot_pseudospectrum(
        ps,
        highlight=eps,
        color=KIND_COLORS[kind],
        title=(
            f"{KIND_LABELS[kind]} ({params}), N={n}\n"
            f"spectral radius {rho:.3g}; ε-pseudospectral radius ≈ {rho_eps:.3g} (ε={eps:g}); "
            f"Henrici d = {cx.henrici_index(W):.3g}"
        ),
        ax=ax,
    )
    ax.title.set_fontsize(9)
    fig.subplots_adjust(left=0.1, right=0.76, bottom=0.1, top=0.9)
    if fig.canvas is not None:
        fig.canvas.draw_idle()
    return fig


def plot_weight_profile(
    profiles: "Mapping[str, an.WeightProfile] | an.WeightProfile",
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
    if isinstance(profiles, an.WeightProfile):
        profiles = {"": profiles}
    if not profiles:
        raise ValueError("profiles must contain at least one profile")
    if max_lag is not None:
        max_lag = positive_int(max_lag, "max_lag")
    if ax is None:
        fig = Figure(figsize=(5.5, 3.8))
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
    ax.set_xlabel("order difference i − j (by peak time)")
    ax.set_ylabel("mean W_ij")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
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
        Published values, e.g. ``nnrnn_edu.analysis.PAPER_TABLE2["addition"]``, drawn as
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

    def stats(x) -> tuple[float, float]:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        if x.size == 0 or not np.all(np.isfinite(x)):
            raise ValueError("before/after values must be finite and non-empty")
        return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0

    b = np.array([stats(before[k]) for k in kinds])
    a = np.array([stats(after[k]) for k in kinds])
    if ax is None:
        fig = Figure(figsize=(1.6 * len(kinds) + 2.5, 3.8))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    x = np.arange(len(kinds))
    colors = [KIND_COLORS.get(k, "0.4") for k in kinds]
    bars_b = ax.bar(x - 0.2, b[:, 0], 0.38, yerr=b[:, 1], color=colors, alpha=0.35, hatch="//",
                    edgecolor=colors, capsize=3, label="at initialisation")
    bars_a = ax.bar(x + 0.2, a[:, 0], 0.38, yerr=a[:, 1], color=colors, capsize=3, label="after training")
    ax.bar_label(bars_b, fmt="%.2f", fontsize=7, padding=2)
    ax.bar_label(bars_a, fmt="%.2f", fontsize=7, padding=2)
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


__all__ += [
    "PSEUDOSPECTRUM_LEVELS",
    "plot_henrici_before_after",
    "plot_pseudospectrum",
    "plot_pseudospectrum_explorer",
    "plot_weight_profile",
]

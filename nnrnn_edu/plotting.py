"""Pure plotting functions: data in, :class:`matplotlib.figure.Figure` out.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot`` so
that nothing is displayed or kept alive behind the caller's back: a notebook
shows a figure with ``display(fig)``, a widget redraws into the figure it
owns, a test inspects the returned artists. Functions named ``plot_*_explorer``
are widget callbacks: given ``fig`` they clear it and redraw in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
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
    _label_axes(ax, "lag k (steps into the past)", ylabel, title)
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
    _label_axes(ax, "lag k (steps into the past)", "decoding R²", title)
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
    ``explorer_n_train`` sequences (1000, and at least 10 (N + 1)),
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
    n_train = max(p.explorer_n_train, 10 * (n + 1))
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


# --------------------------------------------------------------------------- chapter 3: training

TASK_LABELS = {"copy": "copy", "addition": "addition", "psmnist": "psMNIST"}
"""Display names of the training tasks."""


def plot_task_examples(
    copy_example: tuple[np.ndarray, np.ndarray],
    addition_example: tuple[np.ndarray, float],
    pixel_example: tuple[np.ndarray, np.ndarray, int, str],
    fig: Figure | None = None,
) -> Figure:
    """One sequence of each benchmark task (chapter 3, section 1).

    Parameters
    ----------
    copy_example : (inputs, targets)
        ``inputs`` shape (T, 10) one-hot symbols (0 blank, 1..8 symbols, 9 cue);
        ``targets`` shape (T,) class indices (0 until the last 10 steps).
    addition_example : (inputs, target)
        ``inputs`` shape (T, 2) holding ``[mask, signal]``; ``target`` the sum.
    pixel_example : (sequence, permutation, label, name)
        ``sequence`` shape (T,) the permuted pixels fed one per step,
        ``permutation`` shape (T,) the pixel order, ``label`` the digit,
        ``name`` ``"psMNIST"`` or ``"psDigits"``.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        Three axes: copy, addition, permuted pixels (with the unpermuted image inset).

    See chapter 3, section 1.
    """
    x_copy = np.asarray(copy_example[0], dtype=float)
    y_copy = np.asarray(copy_example[1])
    x_add = np.asarray(addition_example[0], dtype=float)
    seq = np.asarray(pixel_example[0], dtype=float).ravel()
    perm = np.asarray(pixel_example[1]).ravel()
    if x_copy.ndim != 2 or y_copy.shape != (x_copy.shape[0],):
        raise ValueError(f"copy_example must be (inputs (T, 10), targets (T,)), got shapes {x_copy.shape}, {y_copy.shape}")
    if x_add.ndim != 2 or x_add.shape[1] != 2:
        raise ValueError(f"addition_example inputs must have shape (T, 2), got {x_add.shape}")
    if seq.shape != perm.shape:
        raise ValueError(f"pixel_example sequence and permutation must have the same length, got {seq.shape}, {perm.shape}")
    fig = _fresh(fig, figsize=(14, 3.6))
    ax_copy, ax_add, ax_pix = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1.0, 1.0]})

    T = x_copy.shape[0]
    symbols = x_copy.argmax(axis=1)
    ax_copy.imshow(x_copy.T, aspect="auto", cmap="Greys", interpolation="nearest", origin="lower")
    out = np.flatnonzero(y_copy)
    ax_copy.scatter(out, y_copy[out], s=14, color=KIND_COLORS["chain"], label="target symbols", zorder=3)
    ax_copy.set_xlabel("time step t")
    ax_copy.set_ylabel("input symbol (one-hot row)")
    ax_copy.set_title(f"copy, T = {T}: 10 symbols, blanks, cue 9 at t = {int(np.argmax(symbols == 9))}", fontsize=9)
    ax_copy.legend(fontsize=8, loc="center left")

    t = np.arange(x_add.shape[0])
    marked = np.flatnonzero(x_add[:, 0])
    ax_add.plot(t, x_add[:, 1], lw=0.8, color="0.5", label="signal ~ U[0, 1)")
    ax_add.scatter(marked, x_add[marked, 1], color=KIND_COLORS["chain"], zorder=3, label="marked (mask = 1)")
    ax_add.set_xlabel("time step t")
    ax_add.set_ylabel("input value")
    ax_add.set_title(f"addition, T = {x_add.shape[0]}: target = sum of marked = {float(addition_example[1]):.3f}",
                     fontsize=9)
    ax_add.legend(fontsize=8, loc="upper right")

    ax_pix.plot(np.arange(seq.size), seq, lw=0.8, color="0.3")
    ax_pix.set_xlabel("time step t (one pixel per step)")
    ax_pix.set_ylabel("pixel intensity")
    ax_pix.set_title(f"{pixel_example[3]}, T = {seq.size}: digit {int(pixel_example[2])}, pixels permuted", fontsize=9)
    side = int(round(np.sqrt(seq.size)))
    if side * side == seq.size:
        image = np.empty(seq.size)
        image[perm] = seq  # undo the permutation for the inset
        inset = ax_pix.inset_axes([0.72, 0.55, 0.26, 0.42])
        inset.imshow(image.reshape(side, side), cmap="Greys")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title("unpermuted", fontsize=7)
    fig.tight_layout()
    return fig


def plot_figure3(summary: Mapping[str, Mapping], source: str = "", fig: Figure | None = None) -> Figure:
    """Paper Figure 3: best validation curve per initialiser (top) and success counts (bottom), per task.

    Parameters
    ----------
    summary : dict
        Output of :func:`nnrnn_edu.sweep.summarize`:
        ``{task: {"baseline_loss", "success_threshold", "models": {init: row}}}``;
        each row's ``best_setting`` gives the curve (mean over seeds, shaded s.e.m.)
        and its ``n_success``/``n_runs`` the bar.
    source : str
        Where the results come from (e.g. ``"quick run on CPU"`` or
        ``"full-scale GPU results in results/"``); shown in the title.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        Two rows of axes, one column per task (in the order copy, addition, psMNIST).

    See chapter 3, section 4.
    """
    tasks = [t for t in ("copy", "addition", "psmnist") if t in summary] + [
        t for t in summary if t not in ("copy", "addition", "psmnist")
    ]
    if not tasks:
        raise ValueError("summary must contain at least one task (is the results directory empty?)")
    fig = _fresh(fig, figsize=(4.8 * len(tasks), 7.0))
    axes = fig.subplots(2, len(tasks), squeeze=False)
    for col, task in enumerate(tasks):
        entry = summary[task]
        models = entry["models"]
        ax = axes[0, col]
        for init, row in models.items():
            best = row.get("best_setting")
            if best is None or len(best["update"]) == 0:
                continue
            n_seeds = len(best["seeds"])
            label = (f"{KIND_LABELS.get(init, init)} (scale {best['init_scale']:g}, lr {best['lr']:g}, "
                     f"{n_seeds} seed{'s' if n_seeds > 1 else ''})")
            color = KIND_COLORS.get(init)
            mean, sem = best["val_loss_mean"], best["val_loss_sem"]
            ax.plot(best["update"], mean, "-", lw=1.6, color=color, label=label)
            if n_seeds > 1:
                ax.fill_between(best["update"], np.maximum(mean - sem, 1e-12), mean + sem, color=color, alpha=0.2)
        if entry.get("baseline_loss") is not None:
            ax.axhline(entry["baseline_loss"], color="0.3", ls="--", lw=1, label="memoryless baseline")
        if entry.get("success_threshold") is not None:
            ax.axhline(entry["success_threshold"], color="0.3", ls=":", lw=1, label="success: 50 % of baseline")
        ax.set_yscale("log")
        ax.set_xlabel("parameter updates")
        ax.set_ylabel("validation loss (best setting)")
        ax.set_title(TASK_LABELS.get(task, task), fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")

        ax = axes[1, col]
        names = list(models)
        counts = [models[i]["n_success"] for i in names]
        totals = [models[i]["n_runs"] for i in names]
        bars = ax.bar(range(len(names)), counts, color=[KIND_COLORS.get(i, "0.5") for i in names])
        for bar, c, n in zip(bars, counts, totals):
            ax.annotate(f"{c}/{n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(names)), [KIND_LABELS.get(i, i) for i in names], rotation=15, fontsize=8)
        ax.set_ylabel("successful runs")
        ax.set_ylim(0, max(totals + [1]) * 1.15)
    import textwrap

    width = int(fig.get_figwidth() * 11)  # characters per line at fontsize 9
    title = "Training with non-normal initialisers (paper Figure 3)"
    if source:
        title += "\n" + textwrap.fill(source, width)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_training_history(results: Sequence[Mapping], ax=None) -> Figure:
    """Validation (solid) and training (dotted) loss of one or more runs against updates.

    Parameters
    ----------
    results : sequence of dict
        Result records (:func:`nnrnn_edu.train.train`), each with ``history``
        (``update``, ``val_loss``, ``train_loss``), ``name``, ``baseline_loss``
        and ``success_threshold``.
    ax : matplotlib Axes, optional
        Draw into this axes; otherwise a new figure is made.

    Returns
    -------
    Figure

    See chapter 3, section 3.
    """
    if isinstance(results, Mapping) or not results:
        raise ValueError("results must be a non-empty sequence of result records")
    if ax is None:
        fig = Figure(figsize=(6.5, 3.8))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for r in results:
        h = r["history"]
        color = KIND_COLORS.get(r["config"]["init"])
        ax.plot(h["update"], h["val_loss"], "-o", ms=3, color=color, label=f"{r['name']} validation")
        ax.plot(h["update"], h["train_loss"], ":", color=color, label=f"{r['name']} training")
    first = results[0]
    ax.axhline(first["baseline_loss"], color="0.3", ls="--", lw=1, label="memoryless baseline")
    ax.axhline(first["success_threshold"], color="0.3", ls=":", lw=1, label="success: 50 % of baseline")
    ax.set_yscale("log")
    ax.set_xlabel("parameter updates")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


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


__all__ = [
    "KIND_COLORS",
    "KIND_LABELS",
    "PANEL_TITLES",
    "plot_connectivity",
    "plot_decoding_curves",
    "plot_decoding_explorer",
    "plot_decoding_figure",
    "plot_figure3",
    "plot_task_examples",
    "plot_training_history",
    "TASK_LABELS",
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
    _label_axes(ax, "order difference i − j (by peak time)", "mean W_ij", title)
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

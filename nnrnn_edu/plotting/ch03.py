"""Chapter 3 plots: one sequence of each task, paper Figure 3, training histories.

Every ``plot_*`` function only draws: data in, :class:`matplotlib.figure.Figure` out. See chapter 3.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .style import KIND_COLORS, KIND_LABELS, TASK_LABELS, _fresh


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


def plot_figure3(
    summary: Mapping[str, Mapping],
    source: str = "",
    fig: Figure | None = None,
    reference: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> Figure:
    """Paper Figure 3: best validation curve per initialiser (top) and success counts (bottom), per task.

    Parameters
    ----------
    summary : dict
        Output of :func:`nnrnn_edu.sweep.summarize`:
        ``{task: {"baseline_loss", "success_threshold", "models": {init: row}}}``;
        each row's ``best_setting`` gives the curve (mean over seeds, shaded s.e.m.)
        and its ``n_success``/``n_runs`` the bar.
    source : str
        Where the results come from (e.g. a :class:`~nnrnn_edu.chapters.results.Sources` caption); shown in the title.
    fig : Figure or None
        Figure to draw into (cleared first).
    reference : mapping or None
        The paper's success counts, ``{task: {init: (n_success, n_runs)}}`` (e.g.
        ``{"copy": ch03.PAPER_COPY_SUCCESS}``). When given for a task, its bottom panel shows the
        fraction of successful runs, ours (solid, labelled ``c/n``) beside the paper's (hatched,
        labelled ``paper c/n``), since the two grids differ in size.

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
            blown = best.get("n_blown_up", 0)
            label = (f"{KIND_LABELS.get(init, init)} (scale {best['init_scale']:g}, lr {best['lr']:g}, "
                     f"{n_seeds} seed{'s' if n_seeds > 1 else ''}{f'; {blown} more blew up' if blown else ''})")
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
        ax.set_title(entry.get("dataset", task) if task == "psmnist" else TASK_LABELS.get(task, task), fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")

        ax = axes[1, col]
        names = list(models)
        counts = [models[i]["n_success"] for i in names]
        totals = [models[i]["n_runs"] for i in names]
        colors = [KIND_COLORS.get(i, "0.5") for i in names]
        ref = (reference or {}).get(task)
        if ref is None:
            bars = ax.bar(range(len(names)), counts, color=colors)
            for bar, c, n in zip(bars, counts, totals):
                ax.annotate(f"{c}/{n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8)
            ax.set_ylabel("successful runs")
            ax.set_ylim(0, max(totals + [1]) * 1.15)
        else:
            x = np.arange(len(names))
            ours = [c / n if n else 0.0 for c, n in zip(counts, totals)]
            bars = ax.bar(x - 0.2, ours, width=0.4, color=colors, label="ours")
            for bar, c, n in zip(bars, counts, totals):
                ax.annotate(f"{c}/{n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8)
            pc = [ref.get(i, (0, 0)) for i in names]
            pbars = ax.bar(x + 0.2, [c / n if n else 0.0 for c, n in pc], width=0.4, color="white",
                           edgecolor=colors, hatch="///", label="paper")
            for bar, (c, n) in zip(pbars, pc):
                if n:
                    ax.annotate(f"paper\n{c}/{n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                                ha="center", va="bottom", fontsize=7)
            ax.set_ylabel("fraction of runs successful")
            ax.set_ylim(0, max(ours + [0.1]) * 1.35)
            ax.legend(fontsize=7, loc="upper left")
        ax.set_xticks(range(len(names)), [KIND_LABELS.get(i, i) for i in names], rotation=15, fontsize=8)
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


__all__ = ["plot_figure3", "plot_task_examples", "plot_training_history"]

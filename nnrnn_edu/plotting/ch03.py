"""Chapter 3 plots: one sequence of each task, paper Figure 3 (curves, success counts), training histories.

Every ``plot_*`` function only draws: data in, :class:`matplotlib.figure.Figure` out. See chapter 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import KIND_COLORS, KIND_LABELS, PAGE_WIDTH_IN, SMALL_PT, TASK_LABELS, _fresh


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
        Three axes: copy (top, the page's width), addition and permuted pixels (with the
        unpermuted image inset) below it.

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
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 4.6))
    fig.set_layout_engine("constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.15])
    ax_copy = top.subplots()
    ax_add, ax_pix = bottom.subplots(1, 2)

    T = x_copy.shape[0]
    symbols = x_copy.argmax(axis=1)
    ax_copy.imshow(x_copy.T, aspect="auto", cmap="Greys", interpolation="nearest", origin="lower")
    out = np.flatnonzero(y_copy)
    ax_copy.scatter(out, y_copy[out], s=14, color=KIND_COLORS["chain"], label="target symbols", zorder=3)
    ax_copy.set_xlabel("time step t")
    ax_copy.set_ylabel("input symbol")
    ax_copy.set_title(f"copy, T = {T}: 10 symbols, blanks, cue 9 at t = {int(np.argmax(symbols == 9))}", fontsize=10)
    ax_copy.legend(fontsize=SMALL_PT, loc="center")  # over the blanks

    t = np.arange(x_add.shape[0])
    marked = np.flatnonzero(x_add[:, 0])
    ax_add.plot(t, x_add[:, 1], lw=0.8, color="0.5", label="signal ~ U[0, 1)")
    ax_add.scatter(marked, x_add[marked, 1], color=KIND_COLORS["chain"], zorder=3, label="marked (mask = 1)")
    ax_add.set_xlabel("time step t")
    ax_add.set_ylabel("input value")
    ax_add.set_ylim(0, 1.45)  # room for the legend above the signal
    ax_add.set_title(f"addition, T = {x_add.shape[0]}\ntarget = sum of marked = {float(addition_example[1]):.3f}",
                     fontsize=10)
    ax_add.legend(fontsize=SMALL_PT, loc="upper left", ncol=2, handlelength=1.2, columnspacing=0.8)

    ax_pix.plot(np.arange(seq.size), seq, lw=0.8, color="0.3")
    ax_pix.set_xlabel("time step t (one pixel per step)")
    ax_pix.set_ylabel("pixel intensity")
    ax_pix.set_ylim(0, 1.6)  # room for the inset
    ax_pix.set_title(f"{pixel_example[3]}, T = {seq.size}\ndigit {int(pixel_example[2])}, pixels permuted", fontsize=10)
    side = int(round(np.sqrt(seq.size)))
    if side * side == seq.size:
        image = np.empty(seq.size)
        image[perm] = seq  # undo the permutation for the inset
        inset = ax_pix.inset_axes([0.66, 0.6, 0.33, 0.38])
        inset.imshow(image.reshape(side, side), cmap="Greys")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_xlabel("unpermuted", fontsize=SMALL_PT, labelpad=1)
    for ax in (ax_copy, ax_add, ax_pix):
        ax.tick_params(labelsize=SMALL_PT)
    return fig


def _tasks_of(summary: Mapping[str, Mapping]) -> list[str]:
    tasks = [t for t in ("copy", "addition", "psmnist") if t in summary] + [
        t for t in summary if t not in ("copy", "addition", "psmnist")
    ]
    if not tasks:
        raise ValueError("summary must contain at least one task (is the results directory empty?)")
    return tasks


def _task_title(summary: Mapping[str, Mapping], task: str) -> str:
    # the psMNIST slot is named by the data set it used (psFashion-MNIST, psDigits), never called psMNIST
    return summary[task].get("dataset", task) if task == "psmnist" else TASK_LABELS.get(task, task)


def plot_figure3_curves(summary: Mapping[str, Mapping], fig: Figure | None = None) -> Figure:
    """Paper Figure 3a-c: per task, the best setting's validation curve of each initialiser.

    Parameters
    ----------
    summary : dict
        Output of :func:`nnrnn_edu.training.summarize`:
        ``{task: {"baseline_loss", "success_threshold", "models": {init: row}}}``; each row's
        ``best_setting`` gives the curve: the mean over its seeds, shaded ±1 s.e.m. Which setting
        that is (scale, learning rate, seeds, seeds that blew up) is
        :func:`nnrnn_edu.chapters.ch03.best_settings_text`, printed beside the figure.
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One axes per task (copy, addition, psMNIST), log-scale losses, one legend below them;
        each curve's label is its initialiser.

    See chapter 3, section 4.
    """
    tasks = _tasks_of(summary)
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 2.9))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    shown: dict[str, None] = {}
    for ax, task in zip(axes, tasks):
        entry = summary[task]
        drawn = 0
        for init, row in entry["models"].items():
            best = row.get("best_setting")
            if best is None or len(best["update"]) == 0:
                continue
            shown[init] = None
            drawn += 1
            color = KIND_COLORS.get(init)
            mean, sem = best["val_loss_mean"], best["val_loss_sem"]
            ax.plot(best["update"], mean, "-", lw=1.6, color=color, label=KIND_LABELS.get(init, init))
            if len(best["seeds"]) > 1:
                ax.fill_between(best["update"], np.maximum(mean - sem, 1e-12), mean + sem, color=color, alpha=0.2)
        if entry.get("baseline_loss") is not None:
            ax.axhline(entry["baseline_loss"], color="0.3", ls="--", lw=1, label="memoryless baseline")
        if entry.get("success_threshold") is not None:
            ax.axhline(entry["success_threshold"], color="0.3", ls=":", lw=1, label="success: 50 % of baseline")
        ax.set_yscale("log")
        ax.set_xlabel("parameter updates", fontsize=9)
        ax.set_title(_task_title(summary, task), fontsize=10)
        ax.tick_params(labelsize=SMALL_PT, which="both")
        _plain_log_labels(ax.yaxis)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=3, integer=True))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"))
        ax.grid(alpha=0.3, which="both")
        if not drawn:  # e.g. every run so far blew up
            ax.text(0.5, 0.5, "no run trained\nwithout blowing up", transform=ax.transAxes, ha="center",
                    va="center", fontsize=SMALL_PT, color="0.3")
            ax.set_xticks([])
    axes[0].set_ylabel("validation loss (best setting)", fontsize=9)
    handles = [Line2D([], [], color=KIND_COLORS.get(i), lw=1.6, label=KIND_LABELS.get(i, i)) for i in shown]
    handles += [Line2D([], [], color="0.3", ls="--", lw=1, label="memoryless baseline"),
                Line2D([], [], color="0.3", ls=":", lw=1, label="success line (50 % of it)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=SMALL_PT, frameon=False,
               columnspacing=1.2, handlelength=1.8)
    return fig


def _plain_log_labels(axis) -> None:
    """Tick labels of a log axis as plain numbers (0.2, not 2x10^-1); minor ticks at 2 and 5 x 10^k labelled
    only when the axis spans less than two decades."""
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))

    def minor(v, _):
        lo, hi = axis.get_view_interval()
        mantissa = round(v / 10 ** np.floor(np.log10(v)), 6)
        return f"{v:g}" if hi / lo < 100 and mantissa in (2.0, 5.0) else ""

    axis.set_minor_formatter(ticker.FuncFormatter(minor))


def plot_figure3_counts(
    summary: Mapping[str, Mapping],
    reference: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Paper Figure 3d-f: per task, how many runs of each initialiser succeeded.

    Parameters
    ----------
    summary : dict
        Output of :func:`nnrnn_edu.training.summarize` (each row's ``n_success`` and ``n_runs``).
    reference : mapping or None
        The paper's success counts, ``{task: {init: (n_success, n_runs)}}`` (e.g.
        ``{"copy": ch03.PAPER_COPY_SUCCESS}``). For such a task the panel shows the fraction of
        successful runs, ours (solid, labelled ``c/n``) above the paper's (hatched, labelled
        ``paper c/n``), since the two grids differ in size; otherwise the count (labelled ``c/n``).
    fig : Figure or None
        Figure to draw into (cleared first).

    Returns
    -------
    Figure
        One axes per task with horizontal bars, the initialisers named once on the left.

    See chapter 3, section 4.
    """
    tasks = _tasks_of(summary)
    fig = _fresh(fig, figsize=(PAGE_WIDTH_IN, 2.3))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, len(tasks), sharey=True, squeeze=False)[0]
    names = list(dict.fromkeys(i for t in tasks for i in summary[t]["models"]))
    y = np.arange(len(names))
    for ax, task in zip(axes, tasks):
        models = summary[task]["models"]
        counts = [models[i]["n_success"] if i in models else 0 for i in names]
        totals = [models[i]["n_runs"] if i in models else 0 for i in names]
        colors = [KIND_COLORS.get(i, "0.5") for i in names]
        ref = (reference or {}).get(task)
        if ref is None:
            bars = ax.barh(y, counts, height=0.6, color=colors)
            labels = [f"{c}/{n}" for c, n in zip(counts, totals)]
            ax.set_xlim(0, max(totals + [1]) * 1.35)
            ax.set_xlabel("successful runs", fontsize=9)
        else:
            ours = [c / n if n else 0.0 for c, n in zip(counts, totals)]
            bars = ax.barh(y - 0.2, ours, height=0.38, color=colors, label="ours")
            labels = [f"{c}/{n}" for c, n in zip(counts, totals)]
            pc = [ref.get(i, (0, 0)) for i in names]
            pbars = ax.barh(y + 0.2, [c / n if n else 0.0 for c, n in pc], height=0.38, color="white",
                            edgecolor=colors, hatch="///", label="paper")
            ax.bar_label(pbars, [f"paper {c}/{n}" if n else "" for c, n in pc], padding=2, fontsize=SMALL_PT)
            ax.set_xlim(0, max(ours + [0.1]) * 1.6)
            ax.set_xlabel("fraction successful", fontsize=9)
        ax.bar_label(bars, labels, padding=2, fontsize=SMALL_PT)
        ax.set_title(_task_title(summary, task), fontsize=10)
        ax.tick_params(labelsize=SMALL_PT)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=3))
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(y, [KIND_LABELS.get(i, i) for i in names], fontsize=9)
    axes[0].invert_yaxis()  # the first initialiser on top
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
        fig = Figure(figsize=(6.5, 3.8), layout="constrained")
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
    _plain_log_labels(ax.yaxis)
    ax.set_xlabel("parameter updates")
    ax.set_ylabel("loss")
    ax.legend(fontsize=SMALL_PT)
    ax.grid(alpha=0.3, which="both")
    return fig


__all__ = ["plot_figure3_counts", "plot_figure3_curves", "plot_task_examples", "plot_training_history"]

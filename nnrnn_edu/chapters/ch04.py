"""Chapter 4, what training does to the network: its CPU runs, Table 2 and Figure 5 from trained runs.

:func:`trained_runs` gets trained networks at one tier (the committed cpu-tier runs of chapter 3,
the full tier's when they exist, or the quick grid :func:`chapter4_grid` trained now;
:mod:`nnrnn_edu.chapters.results`);
:func:`select_runs` keeps the successful ones, as the paper does;
:func:`henrici_table` and :func:`weight_profiles` reduce them to the paper's
Table 2 and Figure 5 with the numerics of :mod:`nnrnn_edu.analysis`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from .. import config as _config
from .. import tasks as _tasks
from .._validate import positive_int
from ..analysis import PULSE_STEPS, henrici_indices, mean_weight_profile
from ..connectivity import KINDS
from ..training.records import load_model
from ..training.config import resolve_tier
from ..training.records import check_writable
from ..training.summary import blown_up
from ..training.sweep import SweepGrid, grid
from .results import Sources, tier_results, tier_results_dir

PAPER_TABLE2 = {
    "addition": {"identity": (2.33, 1.02), "orthogonal": (2.74, 0.07)},
    "psmnist": {"identity": (1.01, 0.12), "orthogonal": (2.72, 0.08)},
}
"""Paper Table 2: unnormalised Henrici index ``d(W)``, mean and s.e.m. over the
successfully trained networks (addition with T = 750, psMNIST), per initialiser."""

CHAPTER4_TASKS: tuple[str, ...] = ("addition", "psmnist")
"""Tasks of the paper's Table 2 and Figure 5."""

CHAPTER4_INITS: tuple[str, ...] = ("identity", "orthogonal")
"""Initialisers of the paper's Table 2 and Figure 5 (the normal ones, lambda = 1)."""

CHAPTER4_LEARNING_RATES: dict[str, tuple[float, ...]] = {"addition": (3e-4, 2e-4), "psmnist": (1e-3, 5e-4)}
"""Learning rates of chapter 4's quick-tier runs, per task (measured: with these most runs succeed;
orthogonal networks on addition mostly fail at 1e-3 within the budget)."""

CHAPTER4_SEEDS: tuple[int, ...] = (1, 2, 3)
"""Seeds of chapter 4's quick-tier runs."""

CHAPTER4_UPDATES: dict[str, int] = {"addition": 1200, "psmnist": 1600}
"""Updates per run of chapter 4's quick-tier runs, per task (chapter 3's 400 are too few to succeed)."""


def chapter4_grid(task: str, inits: Iterable[str] = CHAPTER4_INITS) -> SweepGrid:
    """Chapter 4's grid at the quick tier: normal networks trained until most succeed, in about a minute.

    The quick presets of :func:`nnrnn_edu.training.sweep.grid` (addition with T = 60, psDigits for
    psMNIST), lambda = 1, learning rates :data:`CHAPTER4_LEARNING_RATES`, seeds
    :data:`CHAPTER4_SEEDS` and budgets :data:`CHAPTER4_UPDATES`: 2 x 2 x 3 = 12 runs per task (about
    45 s for both tasks on two CPU cores). A smoke run, not the paper's experiment; the cpu and full
    tiers analyse the runs of chapter 3's grid instead.

    Parameters
    ----------
    task : {"addition", "psmnist"}
        Any task of :data:`nnrnn_edu.tasks.TASKS` is accepted; copy has no settings of its own
        here and uses addition's.
    inits : iterable of str
        Initialisers, each at scale 1.0.

    Returns
    -------
    nnrnn_edu.training.sweep.SweepGrid

    """
    if task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {task!r}")
    inits = _inits(inits)
    updates = CHAPTER4_UPDATES.get(task, CHAPTER4_UPDATES["addition"])
    return grid(
        task, tier="quick", inits=list(inits), scales={i: (1.0,) for i in inits},
        lrs=CHAPTER4_LEARNING_RATES.get(task, CHAPTER4_LEARNING_RATES["addition"]), seeds=CHAPTER4_SEEDS,
        max_updates=updates, eval_every=updates // 4,
    )


def _inits(inits: Any) -> tuple[str, ...]:
    if isinstance(inits, str):
        inits = (inits,)
    try:
        out = tuple(inits)
    except TypeError:
        raise ValueError(f"inits must be a sequence of initialisers from {KINDS}, got {inits!r}") from None
    if not out or any(i not in KINDS for i in out):
        raise ValueError(f"inits must be a non-empty sequence of initialisers from {KINDS}, got {inits!r}")
    return out


def _tasks_arg(tasks: Any) -> tuple[str, ...]:
    if isinstance(tasks, str):
        tasks = (tasks,)
    try:
        out = tuple(tasks)
    except TypeError:
        raise ValueError(f"tasks must be a sequence of tasks from {_tasks.TASKS}, got {tasks!r}") from None
    if not out or any(t not in _tasks.TASKS for t in out):
        raise ValueError(f"tasks must be a non-empty sequence of tasks from {_tasks.TASKS}, got {tasks!r}")
    return out


def trained_runs(
    tasks: Iterable[str] = CHAPTER4_TASKS,
    inits: Iterable[str] = CHAPTER4_INITS,
    results_dir: str | None = None,
    tier: str | None = None,
    train: bool | None = None,
    progress: bool = True,
    fallback: bool = True,
) -> tuple[list[dict], Sources]:
    """Trained networks for chapter 4 at one tier, and where they come from.

    Quick tier: :func:`chapter4_grid`, trained now into ``<results_dir>/quick/chapter4/<task>``
    (finished runs are reused, so running the chapter again costs nothing). Cpu and full tiers: the
    runs of these initialisers in chapter 3's grid of the tier
    (:func:`nnrnn_edu.training.sweep.grid`), read from ``<results_dir>/<tier>/<task>``.

    Parameters
    ----------
    tasks : iterable of str
        Tasks, default :data:`CHAPTER4_TASKS`.
    inits : iterable of str
        Initialisers, default :data:`CHAPTER4_INITS`.
    results_dir : str or None
        None: :func:`~nnrnn_edu.chapters.results.tier_results_dir` (the committed results for the
        cpu tier).
    tier : {"quick", "cpu", "full"} or None
        None follows :func:`nnrnn_edu.config.tier`.
    train : bool or None
        Train unfinished runs first; None: only at the quick tier.
    progress : bool
        tqdm progress bars while training.
    fallback : bool
        When the cpu or full tier has no finished run of a task (its sweep has not reached it yet),
        use the quick tier's grid for that task instead (trained now, about a minute), and say so:
        that task's :class:`~nnrnn_edu.chapters.results.Source` is then of the quick tier.

    Returns
    -------
    runs : list of dict
        Final result records (with ``path``), diverged runs included (they have no weights and are
        left out by the analyses). Load a network with :func:`nnrnn_edu.training.records.load_model`.
    sources : Sources
        One :class:`~nnrnn_edu.chapters.results.Source` per task; ``str(sources)`` is the caption.

    """
    tasks = _tasks_arg(tasks)
    inits = _inits(inits)
    t = resolve_tier(None, tier)
    if train is None:
        train = t == "quick"
    rd = tier_results_dir(t) if results_dir is None else os.fspath(results_dir)
    if train:
        check_writable(rd, "results_dir" if results_dir is not None else f"${_config.RESULTS_DIR_ENV_VAR} (the results directory)")
    runs: list[dict] = []
    sources, problems = [], []
    for task in tasks:
        if t == "quick":
            g, out = chapter4_grid(task, inits), os.path.join(rd, "quick", "chapter4", task)
        else:
            g, out = grid(task, tier=t, inits=list(inits)), os.path.join(rd, t, task)
        got, source, bad = tier_results(g, out, t, train, progress)
        if not got and t != "quick" and fallback:
            problems += bad
            g, out = chapter4_grid(task, inits), os.path.join(rd, "quick", "chapter4", task)
            check_writable(rd, "results_dir" if results_dir is not None else f"${_config.RESULTS_DIR_ENV_VAR} (the results directory)")
            got, source, bad = tier_results(g, out, "quick", True, progress)
        runs += got
        sources.append(source)
        problems += bad
    return runs, Sources(sources, problems)


class RunGroup(NamedTuple):
    """The runs of one task and initialiser that an analysis uses, and why those.

    Attributes
    ----------
    runs : list of dict
        The selected result records (all have trained weights).
    n_runs : int
        Final runs of this task and initialiser (diverged ones included).
    n_success : int
        Of those, the successful ones (final validation loss below half the baseline).
    successful_only : bool
        True when ``runs`` are the successful runs; False when none succeeded and
        ``runs`` are all runs with weights that did not blow up (the fallback).
    label : str
        E.g. ``"5 of 6 runs successful"``, ``"0 of 6 runs successful: all 6 trained runs shown"``
        or ``"0 of 8 successful, 5 blew up: the other 3 shown"``.

    """

    runs: list
    n_runs: int
    n_success: int
    successful_only: bool
    label: str


def select_runs(runs: Iterable[dict], fallback: bool = True) -> dict[str, dict[str, RunGroup]]:
    """Group runs by task and initialiser and keep the successful ones (the paper's selection).

    Parameters
    ----------
    runs : iterable of dict
        Result records, e.g. from :func:`trained_runs`. Runs still ``"running"``
        are ignored.
    fallback : bool
        When no run of a group succeeded, keep all its runs with trained weights that did
        not blow up (:func:`nnrnn_edu.training.blown_up`: diverged, or a final loss above
        1000 x the baseline, whose weights say nothing about what training does), labelled
        so, instead of none.

    Returns
    -------
    dict
        ``{task: {init: RunGroup}}``; groups with no usable run are left out.

    """
    if isinstance(runs, (str, bytes, dict)):
        raise ValueError("runs must be an iterable of result records (dicts)")
    groups: dict[str, dict[str, list[dict]]] = {}
    for r in runs:
        if not isinstance(r, dict) or "config" not in r or "status" not in r:
            raise ValueError(f"runs must hold result records with 'config' and 'status', got {type(r).__name__}")
        if r["status"] == "running":
            continue
        groups.setdefault(r["config"]["task"], {}).setdefault(r["config"]["init"], []).append(r)
    out: dict[str, dict[str, RunGroup]] = {}
    for task, by_init in groups.items():
        for init, rs in by_init.items():
            rs = sorted(rs, key=lambda r: r["name"])
            ok = [r for r in rs if r.get("success") and r.get("weights_file")]
            n_success = sum(bool(r.get("success")) for r in rs)
            if ok:
                grp = RunGroup(ok, len(rs), n_success, True, f"{n_success} of {len(rs)} runs successful")
            elif fallback:
                usable = [r for r in rs if r.get("weights_file") and not blown_up(r)]
                if not usable:
                    continue
                n_blown = sum(blown_up(r) for r in rs)
                label = (f"0 of {len(rs)} runs successful: all {len(usable)} trained runs shown" if not n_blown else
                         f"0 of {len(rs)} successful, {n_blown} blew up: the other {len(usable)} shown")
                grp = RunGroup(usable, len(rs), n_success, False, label)
            else:
                continue
            out.setdefault(task, {})[init] = grp
    return out


def first_successful_task(
    selection: dict[str, dict[str, RunGroup]],
    init: str,
    prefer: Iterable[str] = CHAPTER4_TASKS,
) -> str:
    """The task whose networks of one initialiser to show as an example: successful ones first.

    Parameters
    ----------
    selection : dict
        From :func:`select_runs`.
    init : str
        Initialiser, e.g. ``"orthogonal"``.
    prefer : iterable of str
        Tasks in order of preference.

    Returns
    -------
    str
        The first task of ``prefer`` whose ``init`` group holds successful runs; if none does, the
        first that has the group at all (its runs are then unsuccessful: see its ``label``).

    """
    if not _is_selection(selection) or not selection:
        raise ValueError("selection must be a non-empty result of select_runs")
    order = _tasks_arg(prefer)
    have = [t for t in order if init in selection.get(t, {})]
    if not have:
        raise ValueError(f"selection has no {init!r} networks for any task of prefer={order}")
    return next((t for t in have if selection[t][init].successful_only), have[0])


def _mean_sem(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()), (float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan"))


def henrici_table(
    runs: Iterable[dict] | dict[str, dict[str, RunGroup]],
    normalized: bool = False,
    fallback: bool = True,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Paper Table 2 from trained runs: Henrici index before and after training, per task and initialiser.

    Parameters
    ----------
    runs : iterable of dict, or the output of :func:`select_runs`
        Result records with stored weights (:func:`trained_runs`); only successful
        runs count, as in the paper (see :func:`select_runs` for the fallback).
    normalized : bool
        ``d(W) / ||W||_F`` instead of the paper's unnormalised ``d(W)``.
    fallback : bool
        Passed to :func:`select_runs`.

    Returns
    -------
    dict
        ``{task: {init: row}}``; each row has ``before`` and ``after`` (ndarray,
        shape (K,): ``d(W)`` of each selected network as initialised and as
        trained), ``before_mean_sem`` and ``after_mean_sem`` ((mean, s.e.m.);
        s.e.m. is NaN for K = 1), ``paper`` ((mean, s.e.m.) of :data:`PAPER_TABLE2`
        or None), ``n`` (K), and ``group`` (the :class:`RunGroup`).

    """
    groups = runs if _is_selection(runs) else select_runs(runs, fallback)  # type: ignore[arg-type]
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for task, by_init in groups.items():
        for init, grp in by_init.items():
            before = henrici_indices(
                [load_model(r, "initial").recurrent_matrix() for r in grp.runs], normalized=normalized)
            after = henrici_indices(
                [load_model(r, "final").recurrent_matrix() for r in grp.runs], normalized=normalized)
            table.setdefault(task, {})[init] = {
                "before": before, "after": after,
                "before_mean_sem": _mean_sem(before), "after_mean_sem": _mean_sem(after),
                "paper": PAPER_TABLE2.get(task, {}).get(init), "n": len(grp.runs), "group": grp,
            }
    return table


def _is_selection(x: Any) -> bool:
    return isinstance(x, dict) and all(
        isinstance(v, dict) and all(isinstance(g, RunGroup) for g in v.values()) for v in x.values()
    )


def _pm(ms: tuple[float, float] | None) -> str:
    if ms is None:
        return "-"
    m, s = ms
    return f"{m:.2f} ± {s:.2f}" if np.isfinite(s) else f"{m:.2f}"


def henrici_table_text(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Plain-text Table 2: ours before and after training next to the paper's, one line per task and init.

    Parameters
    ----------
    table : dict
        From :func:`henrici_table`.

    Returns
    -------
    str
        Columns: task, initialiser, runs used, d(W) at initialisation, after
        training (mean ± s.e.m.), paper (mean ± s.e.m.).

    """
    if not isinstance(table, dict) or not table:
        raise ValueError("table must be a non-empty result of henrici_table")
    w = max([26] + [len(row["group"].label) for by_init in table.values() for row in by_init.values()])
    head = f"{'task':<9} {'init':<11} {'networks':<{w}} {'d(W) initial':>14} {'d(W) trained':>14} {'paper (trained)':>16}"
    lines = [head, "-" * len(head)]
    for task, by_init in table.items():
        for init, row in by_init.items():
            lines.append(
                f"{task:<9} {init:<11} {row['group'].label:<{w}} {_pm(row['before_mean_sem']):>14} "
                f"{_pm(row['after_mean_sem']):>14} {_pm(row['paper']):>16}"
            )
    return "\n".join(lines)


def weight_profiles(
    runs: Iterable[dict] | dict[str, dict[str, RunGroup]],
    n_steps: int = PULSE_STEPS,
    seed: int = 0,
    input_channel: int | None = None,
    fallback: bool = True,
    **order_kw: Any,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Paper Figure 5 from trained runs: mean weight profiles before and after training.

    Each selected network is rebuilt as initialised and as trained
    (:func:`nnrnn_edu.training.records.load_model`) and reduced to :func:`mean_weight_profile`
    (pulse on ``input_channel``; for addition the signal channel by default, see
    :func:`networks_from_rnn`).

    Parameters
    ----------
    runs : iterable of dict, or the output of :func:`select_runs`
        Result records with stored weights; successful runs only, as in the paper.
    n_steps : int
        Steps after the pulse (paper: 100).
    seed : int
        Seed of the tie-breaking jitter (the same for every group).
    input_channel : int or None
        See :func:`networks_from_rnn`.
    fallback : bool
        Passed to :func:`select_runs`.
    **order_kw :
        ``jitter``, ``use_abs``, ``subtract_baseline`` of :func:`peak_time_order`.

    Returns
    -------
    dict
        ``{task: {init: {"initial": WeightProfile, "final": WeightProfile, "group": RunGroup}}}``;
        each profile has ``lags``, ``mean`` and ``sem`` of shape (2N - 1,).

    """
    n_steps = positive_int(n_steps, "n_steps")
    groups = runs if _is_selection(runs) else select_runs(runs, fallback)  # type: ignore[arg-type]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for task, by_init in groups.items():
        for init, grp in by_init.items():
            prof = {
                which: mean_weight_profile(
                    [load_model(r, which) for r in grp.runs], n_steps=n_steps, seed=seed,
                    input_channel=input_channel, **order_kw,
                )
                for which in ("initial", "final")
            }
            out.setdefault(task, {})[init] = {**prof, "group": grp}
    return out


def diagonal_weights(profiles: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, tuple[float, float]]]:
    """The diagonal ``i = j`` of each weight profile, before and after training (mean self-connection).

    Figure 5's panels scale their y axes to the off-diagonal weights, so the diagonal (1 for the
    identity) may be off the scale: this is its value.

    Parameters
    ----------
    profiles : dict
        :func:`weight_profiles`.

    Returns
    -------
    dict
        ``{task: {init: (before, after)}}``.
    """
    return {task: {init: tuple(float(p[w].mean[p[w].lags == 0][0]) for w in ("initial", "final"))
                   for init, p in by_init.items()}
            for task, by_init in profiles.items()}


__all__ = [
    "CHAPTER4_INITS", "CHAPTER4_LEARNING_RATES", "CHAPTER4_SEEDS", "CHAPTER4_TASKS", "CHAPTER4_UPDATES",
    "PAPER_TABLE2", "RunGroup", "chapter4_grid", "diagonal_weights", "henrici_table", "henrici_table_text", "select_runs",
    "trained_runs", "weight_profiles",
]

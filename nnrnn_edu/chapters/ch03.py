"""Chapter 3, training with non-normal initialisers: Figure 3 at each tier, beside the paper's numbers.

:func:`figure3_results` reads (and, for the quick tier, trains) one tier's grid per task
(:mod:`nnrnn_edu.chapters.results`) and summarises it; :data:`PAPER_COPY_SUCCESS` holds the only
success counts the paper states in numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .. import config as _config
from .. import tasks as _tasks
from ..training.config import resolve_tier
from ..training.records import check_writable
from ..training.summary import MODEL_ORDER, load_results, summarize
from ..training.sweep import grid
from .results import Sources, committed_results_dir, tier_results, tier_results_dir

PAPER_COPY_SUCCESS: dict[str, tuple[int, int]] = {
    "identity": (0, 594),
    "orthogonal": (0, 594),
    "chain": (46, 462),
    "fbchain": (11, 462),
}
"""Successful runs out of runs on copy (T = 500) in the paper (section 2.3.1): "none of the runs for
the normal models", "46 out of 462 runs for the chain model and 11 out of 462 runs for the feedback
chain model". For addition and psMNIST the paper gives the counts only as bars (Figure 3e-f)."""


def figure3_results(
    results_dir: str | None = None,
    tasks: Sequence[str] = _tasks.TASKS,
    tier: str | None = None,
    train: bool | None = None,
    progress: bool = True,
) -> tuple[dict, Sources]:
    """Figure 3 at one tier: the finished runs of the tier's grid per task, summarised.

    Parameters
    ----------
    results_dir : str or None
        None: :func:`~nnrnn_edu.chapters.results.tier_results_dir` (the committed results for the
        cpu tier). Each task's runs live in ``<results_dir>/<tier>/<task>``.
    tasks : sequence of str
    tier : {"quick", "cpu", "full"} or None
        None follows :func:`nnrnn_edu.config.tier`.
    train : bool or None
        Train the grid's unfinished runs first. None: only for the quick tier (minutes); the cpu
        tier's runs are committed (``make results-cpu`` trains them, hours) and the full tier's
        are trained on a GPU (chapter 3, section 5).
    progress : bool
        tqdm progress bars while training.

    Returns
    -------
    summary : dict
        :func:`~nnrnn_edu.training.summary.summarize` of the runs found (a task with none is absent).
    sources : Sources
        One :class:`~nnrnn_edu.chapters.results.Source` per task; ``str(sources)`` is the caption.
    """
    if isinstance(tasks, str) or not tasks or any(t not in _tasks.TASKS for t in tasks):
        raise ValueError(f"tasks must be a non-empty sequence of {_tasks.TASKS}, got {tasks!r}")
    t = resolve_tier(None, tier)
    rd = tier_results_dir(t) if results_dir is None else os.fspath(results_dir)
    if train is None:
        train = t == "quick"
    if train:
        check_writable(rd, "results_dir" if results_dir is not None else f"${_config.RESULTS_DIR_ENV_VAR} (the results directory)")
    chosen: list[dict] = []
    sources, problems = [], []
    for task in tasks:
        runs, source, bad = tier_results(grid(task, tier=t), os.path.join(rd, t, task), t, train, progress)
        chosen += runs
        sources.append(source)
        problems += bad
    return (summarize(chosen) if chosen else {}), Sources(sources, problems)


README_RUN: dict[str, float | int | str] = {"task": "copy", "init": "chain", "init_scale": 1.02, "lr": 5e-5, "seed": 3}
"""The one setting the authors published (their README's example command), part of the cpu grid."""


def grid_runs(task: str, results_dir: str | None = None, tier: str | None = None) -> list[dict]:
    """The finished runs of a tier's grid for one task (what Figure 3 summarises), without training.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    results_dir, tier
        As for :func:`figure3_results`.

    Returns
    -------
    list of dict
        Result records (with ``path``), sorted by name.
    """
    if task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {task!r}")
    t = resolve_tier(None, tier)
    rd = tier_results_dir(t) if results_dir is None else os.fspath(results_dir)
    runs, _, _ = tier_results(grid(task, tier=t), os.path.join(rd, t, task), t)
    return runs


def readme_run(results_dir: str | None = None, tier: str | None = None) -> dict | None:
    """The tier's finished run of the authors' README setting (:data:`README_RUN`), or None.

    Parameters
    ----------
    results_dir : str or None
        As for :func:`figure3_results`.
    tier : {"quick", "cpu", "full"} or None
        None follows :func:`nnrnn_edu.config.tier`. The quick grid does not hold the setting (None).

    Returns
    -------
    dict or None
        The result record (with ``path``).
    """
    t = resolve_tier(None, tier)
    g = grid("copy", tier=t)
    runs = grid_runs("copy", results_dir, t)
    want = g.base.replace(init=README_RUN["init"], init_scale=README_RUN["init_scale"], lr=README_RUN["lr"],
                          seed=README_RUN["seed"]).run_name()
    return next((r for r in runs if r["name"] == want), None)


def first_crossing(result: Mapping) -> int | None:
    """The first update at which a run's validation loss was below its success line, or None.

    Parameters
    ----------
    result : dict
        A result record (``history`` and ``success_threshold``).

    Returns
    -------
    int or None
    """
    if not isinstance(result, Mapping) or "history" not in result or "success_threshold" not in result:
        raise ValueError("result must be a result record with 'history' and 'success_threshold'")
    line = result["success_threshold"]
    for u, v in zip(result["history"]["update"], result["history"]["val_loss"]):
        if v is not None and v < line:
            return int(u)
    return None


def wilson_interval(successes: int, runs: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a success fraction (95 % for ``z = 1.96``).

    With a handful of runs per initialiser, a count is mostly seed noise; this interval says how much.
    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or n successes.

    Parameters
    ----------
    successes, runs : int
        ``0 <= successes <= runs``, ``runs >= 1``.
    z : float
        Standard-normal quantile of the interval (1.96: 95 %).

    Returns
    -------
    (float, float)
        Lower and upper bound of the fraction.

    Raises
    ------
    ValueError
        If the counts are not integers with ``0 <= successes <= runs`` and ``runs >= 1``, or ``z <= 0``.
    """
    for name, v in (("successes", successes), ("runs", runs)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {v!r}")
    if runs < 1 or not 0 <= successes <= runs:
        raise ValueError(f"need 0 <= successes <= runs and runs >= 1, got successes={successes}, runs={runs}")
    if not (isinstance(z, (int, float)) and z > 0):
        raise ValueError(f"z must be a positive number, got {z!r}")
    p = successes / runs
    denom = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denom
    half = z * np.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denom
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def success_table(models: Mapping[str, Mapping], reference: Mapping[str, tuple[int, int]] | None = None) -> str:
    """Successful runs per initialiser with their 95 % Wilson interval, beside the paper's when given.

    Parameters
    ----------
    models : mapping
        ``summary[task]["models"]`` of :func:`~nnrnn_edu.training.summary.summarize`.
    reference : mapping or None
        The paper's ``{init: (successes, runs)}`` (e.g. :data:`PAPER_COPY_SUCCESS`).

    Returns
    -------
    str
    """
    head = f"  {'model':<11} {'ours':>7} {'fraction':>9} {'95% interval':>14}"
    lines = [head + (f" {'paper':>9} {'fraction':>9}" if reference else "")]
    for init, m in models.items():
        k, n = int(m["n_success"]), int(m["n_runs"])
        lo, hi = wilson_interval(k, n) if n else (float("nan"), float("nan"))
        line = f"  {init:<11} {f'{k}/{n}':>7} {k / n if n else float('nan'):>9.1%} {f'{lo:.0%}-{hi:.0%}':>14}"
        if reference and init in reference:
            pk, pn = reference[init]
            line += f" {f'{pk}/{pn}':>9} {pk / pn:>9.1%}"
        lines.append(line)
    return "\n".join(lines)


def sweep_hours(runs: Iterable[Mapping]) -> float:
    """Core-hours a sweep took: the wall time of each batched ensemble (one CPU thread each), summed.

    Parameters
    ----------
    runs : iterable of mapping
        Final result records; members of one ensemble share ``timing.ensemble_id`` and its wall time.

    Returns
    -------
    float
        Hours. Runs without timing (trained alone) count their own wall time.
    """
    ensembles: dict[str, float] = {}
    for r in runs:
        t = r.get("timing") or {}
        key = t.get("ensemble_id") or r.get("name")
        ensembles[key] = max(ensembles.get(key, 0.0), float(t.get("wall_time_s") or 0.0))
    return sum(ensembles.values()) / 3600


def results_markdown(summary: Mapping[str, Mapping], sources: Sources, hours: Mapping[str, float] | None = None) -> str:
    """A Markdown table of a tier's success counts per task and initialiser, the paper's copy counts beside.

    The README's table of the cpu tier is this function's output for the committed results (a test
    checks it), so it cannot go stale.

    Parameters
    ----------
    summary : dict
        :func:`~nnrnn_edu.training.summary.summarize` of the tier's runs (:func:`figure3_results`).
    sources : Sources
        Where they came from (:func:`figure3_results`): names each task's data set and T.
    hours : mapping or None
        Core-hours per task (:func:`sweep_hours`), shown in a last column when given.

    Returns
    -------
    str
        One row per task: data set and T, then ``successes/runs`` per initialiser.
    """
    if not summary or not isinstance(summary, Mapping):
        raise ValueError("summary must hold at least one task (figure3_results)")
    inits = ("identity", "orthogonal", "chain", "fbchain")
    names = {"identity": "identity", "orthogonal": "orthogonal", "chain": "chain", "fbchain": "chain with feedback"}
    head = ["task", *(names[i] for i in inits)] + (["core-hours"] if hours is not None else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task, row in summary.items():
        models = row["models"]
        cells = [sources[task].short.split(":")[0]]
        for i in inits:
            m = models.get(i)
            cells.append(f"{m['n_success']}/{m['n_runs']}" if m else "-")
        if hours is not None:
            cells.append(f"{hours[task]:.1f}" if task in hours else "-")
        lines.append("| " + " | ".join(cells) + " |")
    paper = ["copy, the paper (full grid)", *(f"{k}/{n}" for k, n in (PAPER_COPY_SUCCESS[i] for i in inits))]
    lines.append("| " + " | ".join(paper + (["-"] if hours is not None else [])) + " |")
    return "\n".join(lines)


def best_settings_text(summary: Mapping[str, Mapping]) -> str:
    """Which setting each curve of Figure 3 shows: per task and initialiser, the best scale and learning rate.

    The best setting is the one with the lowest mean final validation loss over its seeds, seeds that
    blew up (diverged or exploded) left out and counted (:func:`nnrnn_edu.training.summarize`).

    Parameters
    ----------
    summary : dict
        :func:`~nnrnn_edu.training.summary.summarize` (each row's ``best_setting``).

    Returns
    -------
    str
        One line per task and initialiser: scale, learning rate, seeds averaged, seeds that blew up,
        mean final validation loss.
    """
    lines = [f"  {'task':<9} {'model':<11} {'scale':>6} {'lr':>8}  seeds  {'blew up':>7}  mean final loss"]
    for task, entry in summary.items():
        for init, row in entry["models"].items():
            b = row.get("best_setting")
            if b is None:
                lines.append(f"  {task:<9} {init:<11} {'-':>6} {'-':>8}  {'-':>5}  {'-':>7}  every run blew up")
                continue
            lines.append(f"  {task:<9} {init:<11} {b['init_scale']:>6g} {b['lr']:>8g}  {len(b['seeds']):>5}  "
                         f"{b.get('n_blown_up', 0):>7}  {b['mean_final_val_loss']:.4g}")
    return "\n".join(lines)


PILOT_DIR = os.path.join("cpu", "pilot")
"""Where the pilot that chose the cpu tier's grid lies, below the results directory (committed)."""


def pilot_runs(results_dir: str | None = None) -> list[dict]:
    """The runs of the pilot that chose the cpu tier's grid (committed in ``results/cpu/pilot``).

    Parameters
    ----------
    results_dir : str or None
        None: the repository's committed results
        (:func:`~nnrnn_edu.chapters.results.committed_results_dir`, fetched once outside a checkout).

    Returns
    -------
    list of dict
        Result records.

    Raises
    ------
    ValueError
        If the pilot's directory is missing or holds no result.
    """
    rd = results_dir if results_dir is not None else committed_results_dir()
    path = os.path.join(os.fspath(rd), PILOT_DIR)
    runs = load_results(path) if os.path.isdir(path) else []
    if not runs:
        raise ValueError(f"no pilot results in {path!r} (they are committed with the repository: clone it)")
    return list(runs)


class PilotCell(NamedTuple):
    """One run of the pilot: where it ended.

    Attributes
    ----------
    status : str
    updates : int
    final_val_loss, best_val_loss : float
        NaN when the run recorded none (it diverged before its first validation).
    """

    status: str
    updates: int
    final_val_loss: float
    best_val_loss: float


def pilot_grid(runs: Iterable[Mapping]) -> dict[str, dict[tuple[str, float], PilotCell]]:
    """The pilot's runs as ``{task: {(init, lr): PilotCell}}`` (one seed per cell).

    Parameters
    ----------
    runs : iterable of dict
        Final result records of the pilot (:func:`nnrnn_edu.training.summary.load_results`).

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        If ``runs`` holds no record or two records of one task, initialiser and learning rate.
    """
    out: dict[str, dict[tuple[str, float], PilotCell]] = {}
    for r in runs:
        if not isinstance(r, Mapping) or "config" not in r:
            raise ValueError(f"runs must hold result records, got {type(r).__name__}")
        if r["status"] == "running":
            continue
        c = r["config"]
        key = (c["init"], float(c["lr"]))
        cells = out.setdefault(c["task"], {})
        if key in cells:
            raise ValueError(f"runs holds two pilot runs of {c['task']} {key}; the pilot has one seed per cell")
        nan = float("nan")
        cells[key] = PilotCell(r["status"], int(r["updates"]),
                               nan if r.get("final_val_loss") is None else float(r["final_val_loss"]),
                               nan if r.get("best_val_loss") is None else float(r["best_val_loss"]))
    if not out:
        raise ValueError("runs holds no finished pilot run")
    return out


def pilot_table_text(grid_: Mapping[str, Mapping[tuple[str, float], PilotCell]]) -> str:
    """A plain-text table per task: final validation loss per initialiser (rows) and learning rate (columns).

    ``diverged`` marks a run that became NaN/inf; ``exploded`` one whose loss is finite but more than
    a thousand times the baseline.

    Parameters
    ----------
    grid_ : dict
        :func:`pilot_grid`.

    Returns
    -------
    str
    """
    lines = []
    order = [t for t in _tasks.TASKS if t in grid_] + [t for t in grid_ if t not in _tasks.TASKS]
    for task in order:
        cells = grid_[task]
        baseline = _tasks.baseline_loss(task, _tasks.task_spec(task).seq_len)
        lrs = sorted({lr for _, lr in cells}, reverse=True)
        inits = [i for i in MODEL_ORDER if any(k[0] == i for k in cells)]
        updates = max(c.updates for c in cells.values())
        lines.append(f"{task}: final validation loss after {updates} updates (baseline {baseline:.4g}, "
                     f"success below {_tasks.SUCCESS_FRACTION * baseline:.4g})")
        lines.append("  " + f"{'':<11}" + "".join(f"{f'lr {lr:g}':>12}" for lr in lrs))
        for init in inits:
            row = []
            for lr in lrs:
                c = cells.get((init, lr))
                if c is None:
                    row.append("-")
                elif c.status == "diverged":
                    row.append("diverged")
                elif c.final_val_loss > 1000 * baseline:
                    row.append("exploded")
                else:
                    row.append(f"{c.final_val_loss:.4f}")
            lines.append("  " + f"{init:<11}" + "".join(f"{v:>12}" for v in row))
    return "\n".join(lines)


__all__ = ["PAPER_COPY_SUCCESS", "PILOT_DIR", "PilotCell", "figure3_results", "pilot_grid", "pilot_runs",
           "README_RUN", "best_settings_text", "first_crossing", "grid_runs", "readme_run", "success_table", "wilson_interval", "pilot_table_text"]

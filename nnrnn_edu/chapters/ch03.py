"""Chapter 3, training with non-normal initialisers: Figure 3 at each tier, beside the paper's numbers.

:func:`figure3_results` reads (and, for the quick tier, trains) one tier's grid per task
(:mod:`nnrnn_edu.chapters.results`) and summarises it; :data:`PAPER_COPY_SUCCESS` holds the only
success counts the paper states in numbers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .. import config as _config
from .. import tasks as _tasks
from ..training.config import resolve_tier
from ..training.records import check_writable
from ..training.summary import summarize
from ..training.sweep import grid
from .results import Sources, tier_results

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
        None: :func:`nnrnn_edu.config.results_dir`. Each task's runs live in
        ``<results_dir>/<tier>/<task>``.
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
    rd = _config.results_dir() if results_dir is None else os.fspath(results_dir)
    if isinstance(tasks, str) or not tasks or any(t not in _tasks.TASKS for t in tasks):
        raise ValueError(f"tasks must be a non-empty sequence of {_tasks.TASKS}, got {tasks!r}")
    t = resolve_tier(None, tier)
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


__all__ = ["PAPER_COPY_SUCCESS", "figure3_results"]

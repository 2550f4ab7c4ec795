"""Chapter 3, training with non-normal initialisers: its CPU sweep and Figure 3's results.

:func:`chapter_grid` is the small sweep the chapter trains on a CPU when there
are no full-scale results; :func:`figure3_results` gets Figure 3 from the best
results available and says where they come from (:mod:`nnrnn_edu.chapters.results`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .. import config as _config
from .. import tasks as _tasks
from ..training.records import check_writable
from ..training.summary import summarize
from ..training.sweep import SweepGrid, grid
from .results import Sources, found_results, results_or_train

CHAPTER_SEEDS: tuple[int, ...] = (1, 2)
"""Seeds of the CPU sweep that chapter 3 runs outside quick mode (``make book``)."""

CHAPTER_UPDATES = 1200
"""Updates per run of that CPU sweep (the quick grid has 400)."""


def chapter_grid(task: str, quick: bool | None = None) -> SweepGrid:
    """The small CPU sweep of chapter 3 for one task.

    Quick mode: :func:`~nnrnn_edu.training.sweep.grid` ``(task, quick=True)`` (8 runs of 400
    updates). Otherwise the same scales and learning rates with :data:`CHAPTER_SEEDS` and
    :data:`CHAPTER_UPDATES` updates (16 runs): a few minutes for all three tasks on two CPU cores.
    Neither is the paper's experiment (``grid(task, quick=False)`` is).

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    quick : bool or None
        None follows :func:`nnrnn_edu.config.quick_mode`.

    Returns
    -------
    SweepGrid
    """
    if quick is None:
        quick = _config.quick_mode()
    if quick:
        return grid(task, quick=True)
    return grid(task, quick=True, seeds=CHAPTER_SEEDS, max_updates=CHAPTER_UPDATES,
                eval_every=CHAPTER_UPDATES // 8)


def figure3_results(
    results_dir: str | None = None,
    tasks: Sequence[str] = _tasks.TASKS,
    quick: bool | None = None,
    progress: bool = True,
) -> tuple[dict, Sources]:
    """Figure 3 from the best results available, and where they come from.

    For each task: full-scale results found anywhere under ``results_dir`` are used when there are
    any; otherwise the small CPU sweep (:func:`chapter_grid`) is trained now into
    ``results_dir/quick/<quick|cpu>/<task>`` (finished runs are reused).

    Parameters
    ----------
    results_dir : str or None
        None: :func:`nnrnn_edu.config.results_dir`.
    tasks : sequence of str
    quick : bool or None
        Size of the CPU sweep; None follows quick mode.
    progress : bool
        tqdm progress bars while training.

    Returns
    -------
    summary : dict
        :func:`~nnrnn_edu.training.summary.summarize` of the chosen results.
    sources : Sources
        One :class:`~nnrnn_edu.chapters.results.Source` per task; ``str(sources)`` is the caption.
    """
    rd = _config.results_dir() if results_dir is None else os.fspath(results_dir)
    check_writable(rd, "results_dir" if results_dir is not None else f"${_config.RESULTS_DIR_ENV_VAR} (the results directory)")
    if isinstance(tasks, str) or not tasks or any(t not in _tasks.TASKS for t in tasks):
        raise ValueError(f"tasks must be a non-empty sequence of {_tasks.TASKS}, got {tasks!r}")
    if quick is None:
        quick = _config.quick_mode()
    found = found_results(rd)
    chosen: list[dict] = []
    sources = []
    for task in tasks:
        runs, source = results_or_train(
            task, [r for r in found if r["config"]["task"] == task and r["config"].get("model", "vanilla") == "vanilla"],
            lambda full: True,
            lambda: chapter_grid(task, quick), os.path.join(rd, "quick", "quick" if quick else "cpu", task),
            quick, progress,
        )
        chosen += runs
        sources.append(source)
    return summarize(chosen), Sources(sources, found.problems)


__all__ = ["CHAPTER_SEEDS", "CHAPTER_UPDATES", "chapter_grid", "figure3_results"]

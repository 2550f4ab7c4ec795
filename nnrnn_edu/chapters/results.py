"""Committed results, else train now: how a training chapter gets its runs, and says where they come from.

Chapters 3 and 4 plot full-scale results when the results directory holds them
(:func:`nnrnn_edu.training.summary.is_full_scale`); otherwise they train a small
CPU grid on the spot (finished runs are reused, so a re-executed chapter costs
nothing). :func:`results_or_train` does that for one task and returns a
:class:`Source` that says which it was; :class:`Sources` collects one per task
and prints as the caption the chapters show.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from ..tasks import task_spec
from ..training.summary import Problem, Results, is_full_scale, load_results
from ..training.sweep import SweepGrid, run_sweep


@dataclass(frozen=True)
class Source:
    """Where one task's runs come from.

    Attributes
    ----------
    task : str
    full_scale : bool
        True: results of the paper's protocol found on disk; False: a small CPU grid trained now.
    n_runs : int
        Runs used.
    devices, commits : tuple of str
        Devices and (7-digit) git commits of the full-scale results (empty for a CPU grid).
    preset : str
        ``"quick preset"`` or ``"chapter preset"`` for a CPU grid ("" for full-scale results).
    data : str
        ``"T = 60"`` or ``"psDigits, T = 64"`` for a CPU grid.
    hidden_size : int or None
    updates : int or None
        Updates per run of a CPU grid.
    """

    task: str
    full_scale: bool
    n_runs: int
    devices: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    preset: str = ""
    data: str = ""
    hidden_size: int | None = None
    updates: int | None = None

    @property
    def description(self) -> str:
        """E.g. ``"full-scale results (2112 runs on cuda, commit 1a2b3c4)"`` or ``"small CPU run (quick
        preset: T = 60, N = 100, 400 updates, 8 runs), not the paper's experiment"``."""
        if self.full_scale:
            return (f"full-scale results ({self.n_runs} runs on {', '.join(self.devices)}, "
                    f"commit {', '.join(self.commits)})")
        return (f"small CPU run ({self.preset}: {self.data}, N = {self.hidden_size}, {self.updates} updates, "
                f"{self.n_runs} runs), not the paper's experiment")

    def __str__(self) -> str:
        return f"{self.task}: {self.description}"


class Sources(Mapping):
    """One :class:`Source` per task, in order; ``str()`` is the caption ``"copy: ...; addition: ..."``.

    Parameters
    ----------
    sources : iterable of Source
    problems : iterable of Problem
        Files under the results directory that could not be used (unreadable, incomplete,
        foreign, conflicting copies), with the reason: the chapters print them.
    """

    def __init__(self, sources: list[Source], problems: Iterable[Problem] = ()) -> None:
        self._by_task = {s.task: s for s in sources}
        self.problems: list[Problem] = list(problems)

    def __getitem__(self, task: str) -> Source:
        return self._by_task[task]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_task)

    def __len__(self) -> int:
        return len(self._by_task)

    def __str__(self) -> str:
        return "; ".join(str(s) for s in self._by_task.values())

    def __repr__(self) -> str:
        return f"Sources({list(self._by_task.values())!r})"


def results_or_train(
    task: str,
    found: list[dict],
    accept: Callable[[list[dict]], bool],
    make_grid: Callable[[], SweepGrid],
    out_dir: str,
    quick: bool,
    progress: bool = True,
) -> tuple[list[dict], Source]:
    """One task's runs: full-scale results from ``found`` if they will do, else a CPU grid trained now.

    Parameters
    ----------
    task : str
    found : list of dict
        Result records already filtered to what the chapter wants (task, initialisers); the
        final full-scale ones among them are candidates.
    accept : callable
        Given the full-scale candidates, whether to use them (e.g. "any", or "one succeeded and
        stored its weights").
    make_grid : callable
        Builds the CPU grid to train otherwise.
    out_dir : str
        Where that grid's results go (finished runs there are reused).
    quick : bool
        Whether the grid is the quick preset (for the caption).
    progress : bool
        Progress bars while training.

    Returns
    -------
    runs : list of dict
        Final result records (with ``path``), sorted by run name.
    source : Source
    """
    full = [r for r in found if r["status"] != "running" and is_full_scale(r)]
    if full and accept(full):
        return full, Source(
            task, True, len(full),
            devices=tuple(sorted({str(r.get("provenance", {}).get("device")) for r in full})),
            commits=tuple(sorted({str(r.get("provenance", {}).get("git_commit"))[:7] for r in full})),
        )
    g = make_grid()
    runs = [r for r in run_sweep(g, out_dir, progress=progress) if r["status"] != "running"]
    b = g.base
    return runs, Source(
        task, False, len(g), preset="quick preset" if quick else "chapter preset",
        data="psDigits, T = 64" if task == "psmnist" else f"T = {b.seq_len}",
        hidden_size=b.hidden_size or task_spec(task).hidden_size, updates=b.max_updates,
    )


def found_results(results_dir: str) -> Results:
    """Every result record below ``results_dir`` (none if it does not exist), and the files left out.

    Parameters
    ----------
    results_dir : str

    Returns
    -------
    Results
        See :func:`nnrnn_edu.training.summary.load_results`.
    """
    return load_results(results_dir) if os.path.isdir(results_dir) else Results()


__all__ = ["Source", "Sources", "found_results", "results_or_train"]

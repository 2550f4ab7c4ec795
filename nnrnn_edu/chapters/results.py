"""A tier's results for a training chapter, and where they come from.

Every tier (:mod:`nnrnn_edu.config`) keeps its runs in ``<results_dir>/<tier>/<task>``:
``results/quick`` is trained on the spot (minutes; not committed), ``results/cpu`` is committed
to the repository (``make results-cpu`` trains it, hours on two cores) and ``results/full`` fills
up when someone runs the paper's grid on a GPU. :func:`tier_results` trains a tier's grid when asked
(finished runs are skipped, interrupted ones resume), then reads back the finished runs of exactly
that grid and returns a :class:`Source` that says what they are: tier, task length, data set, grid,
budget, how many runs have finished, commits and machines. :class:`Sources` collects one per task
and prints as the caption the chapters show.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .. import config as _config
from .. import data as _data
from ..tasks import task_spec
from ..training import identity as _identity
from ..training.summary import Problem, Results, load_results
from ..training.sweep import SweepGrid, run_sweep


@dataclass(frozen=True)
class Source:
    """Where one task's runs come from.

    Attributes
    ----------
    task : str
    tier : {"quick", "cpu", "full"}
    n_runs : int
        Finished runs of the tier's grid found (diverged ones included).
    n_grid : int
        Runs in the tier's grid.
    dataset : str
        ``"copy"``, ``"addition"``, or the psMNIST data set (``"psMNIST"``, ``"psFashion-MNIST"``,
        ``"psDigits"``).
    seq_len, hidden_size : int
        T and N.
    updates : int or None
        Update budget per run (None: the paper's 100 epochs).
    grid : str
        E.g. ``"4 initialisers x 2 learning rates x 4 seeds"``.
    commits, machines : tuple of str
        Git commits (7 digits, ``-dirty`` kept) and machines (device or CPU) of the runs found.
    where : str
        The directory the runs were read from.
    """

    task: str
    tier: str
    n_runs: int
    n_grid: int
    dataset: str
    seq_len: int
    hidden_size: int
    updates: int | None
    grid: str
    commits: tuple[str, ...] = ()
    machines: tuple[str, ...] = ()
    where: str = ""

    @property
    def complete(self) -> bool:
        """Whether every run of the grid has finished."""
        return self.n_runs >= self.n_grid

    @property
    def description(self) -> str:
        """E.g. ``"cpu tier, T = 500, N = 100, 20 000 updates per run, 4 initialisers x 2 learning rates
        x 4 seeds: 24 of 32 runs finished (commit 1a2b3c4 on AMD EPYC, 2 cores)"``."""
        data = f"{self.dataset}, T = {self.seq_len}" if self.task == "psmnist" else f"T = {self.seq_len}"
        budget = "up to 100 epochs" if self.updates is None else f"{self.updates:,} updates".replace(",", " ")
        head = f"{self.tier} tier{' (a smoke run)' if self.tier == 'quick' else ''}, {data}, N = {self.hidden_size}, "
        head += f"{budget} per run, {self.grid}: "
        if not self.n_runs:
            hint = ""
            if self.tier == "cpu":
                hint = " (committed in the repository's results/cpu: clone it, or run make results-cpu)"
            return head + f"none of {self.n_grid} runs finished yet in {self.where or 'the results directory'}{hint}"
        done = f"all {self.n_grid} runs" if self.complete else f"{self.n_runs} of {self.n_grid} runs finished"
        where = ""
        if self.commits:
            where = f" (commit {', '.join(self.commits)} on {'; '.join(self.machines)})"
        return head + done + where

    @property
    def short(self) -> str:
        """E.g. ``"copy T = 500: 24 of 32 runs"`` (figure titles; :attr:`description` has the rest)."""
        data = f"{self.dataset if self.task == 'psmnist' else self.task} T = {self.seq_len}"
        return f"{data}: {self.n_grid} runs" if self.complete else f"{data}: {self.n_runs} of {self.n_grid} runs"

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

    @property
    def tier(self) -> str:
        """The tier of the sources, or ``"mixed"`` when tasks come from different tiers (chapter 4 falls
        back to the quick tier for a task whose cpu-tier runs are not there yet)."""
        tiers = {s.tier for s in self._by_task.values()}
        return tiers.pop() if len(tiers) == 1 else "mixed"

    def title(self, tasks: Iterable[str] | None = None) -> str:
        """A one-line figure title: tier, budget and each task's runs, e.g. ``"cpu tier, 20 000 updates
        per run: copy T = 500: 24 of 32 runs; psFashion-MNIST T = 784: 32 runs"``.

        Parameters
        ----------
        tasks : iterable of str or None
            The tasks the figure shows (default: all).
        """
        shown = [self._by_task[t] for t in (tasks if tasks is not None else self._by_task)]
        budgets = {s.updates for s in shown}
        budget = ""
        if len(budgets) == 1:
            b = budgets.pop()
            budget = ", up to 100 epochs per run" if b is None else ", " + f"{b:,}".replace(",", " ") + " updates per run"
        if len({s.tier for s in shown}) > 1:  # e.g. chapter 4 falling back to the quick tier for one task
            return "; ".join(f"{s.short} ({s.tier} tier)" for s in shown)
        return f"{shown[0].tier} tier{budget}: " + "; ".join(s.short for s in shown)

    def __str__(self) -> str:
        return "; ".join(str(s) for s in self._by_task.values())

    def __repr__(self) -> str:
        return f"Sources({list(self._by_task.values())!r})"


def _grid_text(g: SweepGrid) -> str:
    n_scales = {len(v) for v in g.scales.values()}
    scales = "" if n_scales == {1} else " x their scales"
    return (f"{len(g.scales)} initialiser{'s' if len(g.scales) > 1 else ''}{scales} x {len(g.lrs)} learning "
            f"rate{'s' if len(g.lrs) > 1 else ''} x {len(g.seeds)} seed{'s' if len(g.seeds) > 1 else ''}")


def _candidates(g: SweepGrid) -> list[list]:
    """The grid's configurations once per data set it may have used, in order of preference."""
    configs = g.configs()
    if g.task != "psmnist" or g.base.data_source != "auto":
        return [configs]
    return [[c.replace(data_source=s) for c in configs] for s in ("mnist", "fashion", "digits")]


def tier_results(
    g: SweepGrid,
    out_dir: str,
    tier: str,
    train: bool = False,
    progress: bool = True,
) -> tuple[list[dict], Source, list[Problem]]:
    """The finished runs of one tier's grid for one task, training it first if asked.

    Parameters
    ----------
    g : SweepGrid
        The tier's grid (:func:`nnrnn_edu.training.sweep.grid` ``(task, tier=tier)``).
    out_dir : str
        Its results directory (``<results_dir>/<tier>/<task>``).
    tier : {"quick", "cpu", "full"}
    train : bool
        Train the grid's unfinished runs now (:func:`~nnrnn_edu.training.sweep.run_sweep`:
        finished ones are skipped, interrupted ones resume). False only reads what is there.
    progress : bool
        Progress bars while training.

    Returns
    -------
    runs : list of dict
        Final result records of the grid's runs (with ``path``), sorted by name. For psMNIST
        with ``data_source="auto"`` the data set with results is used, MNIST before
        Fashion-MNIST before psDigits.
    source : Source
    problems : list of Problem
        Files under ``out_dir`` that could not be used.
    """
    if train:
        run_sweep(g, out_dir, progress=progress)
    found = load_results(out_dir) if os.path.isdir(out_dir) else Results()
    finished = [r for r in found if r["status"] != "running"]
    runs: list[dict] = []
    configs = g.configs()  # with none found: the data set this machine would use
    for candidate in _candidates(g):
        keys = {_identity.run_key(_identity.resolve(c)) for c in candidate}
        runs = [r for r in finished if _identity.of_result(r)[0] in keys]
        if runs:
            configs = candidate
            break
    base = _identity.resolve(configs[0])
    spec = task_spec("psdigits" if base.task == "psmnist" and base.data_source == "digits" else base.task)
    dataset = _data.DATASET_NAMES[base.data_source] if base.task == "psmnist" else base.task
    source = Source(
        g.task, tier, len(runs), len(g), dataset,
        spec.seq_len if base.task == "psmnist" else (base.seq_len or spec.seq_len),
        base.hidden_size or spec.hidden_size, base.max_updates, _grid_text(g),
        commits=tuple(sorted({str(r.get("provenance", {}).get("git_commit"))[:7] + (
            "-dirty" if str(r.get("provenance", {}).get("git_commit", "")).endswith("-dirty") else "")
            for r in runs})),
        machines=tuple(sorted({_machine(r) for r in runs})),
        where=out_dir,
    )
    return sorted(runs, key=lambda r: r["name"]), source, list(found.problems)


def _machine(result: Mapping) -> str:
    p = result.get("provenance", {})
    if p.get("gpu"):
        return str(p["gpu"])
    return str(p.get("machine") or p.get("platform") or p.get("device") or "unknown machine")


REPOSITORY_ARCHIVE = "https://github.com/nnrnn-edu/nnrnn_edu/archive/refs/heads/main.tar.gz"
"""Where an installation without the repository (Colab, a wheel) fetches the committed ``results/``."""

ARCHIVE_ENV_VAR = "NNRNN_EDU_RESULTS_ARCHIVE"
"""Overrides :data:`REPOSITORY_ARCHIVE` (a URL, ``file://`` included)."""

_SUFFIXES = (".json", ".weights.pt")


def committed_results_dir(download: bool = True) -> str:
    """The results committed with the repository (the cpu tier's runs and its pilot).

    From a source checkout: its ``results/``. Otherwise (Colab, a wheel): a copy in
    ``<data_dir>/committed-results/results``, downloaded once from the repository's archive
    (:data:`REPOSITORY_ARCHIVE`, or ``$NNRNN_EDU_RESULTS_ARCHIVE``). Only result files
    (``*.json``, ``*.weights.pt``) below ``results/`` are extracted; a member with an absolute
    path, ``..`` or a link is refused.

    Parameters
    ----------
    download : bool
        Fetch the archive when there is no copy yet; False returns the (possibly missing) path.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the archive cannot be fetched or is not a repository archive with a ``results/``
        folder (the message says what to do instead).
    """
    local = _config.committed_results_dir()
    if local is not None:
        return local
    root = os.path.join(_config.data_dir(), "committed-results")
    target = os.path.join(root, "results")
    if os.path.isdir(target) or not download:
        return target
    url = os.environ.get(ARCHIVE_ENV_VAR) or REPOSITORY_ARCHIVE
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".fetch-", dir=root)
    try:
        archive = os.path.join(staging, "repo.tar.gz")
        try:
            with urllib.request.urlopen(url, timeout=60) as resp, open(archive, "wb") as out:  # noqa: S310
                shutil.copyfileobj(resp, out)
            found = _extract_results(archive, os.path.join(staging, "results"))
        except (urllib.error.URLError, OSError, tarfile.TarError) as exc:
            raise ValueError(
                f"the committed results could not be fetched from {url}: {exc}. Clone the repository and run "
                f"from it, or set {_config.RESULTS_DIR_ENV_VAR} to a copy of its results/ folder."
            ) from exc
        if not found:
            raise ValueError(f"{url} holds no results/ folder with result files: is it the repository's archive?")
        os.replace(os.path.join(staging, "results"), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _extract_results(archive: str, dest: str) -> int:
    """Extract the result files below ``<top>/results/`` of a repository archive into ``dest``."""
    n = 0
    with tarfile.open(archive, "r:*") as tar:
        for m in tar.getmembers():
            parts = m.name.split("/")
            if m.name.startswith("/") or ".." in parts:
                raise ValueError(f"the archive has an unsafe member {m.name!r}")
            if len(parts) < 3 or parts[1] != "results" or not m.name.endswith(_SUFFIXES):
                continue
            if not m.isfile():
                raise ValueError(f"the archive's result {m.name!r} is not a regular file")
            out = os.path.join(dest, *parts[2:])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with tar.extractfile(m) as src, open(out, "wb") as fh:  # type: ignore[union-attr]
                shutil.copyfileobj(src, fh)
            n += 1
    return n


def tier_results_dir(tier: str) -> str:
    """Where a chapter reads a tier's runs: ``$NNRNN_EDU_RESULTS`` when set; else, for the cpu tier,
    the committed results (:func:`committed_results_dir`, fetched once outside a checkout); else
    :func:`nnrnn_edu.config.results_dir`.

    Parameters
    ----------
    tier : {"quick", "cpu", "full"}

    Returns
    -------
    str
    """
    _config.check_tier(tier)
    if os.environ.get(_config.RESULTS_DIR_ENV_VAR) or tier != "cpu":
        return _config.results_dir()
    return committed_results_dir()


__all__ = ["ARCHIVE_ENV_VAR", "REPOSITORY_ARCHIVE", "Source", "Sources", "committed_results_dir", "tier_results",
           "tier_results_dir"]

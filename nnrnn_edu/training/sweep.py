"""The Figure 3 hyperparameter sweep: the paper's grids, shards, grouping into ensembles.

Orhan & Pitkow trained every initialiser on a grid of scales x learning rates
x seeds (section 2.3.1):

- chain alpha in 0.99, 1.00, ..., 1.05 and fb-chain beta in 0.01, ..., 0.07
  (7 values each): 7 x 11 x 6 = **462 runs** per model and task;
- identity and orthogonal lambda in {0.01, 0.96, 0.99, 1.00, ..., 1.05}
  (9 values): 9 x 11 x 6 = **594 runs** per model and task;
- 11 learning rates 8e-4 ... 3e-6 (:data:`PAPER_LEARNING_RATES`), seeds 1..6.

:func:`grid` returns that grid as data (:class:`SweepGrid`), or a tiny quick
version for CPUs. :func:`run_sweep` trains it. Tiny RNNs leave a device idle,
so runs that share everything but the initialiser, its scale and the learning
rate (in particular the seed, hence the data stream) are trained together as
one :class:`~nnrnn_edu.models.EnsembleRNN` with stacked ``[K, N, N]`` weights,
a hand-written RMSprop with one learning rate per model
(:class:`~nnrnn_edu.training.optim.RMSpropPerModel`, step for step torch's ``RMSprop``) and a per-model
global gradient-norm clip. Model k of an ensemble computes what
:func:`nnrnn_edu.training.train` computes for its configuration alone (tested),
and writes the same JSON result file. A member whose loss or weights become
NaN/inf is marked ``"diverged"`` on its own and dropped from the ensemble; the
others run on unaffected (as do members that early-stop).

Results go to ``<out>/<protocol_id>/<run_name>.json``
(:mod:`~nnrnn_edu.training.identity`): runs of different protocols never share a
directory. A member computes bitwise what its run computes alone (on one CPU
thread), so a sweep's numbers do not depend on the ensemble size or the sharding.

Resuming: a re-run skips every run whose final result exists (same identity:
settings that do not change the numbers, such as the device, may differ), and
an ensemble that was interrupted restarts from its last checkpoint
(``checkpoints/ensemble-<id>.pt`` beside the results, written atomically at
every evaluation). Two processes on one directory do not train a run twice:
each run is locked while it trains, and the second process skips it.

Sharding for a cluster: ``--shard i/n`` sorts the run names and keeps every
n-th one starting at i (round robin, 0-based), so the shards of a grid are
disjoint and together cover it exactly once. With SLURM, one array job per
task::

    sbatch --array=0-15 --gres=gpu:1 --time=24:00:00 \\
        --wrap 'python -m nnrnn_edu sweep --task copy --full --shard ${SLURM_ARRAY_TASK_ID}/16 --out results/copy'

then ``python -m nnrnn_edu summarize results/copy`` merges the result files
(copied from every machine into one tree, any layout) into the Figure 3
tables (:func:`summarize`). See chapter 3.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tqdm.auto import tqdm

from .. import config as _config
from .. import tasks as _tasks
from ..connectivity import FBCHAIN_FEEDBACK, KINDS
from . import identity, records
from .config import TrainConfig, preset, resolve_tier
from .loop import group_key, train_ensemble

# --------------------------------------------------------------------------- the paper's grid

PAPER_SCALES: dict[str, tuple[float, ...]] = {
    "identity": (0.01, 0.96, 0.99, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05),
    "orthogonal": (0.01, 0.96, 0.99, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05),
    "chain": (0.99, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05),
    "fbchain": (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07),
}
"""Initialiser scales of the paper: lambda (identity, orthogonal), alpha (chain), beta (fbchain)."""

PAPER_LEARNING_RATES: tuple[float, ...] = (8e-4, 5e-4, 3e-4, 1e-4, 8e-5, 5e-5, 3e-5, 1e-5, 8e-6, 5e-6, 3e-6)
"""The 11 RMSprop learning rates of the paper."""

PAPER_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
"""The paper's seeds."""

PAPER_RUNS_PER_MODEL: dict[str, int] = {"identity": 594, "orthogonal": 594, "chain": 462, "fbchain": 462}
"""Runs per initialiser and task in the paper (scales x 11 learning rates x 6 seeds)."""

QUICK_SCALES: dict[str, tuple[float, ...]] = {
    "identity": (1.0,),
    "orthogonal": (1.0,),
    "chain": (1.02,),
    "fbchain": (FBCHAIN_FEEDBACK,),
}
"""Scales of the quick grid: one typical value per initialiser."""

QUICK_LEARNING_RATES: tuple[float, ...] = (1e-3, 3e-4)
"""Learning rates of the quick grid (larger than the paper's: quick runs have 400 updates)."""

QUICK_SEEDS: tuple[int, ...] = (1,)
"""Seeds of the quick grid."""

CPU_SCALES: dict[str, tuple[float, ...]] = {
    "identity": (1.0,),
    "orthogonal": (1.0,),
    "chain": (1.02,),
    "fbchain": (FBCHAIN_FEEDBACK,),
}
"""Scales of the cpu tier's grid. The paper does not say which scales gave its best runs; the
authors' README trains the chain at alpha = 1.02 (the one published setting), the feed-back chain
keeps its forward weight 0.99 with beta = 0.04, and the normal initialisers take lambda = 1."""

CPU_LEARNING_RATES: dict[str, tuple[float, ...]] = {
    "copy": (1e-4, 5e-5),
    "addition": (1e-4, 1e-5),
    "psmnist": (1e-3, 3e-4),
}
"""Learning rates of the cpu tier's grid, per task, from the pilot (``results/cpu/pilot``, chapter 3).
Copy: every initialiser sat at the baseline after 6 000 updates at 3e-4; the runs that learned were at
1e-4 and 5e-5 (the authors' README setting). psFashion-MNIST: after 3 000 updates the lowest losses of
every initialiser were at 1e-3 and 3e-4, where half of the runs were already below the success line.
Addition: no run learned within 3 000 updates at any of 1e-3 ... 5e-5 and the identity network exploded
or diverged at every one of them, so 1e-4 (stable for the other three) is paired with 1e-5, below
anything the pilot tried. No longer pilot was run: the grid's own 20 000-update runs at these two rates
are that test (chapter 3 shows what they did)."""

CPU_SEEDS: tuple[int, ...] = (1, 2, 3, 4)
"""Seeds of the cpu tier's grid: 2 learning rates x 4 seeds = 8 runs per initialiser and task."""



@dataclass(frozen=True)
class SweepGrid:
    """A grid of runs for one task: every initialiser x its scales x learning rates x seeds.

    Attributes
    ----------
    task : {"copy", "addition", "psmnist"}
    scales : mapping of str to tuple of float
        Initialiser name -> its scales (alpha, beta or lambda).
    lrs : tuple of float
        Learning rates.
    seeds : tuple of int
        Seeds (initial weights and training data stream).
    base : TrainConfig
        Every other setting (budget, sizes, device...), shared by all runs.
    permutation_per_seed : bool
        psMNIST only: use the seed as the pixel-permutation seed, as the authors
        did (``np.random.seed(rand_seed)`` before drawing the permutation).

    """

    task: str
    scales: Mapping[str, tuple[float, ...]]
    lrs: tuple[float, ...]
    seeds: tuple[int, ...]
    base: TrainConfig
    permutation_per_seed: bool = True

    def configs(self) -> list[TrainConfig]:
        """All runs of the grid.

        Returns
        -------
        list of TrainConfig
            ``sum(len(scales[i]) for i) * len(lrs) * len(seeds)`` configurations, in
            the order initialiser, scale, learning rate, seed. See chapter 3.
        """
        out = []
        for init, scales in self.scales.items():
            for scale in scales:
                for lr in self.lrs:
                    for seed in self.seeds:
                        extra = {}
                        if self.task == "psmnist" and self.permutation_per_seed:
                            extra["permutation_seed"] = seed
                        out.append(self.base.replace(
                            task=self.task, init=init, init_scale=scale, lr=lr, seed=seed, **extra,
                        ))
        return out

    def counts(self) -> dict[str, int]:
        """Runs per initialiser.

        Returns
        -------
        dict
            Initialiser name -> number of runs (the paper: 462 or 594). See chapter 3.
        """
        return {init: len(s) * len(self.lrs) * len(self.seeds) for init, s in self.scales.items()}

    def __len__(self) -> int:
        return sum(self.counts().values())


def grid(
    task: str,
    quick: bool | None = None,
    *,
    tier: str | None = None,
    inits: Sequence[str] | None = None,
    scales: Mapping[str, Sequence[float]] | None = None,
    lrs: Sequence[float] | None = None,
    seeds: Sequence[int] | None = None,
    **overrides: Any,
) -> SweepGrid:
    """A task's grid at one tier: the paper's (full), the cpu tier's, or the tiny quick grid.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    quick : bool or None
        Shorthand: True is the quick tier, False the full one.
    tier : {"quick", "cpu", "full"} or None
        None (and ``quick`` None) follows :func:`nnrnn_edu.config.tier`.

        - full: the paper's grid (:data:`PAPER_SCALES`, :data:`PAPER_LEARNING_RATES`,
          :data:`PAPER_SEEDS`) with the paper's protocol (:func:`~nnrnn_edu.training.preset`);
        - cpu: :data:`CPU_SCALES`, :data:`CPU_LEARNING_RATES`, :data:`CPU_SEEDS` (32 runs per
          task) with the paper's protocol and the budget :data:`~nnrnn_edu.training.config.CPU_BUDGET`;
        - quick: one scale per initialiser, 2 learning rates, 1 seed (8 runs), on short
          copy/addition (T = 60) and psDigits, 400 updates each.
    inits : sequence of str, optional
        Keep only these initialisers.
    scales : mapping, optional
        Replace the scales of some initialisers (``{"chain": (1.0, 1.05)}``).
    lrs, seeds : sequence, optional
        Replace the learning rates / seeds.
    **overrides
        :class:`~nnrnn_edu.train.TrainConfig` fields shared by all runs
        (e.g. ``max_updates``, ``device``).

    Returns
    -------
    SweepGrid

    """
    t = resolve_tier(quick, tier)
    base = preset(task, tier=t, **overrides)
    all_scales = dict({"quick": QUICK_SCALES, "cpu": CPU_SCALES, "full": PAPER_SCALES}[t])
    if scales is not None:
        if not isinstance(scales, Mapping):
            raise ValueError(f"scales must be a mapping from initialiser to scales, got {scales!r}")
        for k, v in scales.items():
            if k not in KINDS:
                raise ValueError(f"scales has an unknown initialiser {k!r}; choose from {KINDS}")
            all_scales[k] = tuple(float(s) for s in v)
    if inits is not None:
        bad = [i for i in inits if i not in KINDS]
        if bad or not inits:
            raise ValueError(f"inits must be a non-empty subset of {KINDS}, got {inits!r}")
        all_scales = {i: all_scales[i] for i in inits}
    default_lrs = {"quick": QUICK_LEARNING_RATES, "cpu": CPU_LEARNING_RATES[task], "full": PAPER_LEARNING_RATES}[t]
    lrs = tuple(float(v) for v in (lrs if lrs is not None else default_lrs))
    seeds = tuple(seeds if seeds is not None else {"quick": QUICK_SEEDS, "cpu": CPU_SEEDS, "full": PAPER_SEEDS}[t])
    if not lrs or any(not (math.isfinite(v) and v > 0) for v in lrs):
        raise ValueError(f"lrs must be a non-empty sequence of positive numbers, got {lrs!r}")
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of non-negative integers, got {seeds!r}")
    if any(len(v) == 0 for v in all_scales.values()):
        raise ValueError(f"scales must give at least one scale per initialiser, got {all_scales!r}")
    return SweepGrid(task, all_scales, lrs, seeds, base)


# --------------------------------------------------------------------------- shards and groups


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"i/n"`` (0-based shard i of n) as given to ``--shard``.

    Parameters
    ----------
    text : str
        For example ``"3/16"`` or ``"${SLURM_ARRAY_TASK_ID}/16"`` after expansion.

    Returns
    -------
    (int, int)
        ``(i, n)`` with ``0 <= i < n``.

    """
    try:
        i_s, n_s = str(text).split("/")
        i, n = int(i_s), int(n_s)
    except ValueError:
        raise ValueError(f"shard must look like 'i/n' (e.g. '0/4'), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"shard must satisfy 0 <= i < n, got {text!r}")
    return i, n


def shard(configs: Iterable[TrainConfig], index: int, count: int) -> list[TrainConfig]:
    """Shard ``index`` of ``count``: sort by run name, keep every ``count``-th run from ``index``.

    Deterministic and independent of the input order, so shards computed on
    different machines are disjoint and cover the grid exactly once.

    Parameters
    ----------
    configs : iterable of TrainConfig
    index, count : int
        ``0 <= index < count``.

    Returns
    -------
    list of TrainConfig
        Sorted by run name.

    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise ValueError(f"index must be an integer in [0, {count}), got {index!r}")
    ordered = sorted(configs, key=lambda c: c.run_name())
    return ordered[index::count]


def default_ensemble_size(cfg: TrainConfig) -> int:
    """How many models to train together: 32 on a CPU, 256 on a GPU, capped by memory.

    Per model the ensemble keeps about 3 float32 buffers of T x B x N (states,
    their gradients, the readout). The cap is 2 GiB on a CPU and 8 GiB on a GPU.

    Parameters
    ----------
    cfg : TrainConfig

    Returns
    -------
    int

    """
    spec = _tasks.task_spec(cfg.task)
    T = 64 if cfg.task == "psmnist" and cfg.data_source == "digits" else (cfg.seq_len or spec.seq_len)
    N = cfg.hidden_size or spec.hidden_size
    per_model = 3 * 4 * (T + 1) * cfg.batch_size * (N + spec.output_size)
    gpu = cfg.device.startswith("cuda") or (cfg.device == "auto" and _config.resolve_device("auto") != "cpu")
    k, budget = (256, 8 * 2**30) if gpu else (32, 2 * 2**30)
    return max(1, min(k, budget // per_model))


def ensembles(configs: Iterable[TrainConfig], ensemble_size: int | None = None) -> list[list[TrainConfig]]:
    """Split runs into ensembles that can be trained together.

    Runs go together when they differ only in ``init``, ``init_scale`` and
    ``lr`` (same seed, hence the same data stream). Each such group, sorted by
    run name, is cut into ``ceil(n / ensemble_size)`` ensembles of near-equal
    size. Deterministic.

    Parameters
    ----------
    configs : iterable of TrainConfig
    ensemble_size : int or None
        Largest ensemble (None: :func:`default_ensemble_size`).

    Returns
    -------
    list of list of TrainConfig

    """
    groups: dict[str, list] = {}
    for c in sorted(configs, key=lambda c: c.run_name()):
        groups.setdefault(group_key(c), []).append(c)
    out = []
    for members in groups.values():
        k = default_ensemble_size(members[0]) if ensemble_size is None else ensemble_size
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"ensemble_size must be None or a positive integer, got {ensemble_size!r}")
        n_chunks = -(-len(members) // k)
        out.extend([list(a) for a in _split(members, n_chunks)])
    return out


def _split(items: list, n: int) -> list[list]:
    q, r = divmod(len(items), n)
    out, lo = [], 0
    for i in range(n):
        hi = lo + q + (1 if i < r else 0)
        out.append(items[lo:hi])
        lo = hi
    return out


def pending(configs: Iterable[TrainConfig], out_dir: str) -> list[TrainConfig]:
    """The runs without a final result of the same run (same identity) under ``out_dir``.

    Parameters
    ----------
    configs : iterable of TrainConfig
    out_dir : str

    Returns
    -------
    list of TrainConfig
        The given configurations (unresolved) whose result is missing.
    """
    cfgs = list(configs)
    resolved = identity.resolve_all(cfgs)
    return [c for c, r in zip(cfgs, resolved) if not records.is_finished(records.result_path(out_dir, r), r)]


def run_sweep(
    configs: SweepGrid | Iterable[TrainConfig],
    out_dir: str = "results",
    *,
    shard_index: int | None = None,
    shard_count: int | None = None,
    ensemble_size: int | None = None,
    resume: bool = True,
    progress: bool = True,
) -> list[dict]:
    """Train a grid (or one shard of it) as ensembles, one JSON result per run.

    Parameters
    ----------
    configs : SweepGrid or iterable of TrainConfig
        The runs (see :func:`grid`); run names must be distinct.
    out_dir : str
        Where result files (``<run_name>.json``) and checkpoints go.
    shard_index, shard_count : int, optional
        Train only shard ``shard_index`` of ``shard_count`` (:func:`shard`).
    ensemble_size : int or None
        Largest ensemble (None: :func:`default_ensemble_size`); 1 trains the
        runs one at a time. The numbers do not depend on it (nor on the sharding): a
        member computes bitwise what its run computes alone, on one CPU thread.
    resume : bool
        Skip runs whose final result exists; continue interrupted ensembles.
        ``False`` retrains everything.
    progress : bool
        tqdm progress bars (ensembles, and the sweep as a whole).

    Returns
    -------
    list of dict
        The results of this shard's runs, sorted by run name.

    """
    cfgs = configs.configs() if isinstance(configs, SweepGrid) else list(configs)
    if not cfgs or any(not isinstance(c, TrainConfig) for c in cfgs):
        raise ValueError("configs must be a SweepGrid or a non-empty iterable of TrainConfig")
    names = [c.run_name() for c in cfgs]
    if len(set(names)) != len(names):
        raise ValueError("configs must have distinct run names")
    if (shard_index is None) != (shard_count is None):
        raise ValueError("shard_index and shard_count must be given together")
    if shard_count is not None:
        cfgs = shard(cfgs, shard_index, shard_count)
    else:
        cfgs = sorted(cfgs, key=lambda c: c.run_name())
    if ensemble_size is not None and (isinstance(ensemble_size, bool) or not isinstance(ensemble_size, int) or ensemble_size < 1):
        raise ValueError(f"ensemble_size must be None or a positive integer, got {ensemble_size!r}")
    records.check_writable(out_dir, "out_dir")
    cfgs = identity.resolve_all(cfgs)
    results: dict[str, dict] = {}
    groups = ensembles(cfgs, ensemble_size)
    with tqdm(total=len(cfgs), disable=not progress, desc="sweep", unit="run") as bar:
        for g in groups:
            for r in train_ensemble(g, out_dir, resume=resume, progress=progress):
                results[r["name"]] = r
            bar.update(len(g))
    return [results[c.run_name()] for c in cfgs]


__all__ = [
    "CPU_LEARNING_RATES",
    "CPU_SCALES",
    "CPU_SEEDS",
    "PAPER_LEARNING_RATES",
    "PAPER_RUNS_PER_MODEL",
    "PAPER_SCALES",
    "PAPER_SEEDS",
    "QUICK_LEARNING_RATES",
    "QUICK_SCALES",
    "QUICK_SEEDS",
    "SweepGrid",
    "default_ensemble_size",
    "ensembles",
    "grid",
    "parse_shard",
    "pending",
    "run_sweep",
    "shard",
]

"""The Figure 3 hyperparameter sweep: the paper's grids, batched ensembles, shards, summaries.

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
(:class:`RMSpropPerModel`, step for step torch's ``RMSprop``) and a per-model
global gradient-norm clip. Model k of an ensemble computes what
:func:`nnrnn_edu.train.train` computes for its configuration alone (tested),
and writes the same JSON result file. A member whose loss or weights become
NaN/inf is marked ``"diverged"`` on its own and dropped from the ensemble; the
others run on unaffected (as do members that early-stop).

Resuming: a re-run skips every configuration whose final result file exists
(same configuration), and an ensemble that was interrupted restarts from its
last checkpoint (``<out>/checkpoints/ensemble-<id>.pt``, written atomically at
every evaluation).

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

import glob
import hashlib
import json
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import config as _config
from . import tasks as _tasks
from . import train as _train

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
    "fbchain": (0.04,),
}
"""Scales of the quick grid: one typical value per initialiser."""

QUICK_LEARNING_RATES: tuple[float, ...] = (1e-3, 3e-4)
"""Learning rates of the quick grid (larger than the paper's: quick runs have 400 updates)."""

QUICK_SEEDS: tuple[int, ...] = (1,)
"""Seeds of the quick grid."""

_MEMBER_FIELDS = ("init", "init_scale", "lr")
"""The only TrainConfig fields that may differ inside one ensemble."""


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

    See chapter 3.
    """

    task: str
    scales: Mapping[str, tuple[float, ...]]
    lrs: tuple[float, ...]
    seeds: tuple[int, ...]
    base: _train.TrainConfig
    permutation_per_seed: bool = True

    def configs(self) -> list[_train.TrainConfig]:
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
    inits: Sequence[str] | None = None,
    scales: Mapping[str, Sequence[float]] | None = None,
    lrs: Sequence[float] | None = None,
    seeds: Sequence[int] | None = None,
    **overrides: Any,
) -> SweepGrid:
    """The paper's grid for a task (full scale), or the tiny quick grid.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    quick : bool or None
        None follows :func:`nnrnn_edu.config.quick_mode`. Full: the paper's
        grid (:data:`PAPER_SCALES`, :data:`PAPER_LEARNING_RATES`,
        :data:`PAPER_SEEDS`) with the paper's protocol (:func:`nnrnn_edu.train.preset`).
        Quick: one scale per initialiser, 2 learning rates, 1 seed (8 runs),
        on short copy/addition (T = 60) and psDigits, 400 updates each.
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

    See chapter 3.
    """
    if quick is None:
        quick = _config.quick_mode()
    base = _train.preset(task, quick, **overrides)
    all_scales = dict(QUICK_SCALES if quick else PAPER_SCALES)
    from .connectivity import KINDS

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
    lrs = tuple(float(v) for v in (lrs if lrs is not None else (QUICK_LEARNING_RATES if quick else PAPER_LEARNING_RATES)))
    seeds = tuple(seeds if seeds is not None else (QUICK_SEEDS if quick else PAPER_SEEDS))
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

    See chapter 3.
    """
    try:
        i_s, n_s = str(text).split("/")
        i, n = int(i_s), int(n_s)
    except ValueError:
        raise ValueError(f"shard must look like 'i/n' (e.g. '0/4'), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"shard must satisfy 0 <= i < n, got {text!r}")
    return i, n


def shard(configs: Iterable[_train.TrainConfig], index: int, count: int) -> list[_train.TrainConfig]:
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

    See chapter 3.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise ValueError(f"index must be an integer in [0, {count}), got {index!r}")
    ordered = sorted(configs, key=lambda c: c.run_name())
    return ordered[index::count]


def _group_key(cfg: _train.TrainConfig) -> str:
    d = cfg.to_dict()
    for f in _MEMBER_FIELDS:
        d.pop(f)
    return json.dumps(d, sort_keys=True)


def default_ensemble_size(cfg: _train.TrainConfig) -> int:
    """How many models to train together: 32 on a CPU, 256 on a GPU, capped by memory.

    Per model the ensemble keeps about 3 float32 buffers of T x B x N (states,
    their gradients, the readout). The cap is 2 GiB on a CPU and 8 GiB on a GPU.

    Parameters
    ----------
    cfg : TrainConfig

    Returns
    -------
    int

    See chapter 3.
    """
    spec = _tasks.task_spec(cfg.task)
    T = 64 if cfg.task == "psmnist" and cfg.data_source == "digits" else (cfg.seq_len or spec.seq_len)
    N = cfg.hidden_size or spec.hidden_size
    per_model = 3 * 4 * (T + 1) * cfg.batch_size * (N + spec.output_size)
    gpu = cfg.device.startswith("cuda") or (cfg.device == "auto" and _config.resolve_device("auto") != "cpu")
    k, budget = (256, 8 * 2**30) if gpu else (32, 2 * 2**30)
    return max(1, min(k, budget // per_model))


def ensembles(configs: Iterable[_train.TrainConfig], ensemble_size: int | None = None) -> list[list[_train.TrainConfig]]:
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

    See chapter 3.
    """
    groups: dict[str, list] = {}
    for c in sorted(configs, key=lambda c: c.run_name()):
        groups.setdefault(_group_key(c), []).append(c)
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


# --------------------------------------------------------------------------- optimiser


class RMSpropPerModel:
    """RMSprop for stacked ensemble parameters, with one learning rate per model.

    Step for step the update of ``torch.optim.RMSprop(alpha=rho, eps=eps)``
    (not centred, no momentum, no weight decay) applied to each model with its
    own learning rate::

        s <- rho s + (1 - rho) g^2
        p <- p - lr_k g / (sqrt(s) + eps)

    The defaults are the Keras 2.2.4 values the authors used (rho = 0.9,
    eps = 1e-7), not torch's (0.99, 1e-8).

    Parameters
    ----------
    params : sequence of Tensor
        Stacked parameters, each of shape (K, ...).
    lr : float or sequence of float
        One learning rate for all models or one per model (length K).
    rho : float
        Smoothing constant (torch's ``alpha``).
    eps : float

    See chapter 3.
    """

    def __init__(self, params: Sequence, lr: float | Sequence[float], rho: float = 0.9, eps: float = 1e-7) -> None:
        import torch

        self.params = list(params)
        if not self.params:
            raise ValueError("params must contain at least one tensor")
        k = self.params[0].shape[0]
        if any(p.shape[0] != k for p in self.params):
            raise ValueError("params must all have the same leading (model) dimension K")
        lrs = [float(lr)] * k if np.ndim(lr) == 0 else [float(v) for v in lr]
        if len(lrs) != k or any(not (math.isfinite(v) and v > 0) for v in lrs):
            raise ValueError(f"lr must be a positive number or K={k} positive numbers, got {lr!r}")
        if not 0 <= rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {rho!r}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps!r}")
        self.rho, self.eps, self.lrs = float(rho), float(eps), lrs
        p0 = self.params[0]
        # -lr rounded to the parameters' dtype: the scalar torch's addcdiv uses
        self._neg_lr = -torch.tensor(lrs, dtype=p0.dtype, device=p0.device)
        self.square_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]

    def zero_grad(self) -> None:
        """Drop all gradients (``set_to_none``). See chapter 3."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient. See chapter 3."""
        import torch

        k = self._neg_lr.shape[0]
        with torch.no_grad():
            for p, s in zip(self.params, self.square_avg):
                g = p.grad
                if g is None:
                    continue
                s.mul_(self.rho).addcmul_(g, g, value=1 - self.rho)
                avg = s.sqrt().add_(self.eps)
                # torch computes p + (-lr * g) / avg; the same order of operations here
                p.addcdiv_(g * self._neg_lr.view((k,) + (1,) * (g.dim() - 1)), avg)

    def state_dict(self) -> dict:
        """Learning rates, rho, eps and the running averages (for checkpoints). See chapter 3."""
        return {"lrs": list(self.lrs), "rho": self.rho, "eps": self.eps, "square_avg": [s.clone() for s in self.square_avg]}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` (same K and shapes). See chapter 3."""
        if list(state["lrs"]) != self.lrs or len(state["square_avg"]) != len(self.square_avg):
            raise ValueError("state must come from an optimiser with the same learning rates and parameters")
        for s, v in zip(self.square_avg, state["square_avg"]):
            s.copy_(v)

    def select(self, indices: Sequence[int], params: Sequence) -> "RMSpropPerModel":
        """The optimiser of a sub-ensemble (its running averages sliced), over the new ``params``.

        Parameters
        ----------
        indices : sequence of int
            Members kept (as for :meth:`nnrnn_edu.models.EnsembleRNN.select`).
        params : sequence of Tensor
            The sub-ensemble's parameters, in the same order as this optimiser's.

        Returns
        -------
        RMSpropPerModel

        See chapter 3.
        """
        import torch

        idx = [int(i) for i in indices]
        new = RMSpropPerModel(params, [self.lrs[i] for i in idx], self.rho, self.eps)
        sel = torch.as_tensor(idx, device=self.square_avg[0].device)
        for s_new, s in zip(new.square_avg, self.square_avg):
            s_new.copy_(s.index_select(0, sel))
        return new


# --------------------------------------------------------------------------- one ensemble


def _evaluate_ensemble(model, task: str, inputs, targets, batch_size: int) -> np.ndarray:
    import torch

    device = model.weight_hh.device
    total = torch.zeros(model.n_models, dtype=torch.float64, device=device)
    n = 0
    with torch.no_grad():
        for lo in range(0, inputs.shape[0], batch_size):
            x = inputs[lo : lo + batch_size].to(device)
            y = targets[lo : lo + batch_size].to(device)
            total += _tasks.task_loss(task, model(x), y).double() * x.shape[0]
            n += x.shape[0]
    return (total / n).cpu().numpy()


def _member_finite(model, loss_sum) -> "np.ndarray":
    import torch

    k = model.n_models
    ok = torch.isfinite(loss_sum)
    for p in model.parameters():
        ok &= torch.isfinite(p.detach().reshape(k, -1)).all(1)
    return ok.cpu().numpy()


def ensemble_id(configs: Sequence[_train.TrainConfig]) -> str:
    """A short stable id of an ensemble (hash of its members' configurations).

    Parameters
    ----------
    configs : sequence of TrainConfig

    Returns
    -------
    str
        16 hex digits; names the ensemble's checkpoint. See chapter 3.
    """
    blob = json.dumps([c.to_dict() for c in configs], sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def train_ensemble(
    configs: Sequence[_train.TrainConfig],
    out_dir: str = "results",
    *,
    resume: bool = True,
    progress: bool = True,
) -> list[dict]:
    """Train runs that differ only in initialiser, scale and learning rate as one ensemble.

    Every member follows :func:`nnrnn_edu.train.train`'s protocol (same batches,
    validations, divergence checks, early stop) and writes the same JSON result
    file, ``out_dir/<run_name>.json``; ``timing`` adds ``ensemble_size`` and
    ``ensemble_id`` (its ``wall_time_s`` is the ensemble's time until the member
    finished, shared by all members).

    Parameters
    ----------
    configs : sequence of TrainConfig
        K runs; all fields but ``init``, ``init_scale`` and ``lr`` must be equal,
        and run names distinct. ``engine`` is ignored (ensembles always use the
        batched hand-written BPTT).
    out_dir : str
        Result directory; the checkpoint goes to
        ``out_dir/checkpoints/ensemble-<id>.pt`` and is deleted at the end.
    resume : bool
        Skip members with a final result on disk, and continue from a checkpoint.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of dict
        One result per configuration, in the given order.

    See chapter 3.
    """
    import torch

    configs = [_train._check_config(c) for c in configs]
    if not configs:
        raise ValueError("configs must contain at least one TrainConfig")
    if len({_group_key(c) for c in configs}) != 1:
        raise ValueError("configs must differ only in init, init_scale and lr to be trained as one ensemble")
    names = [c.run_name() for c in configs]
    if len(set(names)) != len(names):
        raise ValueError("configs must have distinct run names")
    paths = {n: os.path.join(out_dir, n + ".json") for n in names}
    eid = ensemble_id(configs)
    ckpt_path = os.path.join(out_dir, "checkpoints", f"ensemble-{eid}.pt")
    cfg0 = configs[0]
    threads_before = torch.get_num_threads()
    if cfg0.threads is not None:
        torch.set_num_threads(cfg0.threads)
    try:
        _train_ensemble(configs, names, paths, out_dir, eid, ckpt_path, resume, progress)
    finally:
        torch.set_num_threads(threads_before)
    out = []
    for n in names:
        with open(paths[n]) as fh:
            out.append(json.load(fh))
    return out


def _train_ensemble(configs, names, paths, out_dir, eid, ckpt_path, resume, progress) -> None:
    import torch
    from tqdm.auto import tqdm

    from .models import EnsembleRNN, clip_grad_norm_per_model_, tune_cpu_allocator

    by_name = dict(zip(names, configs))
    todo = [n for n in names if not (resume and _train.is_finished(paths[n], by_name[n]))]
    if not todo:
        if os.path.exists(ckpt_path):
            os.remove(ckpt_path)
        return
    t_start = time.perf_counter()
    cfg0 = configs[0]
    device = _config.resolve_device(cfg0.device)
    if device == "cpu":
        tune_cpu_allocator()
    data = _train._Data(cfg0, device)
    spec = _tasks.task_spec(data.loss_task)
    n_hidden = cfg0.hidden_size or spec.hidden_size
    nonlin = cfg0.nonlinearity or spec.nonlinearity
    model_info = {"hidden_size": n_hidden, "nonlinearity": nonlin, "readout": spec.readout}
    updates_per_epoch, total_updates, eval_every = _train._schedule(cfg0, data)

    ck = None
    if resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ck.get("configs") != [c.to_dict() for c in configs]:
            ck = None
    active = list(ck["active"]) if ck is not None else todo
    model = EnsembleRNN(
        len(active), spec.input_size, n_hidden, spec.output_size, nonlin,
        [by_name[n].init for n in active], [by_name[n].init_scale for n in active], spec.readout,
        seeds=[by_name[n].seed for n in active], device=device,
    )
    opt = RMSpropPerModel(list(model.parameters()), [by_name[n].lr for n in active], cfg0.rho, cfg0.eps)
    empty = {"update": [], "epoch": [], "train_loss": [], "val_loss": []}
    states = {
        n: {"update": 0, "history": json.loads(json.dumps(empty)), "best_val_loss": None,
            "wall_time_s": 0.0, "resumes": 0}
        for n in active
    }
    update, wall_before = 0, 0.0
    if ck is not None:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        data.gen.set_state(ck["data_generator"])
        states = ck["states"]
        update, wall_before = ck["update"], ck["wall_time_s"]
        for s in states.values():
            s["resumes"] += 1
    k0 = ck["ensemble_size"] if ck is not None else len(active)
    timing_extra = {"ensemble_size": k0, "ensemble_id": eid}
    provenance = _train._provenance(device)  # once: git is asked twice per call

    def wall() -> float:
        return wall_before + time.perf_counter() - t_start

    def record(n: str, status: str) -> dict:
        return _train._result_record(
            by_name[n], status, states[n], data, total_updates, updates_per_epoch, model_info, device, timing_extra,
            provenance,
        )

    statuses: dict[str, str] = {}

    def finish(n: str, status: str) -> None:
        statuses[n] = status
        states[n]["wall_time_s"] = wall()
        res = record(n, status)
        if status != "diverged":
            res["weights_file"] = _train._save_weights(paths[n], model.member(active.index(n)))
        _train.write_json_atomic(paths[n], res)

    def drop(keep: list[int]) -> None:
        nonlocal model, opt, active, loss_sum
        model = model.select(keep)
        opt = opt.select(keep, list(model.parameters()))
        active = [active[i] for i in keep]
        loss_sum = loss_sum[keep].clone()

    params_of = lambda m: list(m.parameters())  # noqa: E731
    bar = tqdm(total=total_updates, initial=update, disable=not progress, desc=f"ensemble {eid[:8]}", leave=False)
    failed = False
    loss_sum = torch.zeros(len(active), device=device)
    n_sum = 0
    try:
        while update < total_updates and active:
            x, y = data.batch(update)
            opt.zero_grad()
            losses = _tasks.task_loss(data.loss_task, model(x), y)  # (K,): model k's own mean loss
            losses.sum().backward()  # so model k's gradient is that of its own loss
            if cfg0.clip_norm is not None:
                clip_grad_norm_per_model_(params_of(model), cfg0.clip_norm)
            opt.step()
            loss_sum += losses.detach()
            n_sum += 1
            update += 1
            bar.update(1)
            for n in active:
                states[n]["update"] = update
            is_eval = update % eval_every == 0 or update == total_updates
            if update % cfg0.check_every == 0 or is_eval:
                ok = _member_finite(model, loss_sum)
                if not ok.all():
                    for i in np.flatnonzero(~ok):
                        finish(active[i], "diverged")
                    keep = np.flatnonzero(ok).tolist()
                    if not keep:
                        active = []
                        break
                    drop(keep)
            if not is_eval:
                continue
            vals = _evaluate_ensemble(model, data.loss_task, data.val[0], data.val[1], cfg0.eval_batch_size)
            train_losses = (loss_sum.double() / n_sum).cpu().numpy()
            loss_sum.zero_()
            n_sum = 0
            keep = []
            for i, n in enumerate(active):
                s, val = states[n], float(vals[i])
                h = s["history"]
                h["update"].append(update)
                h["epoch"].append(update / updates_per_epoch)
                h["train_loss"].append(float(train_losses[i]))
                h["val_loss"].append(val)
                if not math.isfinite(val):
                    finish(n, "diverged")
                    continue
                if s["best_val_loss"] is None or val < s["best_val_loss"]:
                    s["best_val_loss"] = val
                if cfg0.early_stop_loss is not None and val < cfg0.early_stop_loss:
                    finish(n, "early_stopped")
                    continue
                keep.append(i)
            if not keep:
                active = []
                break
            if len(keep) < len(active):
                drop(keep)
            bar.set_postfix(active=len(active), best_val=f"{float(np.nanmin(vals)):.4g}")
            if update < total_updates:
                for n in active:
                    states[n]["wall_time_s"] = wall()
                _train._save_checkpoint_atomic(ckpt_path, {
                    "configs": [c.to_dict() for c in configs], "active": active, "ensemble_size": k0,
                    "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "data_generator": data.gen.get_state(), "states": states, "update": update,
                    "wall_time_s": wall(),
                })
                for n in active:
                    _train.write_json_atomic(paths[n], record(n, "running"))
        for n in active:
            finish(n, "completed")
        if os.path.exists(ckpt_path):
            os.remove(ckpt_path)
    except BaseException:
        failed = True
        raise
    finally:
        all_diverged = bool(statuses) and all(st == "diverged" for st in statuses.values())
        _train._close_bar(bar, failed=failed or all_diverged)


# --------------------------------------------------------------------------- a sweep


def pending(configs: Iterable[_train.TrainConfig], out_dir: str) -> list[_train.TrainConfig]:
    """The runs without a final result of the same configuration in ``out_dir``.

    Parameters
    ----------
    configs : iterable of TrainConfig
    out_dir : str

    Returns
    -------
    list of TrainConfig

    See chapter 3.
    """
    return [c for c in configs if not _train.is_finished(os.path.join(out_dir, c.run_name() + ".json"), c)]


def run_sweep(
    configs: SweepGrid | Iterable[_train.TrainConfig],
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
        runs one at a time with :func:`nnrnn_edu.train.train`.
    resume : bool
        Skip runs whose final result exists; continue interrupted ensembles.
        ``False`` retrains everything.
    progress : bool
        tqdm progress bars (ensembles, and the sweep as a whole).

    Returns
    -------
    list of dict
        The results of this shard's runs, sorted by run name.

    See chapter 3.
    """
    from tqdm.auto import tqdm

    cfgs = configs.configs() if isinstance(configs, SweepGrid) else list(configs)
    if not cfgs or any(not isinstance(c, _train.TrainConfig) for c in cfgs):
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
    results: dict[str, dict] = {}
    if ensemble_size == 1:
        for c in tqdm(cfgs, disable=not progress, desc="sweep", unit="run"):
            results[c.run_name()] = _train.train(c, out_dir, resume=resume, progress=progress)
    else:
        groups = ensembles(cfgs, ensemble_size)
        with tqdm(total=len(cfgs), disable=not progress, desc="sweep", unit="run") as bar:
            for g in groups:
                for r in train_ensemble(g, out_dir, resume=resume, progress=progress):
                    results[r["name"]] = r
                bar.update(len(g))
    return [results[c.run_name()] for c in cfgs]


# --------------------------------------------------------------------------- summaries


def load_results(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[dict]:
    """Read result files: directories (searched recursively) and/or single JSON files.

    Files that are not run results (no ``config``/``status``), temporary files
    and checkpoints are ignored. When the same run appears more than once
    (shards copied together twice), a final result wins over ``"running"``,
    then the later file in sorted path order.

    Parameters
    ----------
    paths : path or iterable of paths

    Returns
    -------
    list of dict
        Sorted by run name.

    See chapter 3.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            files += glob.glob(os.path.join(p, "**", "*.json"), recursive=True)
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise ValueError(f"paths must name existing files or directories, got {p!r}")
    by_name: dict[str, dict] = {}
    for f in sorted(files):
        if os.path.basename(f).startswith(".tmp-"):
            continue
        try:
            with open(f) as fh:
                r = json.load(fh)
        except (OSError, ValueError):
            continue
        if not isinstance(r, dict) or "config" not in r or "status" not in r or "name" not in r:
            continue
        r["path"] = os.path.abspath(f)
        old = by_name.get(r["name"])
        if old is not None and old["status"] != "running" and r["status"] == "running":
            continue
        by_name[r["name"]] = r
    return [by_name[n] for n in sorted(by_name)]


MODEL_ORDER = ("identity", "orthogonal", "chain", "fbchain")
"""Order of the models in Figure 3 (normal first, then non-normal)."""


def summarize(
    results: str | os.PathLike | Iterable[Any],
    task: str | None = None,
) -> dict:
    """Merge result files into the Figure 3 tables: best validation curve and success count per model.

    The *best* run of a model is the one with the lowest final validation loss
    among its runs that did not diverge (if all diverged: the lowest
    ``best_val_loss``). A run succeeds when its final validation loss is below
    half the memoryless baseline (the ``success`` flag of its result).

    Parameters
    ----------
    results : path, iterable of paths, or iterable of result dicts
        Result directories/files (see :func:`load_results`) or loaded results.
    task : str or None
        Keep only this task (None: every task found).

    Returns
    -------
    dict
        ``{task: {"baseline_loss", "success_threshold", "models": {init: row}}}``
        with models in :data:`MODEL_ORDER`. Each ``row`` has ``n_runs`` (final
        results), ``n_success``, ``n_diverged``, ``n_early_stopped``,
        ``n_running`` (unfinished, not counted in ``n_runs``), ``success_fraction``,
        ``best_setting`` (the paper's Figure 3a-c: the scale and learning rate
        with the lowest final validation loss averaged over seeds, with
        ``update``, ``val_loss_mean`` and ``val_loss_sem`` arrays; or None),
        ``scales`` (sorted), ``lrs`` (descending), ``success_grid`` (int array
        ``(n_scales, n_lrs)``, successes summed over seeds), and ``best``:
        ``None`` or a dict with ``name``, ``init_scale``, ``lr``, ``seed``,
        ``final_val_loss``, ``best_val_loss`` and the curve as float arrays
        ``update``, ``epoch``, ``val_loss``, ``train_loss`` (each shape (E,)).

    See chapter 3.
    """
    items = list(results) if not isinstance(results, (str, os.PathLike)) else [results]
    if items and all(isinstance(r, dict) for r in items):
        rs = items
    elif items and all(isinstance(r, (str, os.PathLike)) for r in items):
        rs = load_results(items)
    elif not items:
        rs = []
    else:
        raise ValueError("results must be paths or result dicts, not a mixture")
    if task is not None and task not in _tasks.TASKS:
        raise ValueError(f"task must be None or one of {_tasks.TASKS}, got {task!r}")
    out: dict[str, dict] = {}
    for r in rs:
        t = r["config"]["task"]
        if task is not None and t != task:
            continue
        entry = out.setdefault(t, {
            "baseline_loss": r.get("baseline_loss"), "success_threshold": r.get("success_threshold"), "models": {},
        })
        entry["models"].setdefault(r["config"]["init"], []).append(r)
    for t, entry in out.items():
        rows = {}
        for init in sorted(entry["models"], key=lambda i: (MODEL_ORDER.index(i) if i in MODEL_ORDER else 99, i)):
            rows[init] = _model_row(entry["models"][init])
        entry["models"] = rows
    return out


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def _model_row(runs: list[dict]) -> dict:
    final = [r for r in runs if r["status"] != "running"]
    scales = sorted({r["config"]["init_scale"] for r in final})
    lrs = sorted({r["config"]["lr"] for r in final}, reverse=True)
    succ = np.zeros((len(scales), len(lrs)), dtype=int)
    for r in final:
        if r.get("success"):
            succ[scales.index(r["config"]["init_scale"]), lrs.index(r["config"]["lr"])] += 1
    ok = [r for r in final if r["status"] != "diverged" and _finite(r.get("final_val_loss"))]
    if ok:
        best = min(ok, key=lambda r: (r["final_val_loss"], r["name"]))
    else:
        cands = [r for r in final if _finite(r.get("best_val_loss"))]
        best = min(cands, key=lambda r: (r["best_val_loss"], r["name"])) if cands else None
    best_row = None
    if best is not None:
        h = best["history"]
        best_row = {
            "name": best["name"], "init_scale": best["config"]["init_scale"], "lr": best["config"]["lr"],
            "seed": best["seed"], "status": best["status"], "final_val_loss": best["final_val_loss"],
            "best_val_loss": best["best_val_loss"],
            **{k: np.asarray(h[k], dtype=float) for k in ("update", "epoch", "val_loss", "train_loss")},
        }
    n = len(final)
    n_success = int(sum(bool(r.get("success")) for r in final))
    return {
        "best_setting": _best_setting(final),
        "n_runs": n,
        "n_success": n_success,
        "n_diverged": sum(r["status"] == "diverged" for r in final),
        "n_early_stopped": sum(r["status"] == "early_stopped" for r in final),
        "n_running": len(runs) - n,
        "success_fraction": n_success / n if n else float("nan"),
        "scales": scales,
        "lrs": lrs,
        "success_grid": succ,
        "best": best_row,
    }


def _best_setting(final: list[dict]) -> dict | None:
    """The (scale, lr) with the lowest mean final validation loss over seeds, and its mean curve.

    A diverged seed counts as an infinite loss, so a setting that diverges for
    any seed is never the best. Curves of seeds that stopped early are held at
    their last value up to the longest run (the paper's early stop means the
    loss is already below 0.0025).
    """
    groups: dict[tuple, list[dict]] = {}
    for r in final:
        groups.setdefault((r["config"]["init_scale"], r["config"]["lr"]), []).append(r)

    def mean_loss(runs):
        vals = [r.get("final_val_loss") if r["status"] != "diverged" else math.inf for r in runs]
        vals = [v if _finite(v) else math.inf for v in vals]
        return float(np.mean(vals))

    scored = [(mean_loss(runs), key) for key, runs in groups.items()]
    scored = [sv for sv in scored if math.isfinite(sv[0])]
    if not scored:
        return None
    loss, key = min(scored)
    runs = sorted(groups[key], key=lambda r: r["seed"])
    longest = max(runs, key=lambda r: len(r["history"]["update"]))
    update = np.asarray(longest["history"]["update"], dtype=float)
    curves = np.empty((len(runs), update.size))
    for i, r in enumerate(runs):
        v = np.asarray(r["history"]["val_loss"], dtype=float)
        curves[i, : v.size] = v
        curves[i, v.size :] = v[-1] if v.size else np.nan
    sem = curves.std(axis=0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else np.zeros(update.size)
    return {
        "init_scale": key[0], "lr": key[1], "seeds": [r["seed"] for r in runs],
        "mean_final_val_loss": loss, "n_success": int(sum(bool(r.get("success")) for r in runs)),
        "update": update, "val_loss_mean": curves.mean(axis=0), "val_loss_sem": sem,
    }


_PROTOCOL_FIELDS = (
    "seq_len", "hidden_size", "nonlinearity", "batch_size", "epoch_size", "max_epochs", "max_updates",
    "val_size", "early_stop_loss", "clip_norm", "rho", "eps",
)


def is_full_scale(result: Mapping[str, Any]) -> bool:
    """Whether a result comes from the paper's full protocol (not a quick or CPU-sized run).

    Parameters
    ----------
    result : dict
        A result record.

    Returns
    -------
    bool
        True when every protocol setting (sequence length, sizes, batch, budget,
        validation size, early stop, clipping, optimiser constants) equals
        :func:`nnrnn_edu.train.preset` ``(task, quick=False)`` and psMNIST used
        real MNIST, not the psDigits stand-in.

    See chapter 3.
    """
    if not isinstance(result, Mapping) or "config" not in result:
        raise ValueError("result must be a result record with a 'config'")
    cfg = result["config"]
    if cfg.get("task") not in _tasks.TASKS:
        return False
    ref = _train.preset(cfg["task"], quick=False).to_dict()
    if any(cfg.get(k) != ref[k] for k in _PROTOCOL_FIELDS):
        return False
    return result.get("dataset", {}).get("name") != "psDigits"


CHAPTER_SEEDS: tuple[int, ...] = (1, 2)
"""Seeds of the CPU sweep that chapter 3 runs at full scale (``make book``)."""

CHAPTER_UPDATES = 1200
"""Updates per run of that CPU sweep (the quick grid has 400)."""


def chapter_grid(task: str, quick: bool | None = None) -> SweepGrid:
    """The small CPU sweep of chapter 3 for one task.

    Quick mode: :func:`grid` ``(task, quick=True)`` (8 runs of 400 updates).
    Otherwise the same scales and learning rates with :data:`CHAPTER_SEEDS`
    and :data:`CHAPTER_UPDATES` updates (16 runs): a few minutes for all three
    tasks on two CPU cores. Neither is the paper's experiment (see
    :func:`grid` with ``quick=False`` for that).

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    quick : bool or None
        None follows :func:`nnrnn_edu.config.quick_mode`.

    Returns
    -------
    SweepGrid

    See chapter 3.
    """
    if quick is None:
        quick = _config.quick_mode()
    if quick:
        return grid(task, quick=True)
    return grid(task, quick=True, seeds=CHAPTER_SEEDS, max_updates=CHAPTER_UPDATES,
                eval_every=CHAPTER_UPDATES // 8)


def figure3_results(
    results_dir: str | None = None,
    tasks: Sequence[str] = ("copy", "addition", "psmnist"),
    quick: bool | None = None,
    progress: bool = True,
) -> tuple[dict, str]:
    """Figure 3 from the best results available, and a sentence saying where they come from.

    For each task: full-scale results (:func:`is_full_scale`) found anywhere
    under ``results_dir`` are used when there are any; otherwise the small CPU
    sweep (:func:`chapter_grid`) is trained now into
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
        :func:`summarize` of the chosen results.
    source : str
        E.g. ``"copy: small CPU sweep (quick preset: T = 60, 400 updates, 8 runs)"`` or
        ``"copy: full-scale results (2112 runs on cuda, commit 1a2b3c4)"``, one clause per task.

    See chapter 3.
    """
    rd = _config.results_dir() if results_dir is None else os.fspath(results_dir)
    if isinstance(tasks, str) or not tasks or any(t not in _tasks.TASKS for t in tasks):
        raise ValueError(f"tasks must be a non-empty sequence of {_tasks.TASKS}, got {tasks!r}")
    if quick is None:
        quick = _config.quick_mode()
    found = load_results(rd) if os.path.isdir(rd) else []
    chosen: list[dict] = []
    parts = []
    for task in tasks:
        full = [r for r in found if r["config"]["task"] == task and r["status"] != "running" and is_full_scale(r)]
        if full:
            devices = sorted({r["provenance"]["device"] for r in full})
            commits = sorted({str(r["provenance"].get("git_commit"))[:7] for r in full})
            parts.append(f"{task}: full-scale results ({len(full)} runs on {', '.join(devices)}, "
                         f"commit {', '.join(commits)})")
            chosen += full
            continue
        g = chapter_grid(task, quick)
        out = os.path.join(rd, "quick", "quick" if quick else "cpu", task)
        chosen += run_sweep(g, out, progress=progress)
        base = g.base
        data = "psDigits, T = 64" if task == "psmnist" else f"T = {base.seq_len}"
        parts.append(
            f"{task}: small CPU sweep ({'quick preset' if quick else 'chapter preset'}: {data}, "
            f"{base.max_updates} updates, {len(g)} runs), not the paper's experiment"
        )
    return summarize(chosen), "; ".join(parts)


def summary_table(summary: dict) -> str:
    """A plain-text table of :func:`summarize`'s output (one line per task and model).

    Parameters
    ----------
    summary : dict
        As returned by :func:`summarize`.

    Returns
    -------
    str

    See chapter 3.
    """
    lines = []
    for t, entry in summary.items():
        thr = entry.get("success_threshold")
        lines.append(f"{t}: success = final validation loss < {thr:.4g}" if _finite(thr) else f"{t}:")
        lines.append(f"  {'model':<11} {'success':>9} {'diverged':>9} {'running':>8}  best run (final val loss)")
        for init, row in entry["models"].items():
            b = row["best"]
            best = f"{b['name']} ({b['final_val_loss']:.4g})" if b and _finite(b["final_val_loss"]) else "-"
            lines.append(
                f"  {init:<11} {row['n_success']:>4}/{row['n_runs']:<4} {row['n_diverged']:>9} "
                f"{row['n_running']:>8}  {best}"
            )
    return "\n".join(lines)


__all__ = [
    "CHAPTER_SEEDS",
    "CHAPTER_UPDATES",
    "chapter_grid",
    "figure3_results",
    "is_full_scale",
    "MODEL_ORDER",
    "PAPER_LEARNING_RATES",
    "PAPER_RUNS_PER_MODEL",
    "PAPER_SCALES",
    "PAPER_SEEDS",
    "QUICK_LEARNING_RATES",
    "QUICK_SCALES",
    "QUICK_SEEDS",
    "RMSpropPerModel",
    "SweepGrid",
    "default_ensemble_size",
    "ensemble_id",
    "ensembles",
    "grid",
    "load_results",
    "parse_shard",
    "pending",
    "run_sweep",
    "shard",
    "summarize",
    "summary_table",
    "train_ensemble",
]

"""Train one vanilla RNN on copy, addition or psMNIST with the paper's protocol.

The defaults are the authors' (``eminorhan/nonnormal-init/train.py``): RMSprop
with rho = 0.9 and eps = 1e-7 (Keras 2.2.4 defaults, not torch's), global
gradient-norm clipping at 10, batch 16, validation once per "epoch" of 60 000
sequences, early stop once the validation loss falls below 0.0025, at most 100
epochs. Every setting is a field of :class:`TrainConfig`; :func:`preset` gives
the full-scale and the quick (CI) versions.

:func:`train` writes one JSON result per run (config, seed, loss history,
best/final validation loss, success flag, status, wall time, device, versions,
git commit), always atomically (temporary file + rename). A run whose loss or
weights become NaN/inf stops with status ``"diverged"``. A checkpoint is
written (atomically) after every evaluation; a run that is killed at any
moment restarts from its last checkpoint and ends with the same numbers as an
uninterrupted run (CPU, same seed), because the data stream's generator state
is checkpointed with the model and the optimiser. See chapter 3.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import config as _config
from . import tasks as _tasks

STATUSES = ("running", "completed", "early_stopped", "diverged")
"""``status`` of a result file; all but ``"running"`` are final."""

RESULT_VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run (saved in its result file).

    Attributes
    ----------
    task : {"copy", "addition", "psmnist"}
    seq_len : int or None
        T for copy/addition (None: 500 / 750); ignored for psMNIST (T = 784, or 64 for psDigits).
    hidden_size : int or None
        N (None: the paper's, 100 / 100 / 25).
    nonlinearity : str or None
        None: the paper's (elu / relu / elu).
    init : {"chain", "fbchain", "identity", "orthogonal"}
    init_scale : float or None
        alpha / beta / lambda (None: the kind's default).
    lr : float
        RMSprop learning rate.
    rho, eps : float
        RMSprop smoothing constant and epsilon (Keras: 0.9, 1e-7).
    clip_norm : float or None
        Global gradient-norm clip (None: off).
    batch_size : int
    epoch_size : int or None
        Sequences per epoch (None: 60 000 for copy/addition, the training set for psMNIST).
    max_epochs : float or None
        Budget in epochs (the run stops at whichever budget is hit first).
    max_updates : int or None
        Budget in parameter updates.
    eval_every : int or None
        Updates between validations and checkpoints (None: once per epoch).
    val_size : int
        Fixed validation sequences for copy/addition (psMNIST uses the test split).
    eval_batch_size : int
    early_stop_loss : float or None
        Stop once the validation loss is below this (None: never).
    seed : int
        Seeds the initial weights and the training data stream.
    val_seed : int
        Seed of the validation set.
    permutation_seed : int
        Seed of the psMNIST pixel permutation.
    data_source : {"auto", "mnist", "digits"}
        psMNIST source (see :func:`nnrnn_edu.data.psmnist`).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    engine : {"fast", "naive"}
    check_every : int
        Updates between divergence checks (each is a host synchronisation).
    threads : int or None
        torch CPU threads for the run (restored afterwards); None leaves torch's
        setting. At batch 16 one thread is as fast as two, and far faster when
        other processes compete for the cores (OpenMP barriers then wait for
        the scheduler).

    See chapter 3.
    """

    task: str = "copy"
    seq_len: int | None = None
    hidden_size: int | None = None
    nonlinearity: str | None = None
    init: str = "chain"
    init_scale: float | None = 1.0
    lr: float = 1e-4
    rho: float = 0.9
    eps: float = 1e-7
    clip_norm: float | None = 10.0
    batch_size: int = 16
    epoch_size: int | None = None
    max_epochs: float | None = 100.0
    max_updates: int | None = None
    eval_every: int | None = None
    val_size: int = 10_000
    eval_batch_size: int = 1000
    early_stop_loss: float | None = 0.0025
    seed: int = 1
    val_seed: int = _tasks.VALIDATION_SEED
    permutation_seed: int = 1
    data_source: str = "auto"
    device: str = "auto"
    engine: str = "fast"
    check_every: int = 50
    threads: int | None = None

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    def run_name(self) -> str:
        """File stem of this run, like the authors' ``<task>_<init>_<scale>_<lr>_<seed>``."""
        return f"{self.task}_{self.init}_{self.init_scale}_{self.lr:g}_{self.seed}"


_QUICK = {
    "copy": dict(seq_len=60, max_updates=400, eval_every=100, val_size=256, threads=1),
    "addition": dict(seq_len=60, max_updates=400, eval_every=100, val_size=256, threads=1),
    "psmnist": dict(max_updates=400, eval_every=100, data_source="digits", threads=1),
}


def preset(task: str, quick: bool | None = None, **overrides: Any) -> TrainConfig:
    """The paper's protocol for a task, full scale or quick.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    quick : bool or None
        None follows :func:`nnrnn_edu.config.quick_mode`. Quick runs are short
        (T = 60, 400 updates; psDigits for psMNIST) and show trends, not the
        paper's numbers.
    **overrides
        Any :class:`TrainConfig` field.

    Returns
    -------
    TrainConfig

    See chapter 3.
    """
    if task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {task!r}")
    if quick is None:
        quick = _config.quick_mode()
    base = dict(task=task, **(_QUICK[task] if quick else {}))
    base.update(overrides)
    return TrainConfig(**base)


# --------------------------------------------------------------------------- helpers


def _check_config(cfg: TrainConfig) -> TrainConfig:
    from .models.rnn import ENGINES
    from .models.recurrence import NONLINEARITIES

    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    if cfg.task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {cfg.task!r}")
    for name in ("batch_size", "val_size", "eval_batch_size", "check_every"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    for name in ("seq_len", "hidden_size", "epoch_size", "max_updates", "eval_every", "threads"):
        v = getattr(cfg, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be None or a positive integer, got {v!r}")
    for name in ("lr", "eps"):
        v = getattr(cfg, name)
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if not (isinstance(cfg.rho, (int, float)) and 0 <= cfg.rho < 1):
        raise ValueError(f"rho must be in [0, 1), got {cfg.rho!r}")
    if cfg.clip_norm is not None and not (isinstance(cfg.clip_norm, (int, float)) and cfg.clip_norm > 0):
        raise ValueError(f"clip_norm must be None or positive, got {cfg.clip_norm!r}")
    if cfg.max_epochs is not None and not (isinstance(cfg.max_epochs, (int, float)) and cfg.max_epochs > 0):
        raise ValueError(f"max_epochs must be None or positive, got {cfg.max_epochs!r}")
    if cfg.max_epochs is None and cfg.max_updates is None:
        raise ValueError("max_epochs and max_updates are both None: give the run a budget")
    if cfg.nonlinearity is not None and cfg.nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be None or one of {NONLINEARITIES}, got {cfg.nonlinearity!r}")
    if cfg.engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {cfg.engine!r}")
    if cfg.data_source not in ("auto", "mnist", "digits"):
        raise ValueError(f"data_source must be 'auto', 'mnist' or 'digits', got {cfg.data_source!r}")
    from .connectivity import KINDS

    if cfg.init not in KINDS:
        raise ValueError(f"init must be one of {KINDS}, got {cfg.init!r}")
    for name in ("seed", "val_seed", "permutation_seed"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    return cfg


def _close_bar(bar: Any, failed: bool) -> None:
    """Close a tqdm bar, showing a run that stopped early on purpose as finished.

    ``tqdm.notebook`` colours a bar that closes short of its total red, as if it had failed; an early
    stop (validation loss below the threshold) is a success, so its bar is shortened to where it
    stopped first. ``failed`` (divergence, an exception, Ctrl-C) keeps the red bar.
    """
    if not failed and bar.total is not None and bar.n < bar.total:
        bar.total = bar.n
    bar.close()


def write_json_atomic(path: str, obj: Any) -> None:
    """Write JSON to ``path`` via a temporary file in the same directory and ``os.replace``.

    A reader (or a killed writer) never sees a half-written file.

    See chapter 3.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, indent=1, sort_keys=True, allow_nan=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _save_checkpoint_atomic(path: str, state: dict) -> None:
    import torch

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


WEIGHTS_SUFFIX = ".weights.pt"
"""Trained weights of run ``<name>`` are stored next to its result as ``<name>.weights.pt``."""


def _save_weights(result_path: str, model) -> str:
    """Write the trained model's ``state_dict`` (CPU tensors) next to its result; returns the file name."""
    path = result_path[: -len(".json")] + WEIGHTS_SUFFIX if result_path.endswith(".json") else result_path + WEIGHTS_SUFFIX
    _save_checkpoint_atomic(path, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
    return os.path.basename(path)


def load_model(result: dict, which: str = "final", directory: str | None = None):
    """Rebuild a run's network: as initialised, or with its trained weights.

    Parameters
    ----------
    result : dict
        A result record (:func:`train`, or :func:`nnrnn_edu.sweep.load_results`,
        which adds its ``path``).
    which : {"final", "initial"}
        ``"initial"`` rebuilds the seeded initialisation from the config (no file
        needed); ``"final"`` loads the trained weights written when the run ended.
    directory : str or None
        Where the weights file lies; None: next to ``result["path"]``.

    Returns
    -------
    VanillaRNN
        On the CPU, in float32; ``recurrent_weight`` is W in the column convention.

    Raises
    ------
    ValueError
        If ``which`` is unknown, or the run has no trained weights (it diverged,
        is still running, or was written by an older version).

    See chapter 4.
    """
    import torch

    from .models import VanillaRNN

    if which not in ("final", "initial"):
        raise ValueError(f"which must be 'final' or 'initial', got {which!r}")
    if not isinstance(result, dict) or "config" not in result or "model" not in result:
        raise ValueError("result must be a result record with 'config' and 'model' (see nnrnn_edu.train.train)")
    cfg, info = result["config"], result["model"]
    task = "psdigits" if result.get("dataset", {}).get("name") == "psDigits" else cfg["task"]
    spec = _tasks.task_spec(task)
    model = VanillaRNN(
        spec.input_size, info["hidden_size"], spec.output_size, info["nonlinearity"], cfg["init"],
        cfg["init_scale"], info["readout"], seed=cfg["seed"],
    )
    if which == "initial":
        return model
    name = result.get("weights_file")
    if not name:
        raise ValueError(
            f"run {result.get('name')!r} has no trained weights (status {result.get('status')!r}); "
            "only runs that completed or early-stopped store them"
        )
    if directory is None:
        if not result.get("path"):
            raise ValueError("directory must be given when result has no 'path' (load it with sweep.load_results)")
        directory = os.path.dirname(result["path"])
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        raise ValueError(f"the weights file {path!r} is missing; copy it along with the result file")
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


def git_commit() -> str | None:
    """The library's git commit (with ``-dirty`` if the tree has changes), or None outside a checkout.

    See chapter 3.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True,
            text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("-dirty" if dirty else "") if sha else None


def _provenance(device: str) -> dict:
    import torch

    from . import __version__

    return {
        "nnrnn_edu": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if device.startswith("cuda") else None,
        "threads": torch.get_num_threads(),
        "git_commit": git_commit(),
    }


class _Data:
    """Training stream and validation set of one run."""

    def __init__(self, cfg: TrainConfig, device: str):
        import torch

        self.task = cfg.task
        self.device = device
        self.batch_size = cfg.batch_size
        self.gen = torch.Generator().manual_seed(cfg.seed)  # training stream (checkpointed)
        self.dataset_name = cfg.task
        self.note = ""
        self.permutation = None
        if cfg.task == "psmnist":
            from . import data

            train = data.psmnist("train", cfg.permutation_seed, cfg.data_source)
            val = data.psmnist("test", cfg.permutation_seed, "digits" if train.name == "psDigits" else "mnist")
            self.train = train
            self.loss_task = train.task
            self.dataset_name, self.note = train.name, train.note
            self.permutation = train.permutation.tolist()
            self.seq_len = train.seq_len
            self.epoch_size = cfg.epoch_size or len(train)
            self.val = (val.inputs, val.labels)
        else:
            self.seq_len = cfg.seq_len or _tasks.task_spec(cfg.task).seq_len
            self.loss_task = cfg.task
            self.epoch_size = cfg.epoch_size or 60_000
            self.val = _tasks.validation_set(cfg.task, cfg.val_size, self.seq_len, cfg.val_seed)
        self.seed = cfg.seed

    def batch(self, update: int):
        """The batch of update number ``update`` (0-based)."""
        import torch

        if self.task != "psmnist":
            x, y = _tasks.sample_batch(self.task, self.batch_size, self.seq_len, self.gen)
        else:  # epoch-wise shuffles of the training set, each from its own seed: resumable anywhere
            n = len(self.train)
            per_epoch = max(1, n // self.batch_size)
            epoch, i = divmod(update, per_epoch)
            seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1)[0])
            order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            x, y = self.train.inputs[idx], self.train.labels[idx]
        return x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


def evaluate(model, task: str, inputs, targets, batch_size: int = 1000) -> float:
    """Mean validation loss of ``model`` over a fixed set, in batches, without gradients.

    Parameters
    ----------
    model : VanillaRNN
    task : str
        Loss name for :func:`nnrnn_edu.tasks.task_loss`.
    inputs, targets : Tensor
        The whole validation set (any device; moved batch by batch).
    batch_size : int

    Returns
    -------
    float

    See chapter 3.
    """
    import torch

    device = next(model.parameters()).device
    total, n = 0.0, 0
    with torch.no_grad():
        for lo in range(0, inputs.shape[0], batch_size):
            x = inputs[lo : lo + batch_size].to(device)
            y = targets[lo : lo + batch_size].to(device)
            total += float(_tasks.task_loss(task, model(x), y)) * x.shape[0]
            n += x.shape[0]
    return total / n


def _finite_params(model) -> bool:
    import torch

    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _schedule(cfg: TrainConfig, data: _Data) -> tuple[int, int, int]:
    """``(updates_per_epoch, total_updates, eval_every)`` of a run (shared with the sweep)."""
    updates_per_epoch = max(1, data.epoch_size // cfg.batch_size)
    budget = []
    if cfg.max_updates is not None:
        budget.append(cfg.max_updates)
    if cfg.max_epochs is not None:
        budget.append(max(1, int(round(cfg.max_epochs * updates_per_epoch))))
    return updates_per_epoch, min(budget), cfg.eval_every or updates_per_epoch


def _result_record(
    cfg: TrainConfig, status: str, state: dict, data: _Data, total_updates: int, updates_per_epoch: int,
    model_info: dict, device: str, timing: dict | None = None, provenance: dict | None = None,
) -> dict:
    """The JSON result of one run (shared with :mod:`nnrnn_edu.sweep`, which adds ``timing`` fields
    and passes its ``provenance`` once per ensemble instead of asking git for every record).

    ``state`` holds ``update``, ``history``, ``best_val_loss``, ``wall_time_s`` and ``resumes``.
    """
    h = state["history"]
    final = h["val_loss"][-1] if h["val_loss"] else None
    baseline = _tasks.baseline_loss(data.loss_task, data.seq_len)
    thr = _tasks.SUCCESS_FRACTION * baseline
    return {
        "version": RESULT_VERSION,
        "name": cfg.run_name(),
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "status": status,
        "updates": state["update"],
        "total_updates": total_updates,
        "updates_per_epoch": updates_per_epoch,
        "history": h,
        "best_val_loss": state["best_val_loss"],
        "final_val_loss": final,
        "baseline_loss": baseline,
        "success_threshold": thr,
        "success": bool(final is not None and math.isfinite(final) and final < thr),
        "dataset": {
            "name": data.dataset_name, "seq_len": data.seq_len, "note": data.note,
            "permutation_seed": cfg.permutation_seed if data.permutation is not None else None,
            "permutation": data.permutation,
        },
        "model": dict(model_info),
        "timing": {"wall_time_s": state["wall_time_s"], "resumes": state["resumes"], **(timing or {})},
        "provenance": dict(provenance) if provenance is not None else _provenance(device),
    }


def is_finished(path: str, cfg: TrainConfig) -> bool:
    """Whether ``path`` holds a *final* result (any status but ``"running"``) of exactly ``cfg``.

    :func:`train` and :func:`nnrnn_edu.sweep.run_sweep` skip such runs.

    Parameters
    ----------
    path : str
        A result file (``<out_dir>/<run_name>.json``); it need not exist.
    cfg : TrainConfig

    Returns
    -------
    bool

    See chapter 3.
    """
    if not os.path.exists(path):
        return False
    try:
        with open(path) as fh:
            old = json.load(fh)
    except (OSError, ValueError):
        return False
    return old.get("status") in STATUSES[1:] and old.get("config") == cfg.to_dict()


# --------------------------------------------------------------------------- one run


def train(
    cfg: TrainConfig,
    out_dir: str = "results",
    *,
    resume: bool = True,
    progress: bool = True,
) -> dict:
    """Train one network and write its JSON result.

    Parameters
    ----------
    cfg : TrainConfig
        The run (see :func:`preset`).
    out_dir : str
        The result goes to ``out_dir/<run_name>.json``, the checkpoint to
        ``out_dir/checkpoints/<run_name>.pt`` (deleted when the run ends).
    resume : bool
        Continue from an existing checkpoint, and return an existing *final*
        result without training again. ``False`` starts afresh.
    progress : bool
        Show a tqdm progress bar (on stderr).

    Returns
    -------
    dict
        The result written to disk: ``config``, ``seed``, ``status`` (one of
        :data:`STATUSES`), ``history`` (``update``, ``epoch``, ``train_loss``,
        ``val_loss`` per evaluation), ``best_val_loss``, ``final_val_loss``,
        ``baseline_loss``, ``success_threshold``, ``success``, ``updates``,
        ``dataset``, ``timing`` (wall time, number of resumes) and
        ``provenance`` (device, versions, git commit), and ``weights_file`` (the
        trained weights next to it, see :func:`load_model`; not for diverged runs).
        The returned dict also holds ``path``, the result file's absolute path
        (not stored in the file).

    See chapter 3.
    """
    import torch

    cfg = _check_config(cfg)
    name = cfg.run_name()
    result_path = os.path.join(out_dir, name + ".json")
    ckpt_path = os.path.join(out_dir, "checkpoints", name + ".pt")
    if resume and is_finished(result_path, cfg):
        with open(result_path) as fh:
            old = json.load(fh)
        if os.path.exists(ckpt_path):
            os.remove(ckpt_path)
        old["path"] = os.path.abspath(result_path)
        return old
    threads_before = torch.get_num_threads()
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(cfg, out_dir, resume, progress, result_path, ckpt_path, name)
    finally:
        torch.set_num_threads(threads_before)


def _train(cfg, out_dir, resume, progress, result_path, ckpt_path, name) -> dict:
    import torch
    from tqdm.auto import tqdm

    from .models import VanillaRNN, tune_cpu_allocator

    t_start = time.perf_counter()
    device = _config.resolve_device(cfg.device)
    if device == "cpu":
        tune_cpu_allocator()

    data = _Data(cfg, device)
    spec = _tasks.task_spec(data.loss_task)
    n_hidden = cfg.hidden_size or spec.hidden_size
    nonlin = cfg.nonlinearity or spec.nonlinearity
    model = VanillaRNN(
        spec.input_size, n_hidden, spec.output_size, nonlin, cfg.init, cfg.init_scale, spec.readout,
        seed=cfg.seed, engine=cfg.engine, device=device,
    )
    params = list(model.parameters())
    opt = torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.rho, eps=cfg.eps)

    updates_per_epoch, total_updates, eval_every = _schedule(cfg, data)

    state = {
        "update": 0, "history": {"update": [], "epoch": [], "train_loss": [], "val_loss": []},
        "best_val_loss": None, "wall_time_s": 0.0, "resumes": 0,
    }
    if resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ck.get("config") == cfg.to_dict():
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            data.gen.set_state(ck["data_generator"])
            state = ck["state"]
            state["resumes"] += 1
    wall_before = state["wall_time_s"]

    def result(status: str) -> dict:
        return _result_record(
            cfg, status, state, data, total_updates, updates_per_epoch,
            {"hidden_size": n_hidden, "nonlinearity": nonlin, "readout": spec.readout}, device,
        )

    final_status = [""]

    def finish(status: str) -> dict:
        final_status[0] = status
        state["wall_time_s"] = wall_before + time.perf_counter() - t_start
        res = result(status)
        if status != "diverged":
            res["weights_file"] = _save_weights(result_path, model)
        write_json_atomic(result_path, res)
        res["path"] = os.path.abspath(result_path)
        if os.path.exists(ckpt_path):
            os.remove(ckpt_path)
        return res

    bar = tqdm(total=total_updates, initial=state["update"], disable=not progress, desc=name, leave=False)
    failed = False
    loss_sum = torch.zeros((), device=device)
    n_sum = 0
    try:
        while state["update"] < total_updates:
            x, y = data.batch(state["update"])
            opt.zero_grad(set_to_none=True)
            loss = _tasks.task_loss(data.loss_task, model(x), y)
            loss.backward()
            if cfg.clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, cfg.clip_norm)
            opt.step()
            loss_sum += loss.detach()
            n_sum += 1
            state["update"] += 1
            bar.update(1)
            u = state["update"]
            if u % cfg.check_every == 0 or u % eval_every == 0 or u == total_updates:
                if not (bool(torch.isfinite(loss_sum)) and _finite_params(model)):
                    return finish("diverged")
            if u % eval_every == 0 or u == total_updates:
                val = evaluate(model, data.loss_task, data.val[0], data.val[1], cfg.eval_batch_size)
                h = state["history"]
                h["update"].append(u)
                h["epoch"].append(u / updates_per_epoch)
                h["train_loss"].append(float(loss_sum) / n_sum)
                h["val_loss"].append(val)
                loss_sum.zero_()
                n_sum = 0
                if not math.isfinite(val):
                    return finish("diverged")
                if state["best_val_loss"] is None or val < state["best_val_loss"]:
                    state["best_val_loss"] = val
                bar.set_postfix(val_loss=f"{val:.4g}")
                if cfg.early_stop_loss is not None and val < cfg.early_stop_loss:
                    return finish("early_stopped")
                if u < total_updates:
                    state["wall_time_s"] = wall_before + time.perf_counter() - t_start
                    _save_checkpoint_atomic(ckpt_path, {
                        "config": cfg.to_dict(), "model": model.state_dict(), "optimizer": opt.state_dict(),
                        "data_generator": data.gen.get_state(), "state": state,
                    })
                    write_json_atomic(result_path, result("running"))
        return finish("completed")
    except BaseException:
        failed = True
        raise
    finally:
        _close_bar(bar, failed=failed or final_status[0] == "diverged")


__all__ = [
    "STATUSES", "TrainConfig", "WEIGHTS_SUFFIX", "evaluate", "git_commit", "is_finished", "load_model", "preset",
    "train", "write_json_atomic",
]

"""What a training run leaves on disk, and how it is read back.

- result files ``<out>/<run_name>.json`` (:func:`result_record`, written with
  :func:`write_json_atomic`: temporary file + rename, so a reader or a killed
  writer never sees half a file), with provenance (:func:`provenance`: versions,
  device, git commit);
- trained weights ``<out>/<run_name>.weights.pt`` (:func:`save_weights`), read back
  as a model by :func:`load_model`;
- checkpoints ``<out>/checkpoints/<id>.pt`` (:func:`save_checkpoint`,
  :func:`load_checkpoint`; one schema for single runs and ensembles, and the
  single-run schema of earlier versions is migrated on load);
- :func:`is_finished`: whether a result file already holds a final result of a run.

See chapter 3.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import tempfile
import time
import warnings
from typing import Any

try:  # POSIX advisory locks; elsewhere (Windows) runs are not locked against other processes
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None

import numpy as np
import torch

from .. import __version__
from .. import tasks as _tasks
from ..models.base import RecurrentModel
from ..models.registry import build_model
from . import identity as _identity
from .config import TrainConfig

STATUSES = ("running", "completed", "early_stopped", "diverged")
"""``status`` of a result file; all but ``"running"`` are final."""

RESULT_VERSION = 1
"""Version of the result-file format (unchanged since the first release; new fields are optional)."""

CHECKPOINT_SCHEMA = 2
"""Version of the checkpoint format: 2 is one schema for single runs and ensembles; 1 (unversioned)
was the single-run format of earlier versions, migrated by :func:`load_checkpoint`."""

WEIGHTS_SUFFIX = ".weights.pt"
"""Trained weights of run ``<name>`` are stored next to its result as ``<name>.weights.pt``."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mkstemp(directory: str, suffix: str) -> tuple[int, str]:
    """A temporary file readable as the umask allows (``mkstemp`` alone makes it 0600, so a result a
    colleague should read would be private)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def write_json_atomic(path: str, obj: Any, allow_nan: bool = True) -> None:
    """Write JSON to ``path`` via a temporary file in the same directory and ``os.replace``.

    A reader (or a killed writer) never sees a half-written file. The file's mode follows the
    umask, like any other file the user writes.

    Parameters
    ----------
    path : str
    obj : JSON-serialisable object
    allow_nan : bool
        Write ``NaN``/``Infinity`` tokens (Python reads them; strict JSON readers do not). Result
        files allow them (a diverged run's last loss); pass False for strict JSON.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = _mkstemp(directory, ".json")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, indent=1, sort_keys=True, allow_nan=allow_nan)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(path: str, state: dict) -> None:
    """``torch.save`` a checkpoint atomically (temporary file + rename).

    Parameters
    ----------
    path : str
    state : dict
        See :func:`load_checkpoint` for the schema.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = _mkstemp(directory, ".pt")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_checkpoint(path: str, device: str) -> dict | None:
    """Read a checkpoint of the training loop, migrated to :data:`CHECKPOINT_SCHEMA`; None if it is corrupt.

    Loaded with ``weights_only=True``: a checkpoint holds tensors, numbers, strings, lists and
    dicts only, so a tampered file in a shared results tree cannot run code. A file that cannot be
    read (truncated, garbage, foreign objects) is set aside as ``<path>.corrupt-<time>`` with a
    warning naming it, and None is returned: the run restarts from scratch instead of failing at
    every restart.

    Parameters
    ----------
    path : str
    device : str
        Where its tensors go.

    Returns
    -------
    dict or None
        ``schema``, ``configs`` (the members' ``TrainConfig.to_dict()``), ``active`` (run names still
        training), ``ensemble_size`` (members at the start), ``model`` and ``optimizer`` state dicts,
        ``data_generator`` (the training stream's generator state), ``states`` (per run name:
        ``update``, ``history``, ``best_val_loss``, ``wall_time_s``, ``resumes``), ``update`` and
        ``wall_time_s``. A single-run checkpoint of the earlier format (``config``, ``state``) comes
        back in this form with one member.
    """
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(ck, dict):
            raise ValueError(f"a checkpoint is a dict, this holds a {type(ck).__name__}")
        if "schema" in ck or "configs" in ck:  # schema 2, or the earlier ensemble format (the same fields)
            ck.setdefault("schema", CHECKPOINT_SCHEMA)
            missing = {"configs", "active", "model", "optimizer", "data_generator", "states", "update"} - set(ck)
            if missing:
                raise ValueError(f"it lacks {sorted(missing)}")
            return ck
        cfg = TrainConfig.from_dict(ck["config"])  # schema 1: one run
        state = ck["state"]
        return {
            "schema": CHECKPOINT_SCHEMA, "configs": [cfg.to_dict()], "active": [cfg.run_name()],
            "ensemble_size": 1, "model": ck["model"], "optimizer": ck["optimizer"],
            "data_generator": ck["data_generator"], "states": {cfg.run_name(): state}, "update": state["update"],
            "wall_time_s": state["wall_time_s"],
        }
    except Exception as exc:  # noqa: BLE001 - any failure to read means: do not trust this file
        aside = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}"
        os.replace(path, aside)
        warnings.warn(f"checkpoint {path} is unreadable ({type(exc).__name__}: {exc}); set aside as {aside}, "
                      "the run restarts from its beginning", RuntimeWarning, stacklevel=2)
        return None


def weights_path(result_path: str) -> str:
    """The weights file that belongs to a result file (``<name>.json`` -> ``<name>.weights.pt``).

    Parameters
    ----------
    result_path : str

    Returns
    -------
    str
    """
    stem = result_path[: -len(".json")] if result_path.endswith(".json") else result_path
    return stem + WEIGHTS_SUFFIX


def save_weights(result_path: str, state_dict: dict) -> str:
    """Write a trained model's ``state_dict`` (as CPU tensors) next to its result.

    Parameters
    ----------
    result_path : str
        The run's result file.
    state_dict : dict
        The model's ``state_dict()``.

    Returns
    -------
    str
        The weights file's name (not path), as stored in the result's ``weights_file``.
    """
    path = weights_path(result_path)
    save_checkpoint(path, {k: v.detach().cpu().clone() for k, v in state_dict.items()})
    return os.path.basename(path)


def load_model(result: dict, which: str = "final", directory: str | None = None) -> RecurrentModel:
    """Rebuild a run's network: as initialised, or with its trained weights.

    Parameters
    ----------
    result : dict
        A result record (:func:`nnrnn_edu.training.train`, or
        :func:`nnrnn_edu.training.summary.load_results`, which adds its ``path``).
    which : {"final", "initial"}
        ``"initial"`` rebuilds the seeded initialisation from the config (no file
        needed); ``"final"`` loads the trained weights written when the run ended.
    directory : str or None
        Where the weights file lies; None: next to ``result["path"]``.

    Returns
    -------
    RecurrentModel
        On the CPU, in float32; ``recurrent_matrix()`` is W in the column convention.

    Raises
    ------
    ValueError
        If ``which`` is unknown, or the run has no trained weights (it diverged,
        is still running, or was written by an older version).

    See chapter 4.
    """
    if which not in ("final", "initial"):
        raise ValueError(f"which must be 'final' or 'initial', got {which!r}")
    if not isinstance(result, dict) or "config" not in result or "model" not in result:
        raise ValueError("result must be a result record with 'config' and 'model' (see nnrnn_edu.training.train)")
    cfg, info = TrainConfig.from_dict(result["config"]), result["model"]
    task = "psdigits" if result.get("dataset", {}).get("name") == "psDigits" else cfg.task
    spec = _tasks.task_spec(task)
    model = build_model(cfg.model, spec.input_size, info["hidden_size"], spec.output_size, info["nonlinearity"],
                        cfg.init, cfg.init_scale, info["readout"], seed=cfg.seed)
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
            raise ValueError("directory must be given when result has no 'path' (load it with load_results)")
        directory = os.path.dirname(result["path"])
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        raise ValueError(f"the weights file {path!r} is missing; copy it along with the result file")
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


def git_commit() -> str | None:
    """The library's git commit (with ``-dirty`` if the tree has changes), or None outside a checkout.

    Returns
    -------
    str or None
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


def machine() -> str:
    """The CPU this process runs on, e.g. ``"AMD EPYC 7B13, 2 cores"`` (``platform.processor()`` where
    ``/proc/cpuinfo`` is missing).

    Returns
    -------
    str
    """
    name = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name or platform.processor() or platform.machine() or 'unknown CPU'}, {os.cpu_count()} cores"


def provenance(device: str) -> dict:
    """Where and with what a run was computed (stored in every result file).

    Parameters
    ----------
    device : str
        The resolved device (``"cpu"``, ``"cuda:0"``...).

    Returns
    -------
    dict
        ``nnrnn_edu``, ``torch``, ``numpy``, ``python`` versions, ``platform``, ``machine`` (CPU model
        and core count), ``device``, ``gpu`` (name or None), ``threads`` and ``git_commit``.
    """
    return {
        "nnrnn_edu": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": machine(),
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if device.startswith("cuda") else None,
        "threads": torch.get_num_threads(),
        "git_commit": git_commit(),
    }


def empty_state() -> dict:
    """The progress record of a run that has not started (``update``, ``history``, ``best_val_loss``,
    ``wall_time_s``, ``resumes``); the training loop keeps one per run and checkpoints it.

    Returns
    -------
    dict
    """
    return {
        "update": 0, "history": {"update": [], "epoch": [], "train_loss": [], "val_loss": []},
        "best_val_loss": None, "wall_time_s": 0.0, "resumes": 0,
    }


def result_record(
    cfg: TrainConfig, status: str, state: dict, dataset: dict, loss_task: str, seq_len: int, total_updates: int,
    updates_per_epoch: int, model_info: dict, timing: dict, provenance: dict,
) -> dict:
    """The JSON result of one run.

    Parameters
    ----------
    cfg : TrainConfig
    status : str
        One of :data:`STATUSES`.
    state : dict
        The run's progress (:func:`empty_state`).
    dataset : dict
        ``name``, ``seq_len``, ``note``, ``permutation_seed``, ``permutation`` of the data.
    loss_task : str
        The task whose loss and baseline apply (``"psdigits"`` for the psDigits stand-in).
    seq_len : int
        T of the data.
    total_updates, updates_per_epoch : int
    model_info : dict
        ``name``, ``hidden_size``, ``nonlinearity``, ``readout`` of the built model.
    timing : dict
        Extra timing fields (e.g. ``ensemble_size``, ``ensemble_id``).
    provenance : dict
        :func:`provenance`.

    Returns
    -------
    dict
        ``version``, ``name``, ``config``, ``seed``, ``status``, ``updates``, ``total_updates``,
        ``updates_per_epoch``, ``history``, ``best_val_loss``, ``final_val_loss``, ``baseline_loss``,
        ``success_threshold``, ``success``, ``dataset``, ``model``, ``timing``, ``provenance`` and
        ``protocol`` (``id``: its directory, see :func:`result_path`; ``run_key``: the run's identity) and
        ``tier`` (:func:`~nnrnn_edu.training.identity.result_tier`, worked out from the settings: quick,
        cpu, full or custom).
    """
    h = state["history"]
    final = h["val_loss"][-1] if h["val_loss"] else None
    baseline = _tasks.baseline_loss(loss_task, seq_len)
    thr = _tasks.SUCCESS_FRACTION * baseline
    rec = {
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
        "dataset": dict(dataset),
        "model": dict(model_info),
        "timing": {"wall_time_s": state["wall_time_s"], "resumes": state["resumes"], **timing},
        "provenance": dict(provenance),
        "protocol": {"id": _identity.protocol_id(cfg), "run_key": _identity.run_key(cfg)},
    }
    rec["tier"] = _identity.result_tier(rec)
    return rec


def read_result(path: str) -> dict | None:
    """A result file's record, or None if it is missing or not a readable JSON object.

    Parameters
    ----------
    path : str

    Returns
    -------
    dict or None
    """
    try:
        with open(path) as fh:
            r = json.load(fh)
    except (OSError, ValueError):
        return None
    return r if isinstance(r, dict) else None


def is_finished(path: str, cfg: TrainConfig) -> bool:
    """Whether ``path`` holds a *final* result (any status but ``"running"``) of the same run as ``cfg``.

    "The same run" means the same identity (:func:`nnrnn_edu.training.identity.run_key`): settings
    that do not change the numbers (device, threads) may differ, everything else may not. A result
    written before a configuration field existed counts as that field's default.

    Parameters
    ----------
    path : str
        A result file (see :func:`result_path`); it need not exist.
    cfg : TrainConfig
        With a resolved data source (:func:`nnrnn_edu.training.identity.resolve`) for psMNIST.

    Returns
    -------
    bool

    See chapter 3.
    """
    old = read_result(path)
    if old is None or old.get("status") not in STATUSES[1:]:
        return False
    try:
        return _identity.of_result(old)[0] == _identity.run_key(cfg)
    except (KeyError, TypeError, ValueError):
        return False


def result_path(out_dir: str, cfg: TrainConfig) -> str:
    """Where a run's result lives: ``<out_dir>/<protocol_id>/<run_name>.json``.

    Parameters
    ----------
    out_dir : str
    cfg : TrainConfig
        Resolved (see :func:`is_finished`).

    Returns
    -------
    str
    """
    return os.path.join(out_dir, _identity.protocol_id(cfg), cfg.run_name() + ".json")


def check_writable(path: str, what: str) -> str:
    """Make sure results can be written under ``path`` before any work starts.

    Parameters
    ----------
    path : str
        A directory (created if missing).
    what : str
        How the user set it (an argument or environment variable), for the message.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ValueError
        Naming ``what`` and the path, if it is a file or cannot be created or written.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{what} must be a directory, but {path!r} is a file")
    try:
        os.makedirs(path, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-write-test-", dir=path)
        os.close(fd)
        os.remove(tmp)
    except OSError as exc:
        raise ValueError(f"{what} {path!r} cannot be written: {exc.strerror or exc}") from None
    return path


def lock_run(result_file: str) -> int | None:
    """Take the lock of a run (``<dir>/checkpoints/<run_name>.lock``) without waiting.

    A second process that trains the same run finds it locked and skips it; the operating system
    releases the lock when the process ends, however it ends.

    Parameters
    ----------
    result_file : str
        The run's result path.

    Returns
    -------
    int or None
        A file descriptor to pass to :func:`unlock_run`, or None if another process holds the lock.
    """
    directory = os.path.join(os.path.dirname(result_file), "checkpoints")
    os.makedirs(directory, exist_ok=True)
    name = os.path.basename(result_file)[: -len(".json")]
    fd = os.open(os.path.join(directory, name + ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def unlock_run(fd: int) -> None:
    """Release a lock taken by :func:`lock_run`.

    Parameters
    ----------
    fd : int
    """
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


__all__ = [
    "CHECKPOINT_SCHEMA", "RESULT_VERSION", "STATUSES", "WEIGHTS_SUFFIX", "check_writable", "empty_state",
    "git_commit", "is_finished", "load_checkpoint", "load_model", "lock_run", "provenance", "read_result",
    "result_path", "result_record", "save_checkpoint", "save_weights", "unlock_run", "weights_path",
    "write_json_atomic",
]

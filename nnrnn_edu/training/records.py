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
from typing import Any

import numpy as np
import torch

from .. import __version__
from .. import tasks as _tasks
from ..models.base import RecurrentModel
from ..models.registry import build_model
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


def write_json_atomic(path: str, obj: Any) -> None:
    """Write JSON to ``path`` via a temporary file in the same directory and ``os.replace``.

    A reader (or a killed writer) never sees a half-written file.

    Parameters
    ----------
    path : str
    obj : JSON-serialisable object
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


def load_checkpoint(path: str, device: str) -> dict:
    """Read a checkpoint of the training loop, migrated to :data:`CHECKPOINT_SCHEMA`.

    Parameters
    ----------
    path : str
    device : str
        Where its tensors go.

    Returns
    -------
    dict
        ``schema``, ``configs`` (the members' ``TrainConfig.to_dict()``), ``active`` (run names still
        training), ``ensemble_size`` (members at the start), ``model`` and ``optimizer`` state dicts,
        ``data_generator`` (the training stream's generator state), ``states`` (per run name:
        ``update``, ``history``, ``best_val_loss``, ``wall_time_s``, ``resumes``), ``update`` and
        ``wall_time_s``. A single-run checkpoint of the earlier format (``config``, ``state``) comes
        back in this form with one member.
    """
    ck = torch.load(path, map_location=device, weights_only=False)
    if "schema" in ck or "configs" in ck:  # schema 2, or the earlier ensemble format (the same fields)
        ck.setdefault("schema", CHECKPOINT_SCHEMA)
        return ck
    cfg = TrainConfig.from_dict(ck["config"])  # schema 1: one run
    state = ck["state"]
    return {
        "schema": CHECKPOINT_SCHEMA, "configs": [cfg.to_dict()], "active": [cfg.run_name()], "ensemble_size": 1,
        "model": ck["model"], "optimizer": ck["optimizer"], "data_generator": ck["data_generator"],
        "states": {cfg.run_name(): state}, "update": state["update"], "wall_time_s": state["wall_time_s"],
    }


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


def provenance(device: str) -> dict:
    """Where and with what a run was computed (stored in every result file).

    Parameters
    ----------
    device : str
        The resolved device (``"cpu"``, ``"cuda:0"``...).

    Returns
    -------
    dict
        ``nnrnn_edu``, ``torch``, ``numpy``, ``python`` versions, ``platform``, ``device``, ``gpu``
        (name or None), ``threads`` and ``git_commit``.
    """
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
        ``success_threshold``, ``success``, ``dataset``, ``model``, ``timing`` and ``provenance``.
    """
    h = state["history"]
    final = h["val_loss"][-1] if h["val_loss"] else None
    baseline = _tasks.baseline_loss(loss_task, seq_len)
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
        "dataset": dict(dataset),
        "model": dict(model_info),
        "timing": {"wall_time_s": state["wall_time_s"], "resumes": state["resumes"], **timing},
        "provenance": dict(provenance),
    }


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
    """Whether ``path`` holds a *final* result (any status but ``"running"``) of exactly ``cfg``.

    The training loop and sweeps skip such runs. A result written before a
    configuration field existed counts as that field's default
    (:meth:`TrainConfig.from_dict`).

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
    old = read_result(path)
    if old is None or old.get("status") not in STATUSES[1:]:
        return False
    try:
        return TrainConfig.from_dict(old.get("config")) == cfg
    except (TypeError, ValueError):
        return False


__all__ = [
    "CHECKPOINT_SCHEMA", "RESULT_VERSION", "STATUSES", "WEIGHTS_SUFFIX", "empty_state", "git_commit", "is_finished",
    "load_checkpoint", "load_model", "provenance", "read_result", "result_record", "save_checkpoint", "save_weights",
    "weights_path", "write_json_atomic",
]

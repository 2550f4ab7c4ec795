"""What a run *is*: the settings that change its numbers, its protocol, and where its files live.

A run's identity (:func:`identity`) is its whole configuration with every default spelled out
(T, N, non-linearity, epoch size) and the psMNIST data set resolved to the one actually used
(psMNIST or psDigits), without the settings that do not change the numbers (the device, the
CPU threads; progress bars are not settings at all). Two configurations with the same identity
compute the same run; a run is "finished" only if a final result of the same identity exists.

Its *protocol* (:func:`protocol`) is the identity without what varies inside one grid of the
paper: initialiser, scale, learning rate, seed (and the psMNIST permutation, when it follows the
seed as the authors' did). Runs of one protocol can be compared in one figure; runs of two
protocols cannot, and they never share a directory: results go to
``<out>/<protocol_id>/<run_name>.json`` (:func:`protocol_id`, e.g. ``copy-vanilla-T500-3f2a9c1e``).

See chapter 3.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .. import data as _data
from .. import tasks as _tasks
from ..models.registry import default_nonlinearity
from .config import TrainConfig, preset

NON_NUMERIC_FIELDS = ("device", "threads")
"""Settings that do not change a run's numbers (on one CPU thread; see ``TrainConfig.threads``)."""

RUN_FIELDS = ("init", "init_scale", "lr", "seed", "permutation_seed")
"""What varies between the runs of one protocol (the grid's axes)."""


def resolve(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` with its psMNIST data source decided (``"auto"`` becomes ``"mnist"`` or ``"digits"``).

    Parameters
    ----------
    cfg : TrainConfig

    Returns
    -------
    TrainConfig
        Unchanged for copy and addition.
    """
    if cfg.task != "psmnist" or cfg.data_source != "auto":
        return cfg
    return cfg.replace(data_source=_data.resolve_source("auto"))


def resolve_all(configs: list[TrainConfig]) -> list[TrainConfig]:
    """:func:`resolve` for many configurations, deciding ``"auto"`` once (it may look for MNIST).

    Parameters
    ----------
    configs : list of TrainConfig

    Returns
    -------
    list of TrainConfig
    """
    auto = [c for c in configs if c.task == "psmnist" and c.data_source == "auto"]
    if not auto:
        return list(configs)
    source = _data.resolve_source("auto")
    return [c.replace(data_source=source) if c in auto else c for c in configs]


def _dataset(cfg: TrainConfig, dataset: str | None) -> str:
    if cfg.task != "psmnist":
        return cfg.task
    if dataset is not None:
        return dataset
    if cfg.data_source == "auto":
        raise ValueError("cfg.data_source is 'auto': resolve the configuration first (identity.resolve)")
    return _data.DATASET_NAMES[cfg.data_source]


def identity(cfg: TrainConfig, dataset: str | None = None) -> dict:
    """Everything that determines a run's numbers, with every default spelled out.

    Parameters
    ----------
    cfg : TrainConfig
        With a resolved ``data_source`` (:func:`resolve`) for psMNIST, unless ``dataset`` is given.
    dataset : str or None
        The data set a result says it used (``"psMNIST"``, ``"psDigits"``), for results whose
        configuration says ``"auto"``.

    Returns
    -------
    dict
        JSON-ready; ``dataset`` replaces ``data_source``.
    """
    name = _dataset(cfg, dataset)
    spec = _tasks.task_spec("psdigits" if name == "psDigits" else cfg.task)
    d = {k: v for k, v in cfg.to_dict().items() if k not in NON_NUMERIC_FIELDS and k != "data_source"}
    d["dataset"] = name
    d["seq_len"] = spec.seq_len if cfg.task == "psmnist" else (cfg.seq_len or spec.seq_len)
    d["hidden_size"] = cfg.hidden_size or spec.hidden_size
    d["nonlinearity"] = cfg.nonlinearity or default_nonlinearity(cfg.model, spec.nonlinearity)
    d["epoch_size"] = cfg.epoch_size or ("training set" if cfg.task == "psmnist" else 60_000)
    if cfg.task != "psmnist":
        d.pop("permutation_seed")
    return d


def _digest(d: Mapping[str, Any], n: int) -> str:
    return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:n]


def run_key(cfg: TrainConfig, dataset: str | None = None) -> str:
    """A short hash of :func:`identity`: equal keys, equal runs.

    Parameters
    ----------
    cfg : TrainConfig
    dataset : str or None
        See :func:`identity`.

    Returns
    -------
    str
        12 hex digits.
    """
    return _digest(identity(cfg, dataset), 12)


def protocol(cfg: TrainConfig, dataset: str | None = None) -> dict:
    """The identity without the grid's axes (:data:`RUN_FIELDS`): what the runs of one figure share.

    The psMNIST permutation is ``"seed"`` when it follows the run's seed (the authors' choice, and
    the sweeps'), else its own seed.

    Parameters
    ----------
    cfg : TrainConfig
    dataset : str or None
        See :func:`identity`.

    Returns
    -------
    dict
    """
    d = identity(cfg, dataset)
    if cfg.task == "psmnist":
        d["permutation"] = "seed" if cfg.permutation_seed == cfg.seed else cfg.permutation_seed
    for f in RUN_FIELDS:
        d.pop(f, None)
    return d


def protocol_id(cfg: TrainConfig, dataset: str | None = None) -> str:
    """A readable, unique name of the protocol, used as its results' directory.

    Parameters
    ----------
    cfg : TrainConfig
    dataset : str or None
        See :func:`identity`.

    Returns
    -------
    str
        ``<task>-<model>-<T or data set>-<8 hex digits of the protocol>``, e.g.
        ``copy-vanilla-T500-3f2a9c1e`` or ``psmnist-vanilla-psDigits-0b1c2d3e``.
    """
    p = protocol(cfg, dataset)
    data = p["dataset"] if cfg.task == "psmnist" else f"T{p['seq_len']}"
    return f"{cfg.task}-{cfg.model}-{data}-{_digest(p, 8)}"


def of_result(result: Mapping[str, Any]) -> tuple[str, str]:
    """``(run_key, protocol_id)`` of a result record of any version.

    Parameters
    ----------
    result : mapping
        A result record (its ``config`` and, for psMNIST, ``dataset.name``).

    Returns
    -------
    (str, str)

    Raises
    ------
    ValueError
        If the record's configuration cannot be read.
    """
    cfg = TrainConfig.from_dict(result["config"])
    dataset = result.get("dataset", {}).get("name") if cfg.task == "psmnist" else None
    return run_key(cfg, dataset), protocol_id(cfg, dataset)


_SHAPE_FIELDS = ("seq_len", "hidden_size", "batch_size", "epoch_size", "clip_norm", "rho", "eps", "train_set")
"""What makes a run the paper's experiment, budget aside: task length, size, batch, data protocol, optimiser."""

_BUDGET_FIELDS = ("max_epochs", "max_updates", "val_size", "early_stop_loss")
"""What the cpu tier reduces (with the grid)."""

TIER_OF_RESULT = ("quick", "cpu", "full", "custom")
"""What :func:`result_tier` can return: a tier, or ``"custom"`` for a run of none."""


def result_tier(result: Mapping[str, Any]) -> str:
    """The tier a result belongs to, read from what the run did (never from a label it carries).

    Parameters
    ----------
    result : dict
        A result record (its ``config`` and ``dataset.name``).

    Returns
    -------
    str
        - ``"full"``: every protocol setting (task length, size, batch, training set, optimiser,
          clipping, budget, validation size, early stop) equals :func:`~nnrnn_edu.training.preset`
          ``(task, tier="full")``, and psMNIST ran on MNIST itself;
        - ``"cpu"``: the same task length, size, batch, training set, optimiser and clipping, with
          a smaller budget (any), psMNIST on MNIST or psFashion-MNIST;
        - ``"quick"``: the quick tier's sequence length and data (T = 60, psDigits);
        - ``"custom"``: anything else.

    Raises
    ------
    ValueError
        If ``result`` is not a result record.
    """
    if not isinstance(result, Mapping) or not isinstance(result.get("config"), Mapping):
        raise ValueError("result must be a result record with a 'config'")
    cfg = result["config"]
    task = cfg.get("task")
    if task not in _tasks.TASKS:
        return "custom"
    dataset = result.get("dataset", {}).get("name")
    spec = _tasks.task_spec(task)
    seq_len = cfg.get("seq_len") or spec.seq_len
    if task == "psmnist" and dataset == "psDigits" or task != "psmnist" and seq_len == preset(task, tier="quick").seq_len:
        return "quick"
    ref = preset(task, tier="full").to_dict()
    shaped = all(cfg.get(k) == ref[k] for k in _SHAPE_FIELDS if k != "seq_len") and (
        task == "psmnist" or seq_len == spec.seq_len)
    shaped = shaped and (cfg.get("hidden_size") or spec.hidden_size) == spec.hidden_size
    if not shaped or (task == "psmnist" and dataset not in ("psMNIST", "psFashion-MNIST")):
        return "custom"
    if all(cfg.get(k) == ref[k] for k in _BUDGET_FIELDS) and (task != "psmnist" or dataset == "psMNIST"):
        return "full"
    return "cpu"


__all__ = [
    "NON_NUMERIC_FIELDS", "RUN_FIELDS", "TIER_OF_RESULT", "result_tier", "identity", "of_result", "protocol", "protocol_id", "resolve", "resolve_all",
    "run_key",
]

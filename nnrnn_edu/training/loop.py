"""THE training loop: one run, or K runs that share a data stream, with the paper's protocol.

:func:`train` trains one run; :func:`train_ensemble` trains runs that differ only
in model initialiser, scale and learning rate together (the sweep's batched
ensembles). Both are :func:`train_runs`: one place for the schedule, evaluation,
early stopping, divergence, status, checkpoints, progress bars and result
records. What is trained - one model through its own backward, or K stacked
vanilla RNNs - is a *trainee* (:mod:`nnrnn_edu.training.trainees`).

The protocol: every ``eval_every`` updates (default: once per epoch) the loop
validates each member on a fixed set, records its history, stops members whose
validation loss fell below ``early_stop_loss`` (status ``"early_stopped"``) and
writes a checkpoint; a member whose loss or weights become NaN/inf (checked
every ``check_every`` updates) stops as ``"diverged"`` on its own while the
others run on. Every member writes one JSON result (:func:`~nnrnn_edu.training.records.result_record`)
and, unless it diverged, its trained weights. A run that is killed at any moment
restarts from its last checkpoint and ends with the same numbers as an
uninterrupted one (CPU, same seed): the data stream's generator is checkpointed
with the models and optimisers. See chapter 3.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import config as _config
from .. import tasks as _tasks
from ..models import tune_cpu_allocator
from ..models.registry import default_nonlinearity
from . import identity, records
from .config import TrainConfig, check_config
from .stream import RunData, schedule
from .trainees import make_trainee

MEMBER_FIELDS = ("init", "init_scale", "lr")
"""The only :class:`TrainConfig` fields that may differ between runs trained together."""


def group_key(cfg: TrainConfig) -> str:
    """What runs trained together must share: every field but :data:`MEMBER_FIELDS`, as a string.

    Parameters
    ----------
    cfg : TrainConfig

    Returns
    -------
    str
    """
    d = cfg.to_dict()
    for f in MEMBER_FIELDS:
        d.pop(f)
    return json.dumps(d, sort_keys=True)


def ensemble_id(configs: Sequence[TrainConfig]) -> str:
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


def close_bar(bar: Any, failed: bool) -> None:
    """Close a tqdm bar, showing a run that stopped early on purpose as finished.

    ``tqdm.notebook`` colours a bar that closes short of its total red, as if it had failed; an early
    stop (validation loss below the threshold) is a success, so its bar is shortened to where it
    stopped first. ``failed`` (divergence, an exception, Ctrl-C) keeps the red bar.

    Parameters
    ----------
    bar : tqdm
    failed : bool
    """
    if not failed and bar.total is not None and bar.n < bar.total:
        bar.total = bar.n
    bar.close()


def train(cfg: TrainConfig, out_dir: str = "results", *, resume: bool = True, progress: bool = True) -> dict:
    """Train one network and write its JSON result.

    Parameters
    ----------
    cfg : TrainConfig
        The run (see :func:`~nnrnn_edu.training.config.preset`).
    out_dir : str
        The result goes to ``out_dir/<protocol_id>/<run_name>.json``
        (:func:`~nnrnn_edu.training.records.result_path`), the checkpoint to
        ``checkpoints/<run_name>.pt`` beside it (deleted when the run ends). Checked before any
        work: a file or an unwritable directory is a ValueError naming it.
    resume : bool
        Continue from an existing checkpoint, and return an existing *final*
        result of the same run (same identity, :mod:`~nnrnn_edu.training.identity`) without
        training again. ``False`` starts afresh. A corrupt checkpoint is set aside and the run
        starts from its beginning. A run another process is training (it holds the run's lock)
        is a ValueError.
    progress : bool
        Show a tqdm progress bar (on stderr).

    Returns
    -------
    dict
        The result written to disk: ``config``, ``seed``, ``status`` (one of
        :data:`~nnrnn_edu.training.records.STATUSES`), ``history`` (``update``, ``epoch``,
        ``train_loss``, ``val_loss`` per evaluation), ``best_val_loss``, ``final_val_loss``,
        ``baseline_loss``, ``success_threshold``, ``success``, ``updates``, ``dataset``, ``model``,
        ``timing`` (wall time, number of resumes) and ``provenance`` (device, versions, git
        commit), and ``weights_file`` (the trained weights next to it, see
        :func:`~nnrnn_edu.training.records.load_model`; not for diverged runs). The returned dict
        also holds ``path``, the result file's absolute path (not stored in the file).

    See chapter 3.
    """
    return train_runs([cfg], out_dir, together=False, resume=resume, progress=progress)[0]


def train_ensemble(
    configs: Sequence[TrainConfig], out_dir: str = "results", *, resume: bool = True, progress: bool = True,
) -> list[dict]:
    """Train runs that differ only in initialiser, scale and learning rate together, as one ensemble.

    Every member follows :func:`train`'s protocol (same batches, validations, divergence checks,
    early stop) and writes the same JSON result file, bitwise (on one CPU thread); ``timing`` adds
    ``ensemble_size`` and ``ensemble_id`` (its ``wall_time_s`` is the ensemble's time until the
    member finished, shared by all members). Vanilla RNNs train stacked
    (:class:`~nnrnn_edu.models.EnsembleRNN`); other models one after the other on the same batches.

    Parameters
    ----------
    configs : sequence of TrainConfig
        K runs; all fields but ``init``, ``init_scale`` and ``lr`` must be equal, and run names
        distinct. ``engine`` is ignored by stacked vanilla ensembles (always the batched
        hand-written BPTT).
    out_dir : str
        Result directory (results in its protocol directory, as for :func:`train`); the checkpoint
        goes to ``checkpoints/ensemble-<id>.pt`` beside them and is deleted at the end.
    resume : bool
        Skip members with a final result on disk, and continue from a checkpoint. Members that
        another process is training (it holds their locks) are skipped and returned as they are
        on disk.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of dict
        One result per configuration, in the given order (each with its ``path``).

    See chapter 3.
    """
    return train_runs(configs, out_dir, together=True, resume=resume, progress=progress)


def train_runs(
    configs: Sequence[TrainConfig], out_dir: str, *, together: bool, resume: bool = True, progress: bool = True,
) -> list[dict]:
    """The training loop behind :func:`train` (one run) and :func:`train_ensemble` (``together=True``).

    Parameters
    ----------
    configs : sequence of TrainConfig
    out_dir : str
    together : bool
        Train as an ensemble (checkpoint ``ensemble-<id>.pt``, ``timing`` with the ensemble's size
        and id) rather than as one run (checkpoint ``<run_name>.pt``; needs one configuration).
    resume, progress : bool
        As for :func:`train`.

    Returns
    -------
    list of dict
        The final result of every configuration, in order, each with its ``path``.
    """
    configs = [identity.resolve(check_config(c)) for c in configs]
    if not configs:
        raise ValueError("configs must contain at least one TrainConfig")
    if not together and len(configs) != 1:
        raise ValueError(f"configs must hold one run unless together=True, got {len(configs)}")
    if len({group_key(c) for c in configs}) != 1:
        raise ValueError("configs must differ only in init, init_scale and lr to be trained as one ensemble")
    names = [c.run_name() for c in configs]
    if len(set(names)) != len(names):
        raise ValueError("configs must have distinct run names")
    records.check_writable(out_dir, "out_dir")
    paths = {n: records.result_path(out_dir, c) for n, c in zip(names, configs)}
    locks: dict[str, int] = {}
    try:
        for n, c in zip(names, configs):
            fd = records.lock_run(paths[n])
            if fd is not None:
                locks[n] = fd
                _adopt_legacy_result(out_dir, paths[n], c)  # under the lock: one process moves it
        busy = [n for n in names if n not in locks]
        if busy and not together:
            raise ValueError(f"run {busy[0]!r} is being trained by another process (it holds "
                             f"{os.path.join(os.path.dirname(paths[busy[0]]), 'checkpoints', busy[0] + '.lock')})")
        mine = [c for c in configs if c.run_name() in locks]
        if mine:
            eid = ensemble_id(mine)
            ckpt = os.path.join(os.path.dirname(paths[names[0]]), "checkpoints",
                                (f"ensemble-{eid}" if together else names[0]) + ".pt")
            threads_before = torch.get_num_threads()
            if configs[0].threads is not None:
                torch.set_num_threads(configs[0].threads)
            try:
                _loop(mine, [c.run_name() for c in mine], paths, eid if together else None, ckpt, resume, progress)
            finally:
                torch.set_num_threads(threads_before)
    finally:
        for fd in locks.values():
            records.unlock_run(fd)
    out = []
    for n, c in zip(names, configs):
        res = records.read_result(paths[n])
        if res is None:
            if n in locks:
                raise ValueError(f"the result file {paths[n]!r} is missing or unreadable after training")
            # trained by another process that has not written a result yet
            res = {"name": n, "config": c.to_dict(), "status": "running", "updates": 0}
        res["path"] = os.path.abspath(paths[n])
        out.append(res)
    return out


def _adopt_legacy_result(out_dir: str, path: str, cfg: TrainConfig) -> None:
    """Move a finished result of the same run from the flat layout of earlier versions
    (``<out_dir>/<run_name>.json``) into its protocol directory, with its weights."""
    legacy = os.path.join(out_dir, cfg.run_name() + ".json")
    if os.path.exists(path) or not records.is_finished(legacy, cfg):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    res = records.read_result(legacy)
    if res.get("weights_file") and os.path.exists(os.path.join(out_dir, res["weights_file"])):
        os.replace(os.path.join(out_dir, res["weights_file"]), records.weights_path(path))
        res["weights_file"] = os.path.basename(records.weights_path(path))
    res["protocol"] = {"id": identity.protocol_id(cfg), "run_key": identity.run_key(cfg)}
    records.write_json_atomic(path, res)
    os.remove(legacy)


def _loop(configs, names, paths, eid, ckpt_path, resume, progress) -> None:
    by_name = dict(zip(names, configs))
    todo = [n for n in names if not (resume and records.is_finished(paths[n], by_name[n]))]
    if not todo:
        if os.path.exists(ckpt_path):
            os.remove(ckpt_path)
        return
    t_start = time.perf_counter()
    cfg0 = configs[0]
    device = _config.resolve_device(cfg0.device)
    if device == "cpu":
        tune_cpu_allocator()
    data = RunData(cfg0, device)
    spec = _tasks.task_spec(data.loss_task)
    n_hidden = cfg0.hidden_size or spec.hidden_size
    nonlin = cfg0.nonlinearity or default_nonlinearity(cfg0.model, spec.nonlinearity)
    model_info = {"hidden_size": n_hidden, "nonlinearity": nonlin, "readout": spec.readout}
    if cfg0.model != "vanilla":  # result files of the vanilla RNN keep their earlier form
        model_info["name"] = cfg0.model
    updates_per_epoch, total_updates, eval_every = schedule(cfg0, data)

    ck = None
    if resume and os.path.exists(ckpt_path):
        ck = records.load_checkpoint(ckpt_path, device)  # None (and set aside) if corrupt
        if ck is not None and ck.get("configs") != [c.to_dict() for c in configs]:
            ck = None
    active = list(ck["active"]) if ck is not None else todo
    together = eid is not None
    trainee = make_trainee([by_name[n] for n in active], spec, n_hidden, nonlin, device, together)
    states = {n: records.empty_state() for n in active}
    update, wall_before = 0, 0.0
    if ck is not None:
        trainee.load_state_dict({"model": ck["model"], "optimizer": ck["optimizer"]})
        data.gen.set_state(ck["data_generator"])
        states = ck["states"]
        update, wall_before = ck["update"], ck["wall_time_s"]
        for s in states.values():
            s["resumes"] += 1
    k0 = ck["ensemble_size"] if ck is not None else len(active)
    timing_extra = {"ensemble_size": k0, "ensemble_id": eid} if together else {}
    prov = records.provenance(device)  # once per loop: it asks git twice
    dataset = data.describe()

    def wall() -> float:
        return wall_before + time.perf_counter() - t_start

    def record(n: str, status: str) -> dict:
        return records.result_record(
            by_name[n], status, states[n], dataset, data.loss_task, data.seq_len, total_updates, updates_per_epoch,
            model_info, timing_extra, prov,
        )

    statuses: dict[str, str] = {}

    def finish(n: str, status: str) -> None:
        statuses[n] = status
        states[n]["wall_time_s"] = wall()
        res = record(n, status)
        if status != "diverged":
            res["weights_file"] = records.save_weights(paths[n], trainee.member_state_dict(active.index(n)))
        records.write_json_atomic(paths[n], res)

    def drop(keep: list[int]) -> None:
        nonlocal active, loss_sum
        trainee.select(keep)
        active = [active[i] for i in keep]
        loss_sum = loss_sum[keep].clone()

    desc = f"ensemble {eid[:8]}" if together else names[0]
    bar = tqdm(total=total_updates, initial=update, disable=not progress, desc=desc, leave=False)
    failed = False
    loss_sum = torch.zeros(len(active), device=device)
    n_sum = 0
    try:
        while update < total_updates and active:
            x, y = data.batch(update)
            loss_sum += trainee.step(x, y, data.loss_task)
            n_sum += 1
            update += 1
            bar.update(1)
            for n in active:
                states[n]["update"] = update
            is_eval = update % eval_every == 0 or update == total_updates
            if update % cfg0.check_every == 0 or is_eval:
                ok = trainee.finite(loss_sum)
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
            vals = trainee.evaluate(data.val[0], data.val[1], data.loss_task, cfg0.eval_batch_size)
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
            if together:
                bar.set_postfix(active=len(keep), best_val=f"{float(np.nanmin(vals)):.4g}")
            else:
                bar.set_postfix(val_loss=f"{float(vals[0]):.4g}")
            if not keep:
                active = []
                break
            if len(keep) < len(active):
                drop(keep)
            if update < total_updates:
                for n in active:
                    states[n]["wall_time_s"] = wall()
                records.save_checkpoint(ckpt_path, {
                    "schema": records.CHECKPOINT_SCHEMA, "configs": [c.to_dict() for c in configs],
                    "active": active, "ensemble_size": k0, **trainee.state_dict(),
                    "data_generator": data.gen.get_state(), "states": states, "update": update,
                    "wall_time_s": wall(),
                })
                for n in active:
                    records.write_json_atomic(paths[n], record(n, "running"))
        for n in active:
            finish(n, "completed")
        if os.path.exists(ckpt_path):
            os.remove(ckpt_path)
    except BaseException:
        failed = True
        raise
    finally:
        all_diverged = bool(statuses) and all(st == "diverged" for st in statuses.values())
        close_bar(bar, failed=failed or all_diverged)


__all__ = ["MEMBER_FIELDS", "close_bar", "ensemble_id", "group_key", "train", "train_ensemble", "train_runs"]

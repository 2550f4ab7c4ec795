"""The data of one run: its training stream, its validation set, its schedule.

:class:`RunData` draws the batch of any update from a generator that the
checkpoints save (copy, addition) or from a per-epoch shuffle with its own seed
(psMNIST), so a run resumed after a kill sees the same batches as an
uninterrupted one. :func:`schedule` turns a configuration's budgets into update
counts. See chapter 3.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import data as _data
from .. import tasks as _tasks
from .config import TrainConfig


class RunData:
    """Training stream and validation set of one run (shared by every member of an ensemble).

    Parameters
    ----------
    cfg : TrainConfig
        Its task, seeds, batch size, sizes and data source are used.
    device : str
        Where batches and the validation set are put.

    Attributes
    ----------
    loss_task : str
        The task whose loss applies (``"psdigits"`` when psDigits stands in for psMNIST).
    seq_len : int
        T of the data.
    epoch_size : int
        Sequences per epoch.
    val : tuple of Tensor
        ``(inputs, targets)`` of the fixed validation set.
    gen : torch.Generator
        The training stream's generator (checkpointed).
    """

    def __init__(self, cfg: TrainConfig, device: str) -> None:
        self.task = cfg.task
        self.device = device
        self.batch_size = cfg.batch_size
        self.gen = torch.Generator().manual_seed(cfg.seed)  # training stream (checkpointed)
        self.dataset_name = cfg.task
        self.note = ""
        self.permutation = None
        self.permutation_seed = cfg.permutation_seed
        if cfg.task == "psmnist":
            train = _data.psmnist("train", cfg.permutation_seed, cfg.data_source)
            source = {name: src for src, name in _data.DATASET_NAMES.items()}[train.name]  # what "auto" became
            val = _data.psmnist("test", cfg.permutation_seed, source)
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
        self.fixed = cfg.task != "psmnist" and cfg.train_set == "fixed"
        self._order: tuple[int, torch.Tensor] | None = None  # (epoch, its shuffle), reused within the epoch

    def _epoch_indices(self, update: int, n: int) -> torch.Tensor:
        """Indices into a training set of ``n`` sequences for update ``update``: every epoch a new shuffle
        from its own seed, so that any update's batch is known without replaying the ones before."""
        per_epoch = max(1, n // self.batch_size)
        epoch, i = divmod(update, per_epoch)
        if self._order is None or self._order[0] != epoch:
            seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1)[0])
            self._order = (epoch, torch.randperm(n, generator=torch.Generator().manual_seed(seed)))
        return self._order[1][i * self.batch_size : (i + 1) * self.batch_size]

    def fixed_sequence(self, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sequence ``j`` of the fixed training set (``train_set="fixed"``): drawn from its own seed, so the
        set of ``epoch_size`` sequences exists without being stored (60 000 copy sequences of T = 500
        would take 1.2 GB as one-hot floats).

        Parameters
        ----------
        j : int
            0 <= j < epoch_size.

        Returns
        -------
        (Tensor, Tensor)
            Inputs ``(1, T, d)`` and targets of one sequence.
        """
        seed = int(np.random.SeedSequence([self.seed, 1, int(j)]).generate_state(1)[0])
        return _tasks.sample_batch(self.task, 1, self.seq_len, torch.Generator().manual_seed(seed))

    def batch(self, update: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch of update number ``update`` (0-based), on the run's device.

        Copy and addition draw fresh sequences from the run's generator (``train_set="stream"``) or visit
        a fixed set of ``epoch_size`` sequences in a new order every epoch (``"fixed"``, the authors'
        protocol); psMNIST visits its training set that way.

        Parameters
        ----------
        update : int

        Returns
        -------
        (Tensor, Tensor)
            Inputs ``(B, T, d)`` and targets.
        """
        if self.task == "psmnist":
            idx = self._epoch_indices(update, len(self.train))
            x, y = self.train.inputs[idx], self.train.labels[idx]
        elif self.fixed:
            xs, ys = zip(*(self.fixed_sequence(j) for j in self._epoch_indices(update, self.epoch_size).tolist()))
            x, y = torch.cat(xs), torch.cat(ys)
        else:
            x, y = _tasks.sample_batch(self.task, self.batch_size, self.seq_len, self.gen)
        return x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def describe(self) -> dict:
        """The ``dataset`` entry of a result record.

        Returns
        -------
        dict
            ``name``, ``seq_len``, ``note``, ``permutation_seed`` and ``permutation`` (None for copy/addition).
        """
        return {
            "name": self.dataset_name, "seq_len": self.seq_len, "note": self.note,
            "permutation_seed": self.permutation_seed if self.permutation is not None else None,
            "permutation": self.permutation,
        }


def schedule(cfg: TrainConfig, data: RunData) -> tuple[int, int, int]:
    """The update counts of a run.

    Parameters
    ----------
    cfg : TrainConfig
    data : RunData

    Returns
    -------
    (int, int, int)
        ``(updates_per_epoch, total_updates, eval_every)``: the budget is whichever of
        ``max_updates`` and ``max_epochs`` is hit first; evaluation once per epoch unless
        ``eval_every`` says otherwise.
    """
    updates_per_epoch = max(1, data.epoch_size // cfg.batch_size)
    budget = []
    if cfg.max_updates is not None:
        budget.append(cfg.max_updates)
    if cfg.max_epochs is not None:
        budget.append(max(1, int(round(cfg.max_epochs * updates_per_epoch))))
    return updates_per_epoch, min(budget), cfg.eval_every or updates_per_epoch


__all__ = ["RunData", "schedule"]

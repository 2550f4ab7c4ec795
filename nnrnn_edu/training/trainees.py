"""What the training loop trains: K >= 1 models that share a data stream, behind one small interface.

The loop (:mod:`nnrnn_edu.training.loop`) never touches a model or an optimiser
directly; it asks a *trainee* to take a step, evaluate, check for NaN/inf, drop
members that finished, and hand out a member's weights. Three trainees:

- :class:`SingleModel` - one :class:`~nnrnn_edu.models.base.RecurrentModel` (the vanilla RNN on
  its hand-written BPTT engine, or any model through autograd) with ``torch.optim.RMSprop`` over
  the model's parameter groups, its extra loss term, and global gradient-norm clipping;
- :class:`VanillaEnsemble` - K vanilla RNNs stacked into one
  :class:`~nnrnn_edu.models.EnsembleRNN` (one ``baddbmm`` per step), with
  :class:`~nnrnn_edu.training.optim.RMSpropPerModel` and per-model clipping;
- :class:`ModelList` - K models of any other kind, one :class:`SingleModel` each, stepped one
  after the other on the same batch. ``torch.func.stack_module_state`` + ``vmap`` would batch
  them, but PyTorch has no batching rule for the fused RNN/LSTM kernels, and vmap measured
  7-12x *slower* than this loop (``benchmarks/bench_generic_ensemble.py``).

:func:`make_trainee` picks one. See chapter 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .. import tasks as _tasks
from ..models import EnsembleRNN
from ..models.base import RecurrentModel
from ..models.registry import build_model
from .config import TrainConfig
from .optim import RMSpropPerModel, clip_grad_norm_per_model_


def evaluate(model: torch.nn.Module, task: str, inputs: torch.Tensor, targets: torch.Tensor,
             batch_size: int = 1000) -> float:
    """Mean validation loss of one model over a fixed set, in batches, without gradients.

    Parameters
    ----------
    model : RecurrentModel
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
    device = next(model.parameters()).device
    total, n = 0.0, 0
    with torch.no_grad():
        for lo in range(0, inputs.shape[0], batch_size):
            x = inputs[lo : lo + batch_size].to(device)
            y = targets[lo : lo + batch_size].to(device)
            total += float(_tasks.task_loss(task, model(x), y)) * x.shape[0]
            n += x.shape[0]
    return total / n


class SingleModel:
    """One model, ``torch.optim.RMSprop`` (Keras constants from the config) and global clipping.

    Clipping follows :func:`~nnrnn_edu.training.optim.clip_grad_norm_per_model_` and
    ``torch.optim.RMSprop`` is step for step :class:`~nnrnn_edu.training.optim.RMSpropPerModel`,
    so a vanilla RNN trained alone follows bitwise the trajectory it follows inside a
    :class:`VanillaEnsemble` (on one CPU thread).

    Parameters
    ----------
    model : RecurrentModel
    cfg : TrainConfig
        ``lr``, ``rho``, ``eps`` and ``clip_norm`` are used.
    """

    n_models = 1

    def __init__(self, model: RecurrentModel, cfg: TrainConfig) -> None:
        self.model = model
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.opt = torch.optim.RMSprop(model.param_groups(cfg.lr), lr=cfg.lr, alpha=cfg.rho, eps=cfg.eps)
        self.clip_norm = cfg.clip_norm

    def step(self, x: torch.Tensor, y: torch.Tensor, loss_task: str) -> torch.Tensor:
        """One update: forward, task loss (+ the model's extra loss), backward, clip, optimiser step.

        Returns
        -------
        Tensor, shape (1,)
            The loss, detached (no host synchronisation).
        """
        self.opt.zero_grad(set_to_none=True)
        loss = _tasks.task_loss(loss_task, self.model(x), y)
        extra = self.model.extra_loss()
        if extra is not None:
            loss = loss + extra
        loss.backward()
        if self.clip_norm is not None:  # the ensemble's rule and order of sums (bitwise a member's)
            clip_grad_norm_per_model_(self.params, self.clip_norm, stacked=False)
        self.opt.step()
        return loss.detach().view(1)

    def evaluate(self, inputs: torch.Tensor, targets: torch.Tensor, loss_task: str, batch_size: int) -> np.ndarray:
        """Validation loss, shape (1,) (see :func:`evaluate`)."""
        return np.array([evaluate(self.model, loss_task, inputs, targets, batch_size)])

    def finite(self, loss_sum: torch.Tensor) -> np.ndarray:
        """Whether the summed training losses and every parameter are finite, shape (1,) bool."""
        ok = bool(torch.isfinite(loss_sum).all()) and all(bool(torch.isfinite(p).all()) for p in self.params)
        return np.array([ok])

    def select(self, keep: Sequence[int]) -> None:
        """Keep the members ``keep`` (for one model: only ``[0]`` is meaningful)."""
        if list(keep) != [0]:
            raise ValueError(f"keep must be [0] for a single model, got {list(keep)!r}")

    def member_state_dict(self, i: int) -> dict:
        """Member ``i``'s ``state_dict`` (the model's own; ``i`` must be 0)."""
        self.select([i])
        return self.model.state_dict()

    def state_dict(self) -> dict:
        """Model and optimiser state, for checkpoints."""
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])


class VanillaEnsemble:
    """K stacked vanilla RNNs with per-model RMSprop and per-model clipping.

    Parameters
    ----------
    model : EnsembleRNN
    lrs : sequence of float
        One learning rate per member.
    cfg : TrainConfig
        ``rho``, ``eps`` and ``clip_norm`` (shared by the members) are used.
    """

    def __init__(self, model: EnsembleRNN, lrs: Sequence[float], cfg: TrainConfig) -> None:
        self.model = model
        self.opt = RMSpropPerModel(list(model.parameters()), list(lrs), cfg.rho, cfg.eps)
        self.clip_norm = cfg.clip_norm

    @property
    def n_models(self) -> int:
        """K, the members still training."""
        return self.model.n_models

    def step(self, x: torch.Tensor, y: torch.Tensor, loss_task: str) -> torch.Tensor:
        """One update of every member; returns the per-member losses, shape (K,), detached."""
        self.opt.zero_grad()
        losses = _tasks.task_loss(loss_task, self.model(x), y)  # (K,): model k's own mean loss
        losses.sum().backward()  # so model k's gradient is that of its own loss
        if self.clip_norm is not None:
            clip_grad_norm_per_model_(list(self.model.parameters()), self.clip_norm)
        self.opt.step()
        return losses.detach()

    def evaluate(self, inputs: torch.Tensor, targets: torch.Tensor, loss_task: str, batch_size: int) -> np.ndarray:
        """Per-member mean validation loss, shape (K,) (accumulated in float64)."""
        device = self.model.weight_hh.device
        total = torch.zeros(self.model.n_models, dtype=torch.float64, device=device)
        n = 0
        with torch.no_grad():
            for lo in range(0, inputs.shape[0], batch_size):
                xb = inputs[lo : lo + batch_size].to(device)
                yb = targets[lo : lo + batch_size].to(device)
                total += _tasks.task_loss(loss_task, self.model(xb), yb).double() * xb.shape[0]
                n += xb.shape[0]
        return (total / n).cpu().numpy()

    def finite(self, loss_sum: torch.Tensor) -> np.ndarray:
        """Per member: summed losses and all its parameters finite, shape (K,) bool."""
        k = self.model.n_models
        ok = torch.isfinite(loss_sum)
        for p in self.model.parameters():
            ok &= torch.isfinite(p.detach().reshape(k, -1)).all(1)
        return ok.cpu().numpy()

    def select(self, keep: Sequence[int]) -> None:
        """Continue with the members ``keep`` only (their weights and optimiser state sliced)."""
        self.model = self.model.select(keep)
        self.opt = self.opt.select(keep, list(self.model.parameters()))

    def member_state_dict(self, i: int) -> dict:
        """Member ``i`` as a stand-alone :class:`~nnrnn_edu.models.VanillaRNN`'s ``state_dict``."""
        return self.model.member(i).state_dict()

    def state_dict(self) -> dict:
        """Stacked model and per-model optimiser state, for checkpoints."""
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` (same members)."""
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])


class ModelList:
    """K models of any kind trained one after the other on the same batches (see the module docstring).

    Parameters
    ----------
    members : sequence of SingleModel
    """

    def __init__(self, members: Sequence[SingleModel]) -> None:
        self.members = list(members)

    @property
    def n_models(self) -> int:
        """K, the members still training."""
        return len(self.members)

    def step(self, x: torch.Tensor, y: torch.Tensor, loss_task: str) -> torch.Tensor:
        """One update of every member; per-member losses, shape (K,)."""
        return torch.cat([m.step(x, y, loss_task) for m in self.members])

    def evaluate(self, inputs: torch.Tensor, targets: torch.Tensor, loss_task: str, batch_size: int) -> np.ndarray:
        """Per-member validation loss, shape (K,)."""
        return np.concatenate([m.evaluate(inputs, targets, loss_task, batch_size) for m in self.members])

    def finite(self, loss_sum: torch.Tensor) -> np.ndarray:
        """Per member: summed losses and parameters finite, shape (K,) bool."""
        return np.concatenate([m.finite(loss_sum[i : i + 1]) for i, m in enumerate(self.members)])

    def select(self, keep: Sequence[int]) -> None:
        """Continue with the members ``keep`` only."""
        self.members = [self.members[i] for i in keep]

    def member_state_dict(self, i: int) -> dict:
        """Member ``i``'s ``state_dict``."""
        return self.members[i].model.state_dict()

    def state_dict(self) -> dict:
        """Every member's model and optimiser state, for checkpoints."""
        states = [m.state_dict() for m in self.members]
        return {"model": [s["model"] for s in states], "optimizer": [s["optimizer"] for s in states]}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` (same members)."""
        for m, ms, os_ in zip(self.members, state["model"], state["optimizer"]):
            m.load_state_dict({"model": ms, "optimizer": os_})


Trainee = SingleModel | VanillaEnsemble | ModelList
"""Anything the training loop can train."""


def make_trainee(configs: Sequence[TrainConfig], spec: _tasks.TaskSpec, hidden_size: int,
                 nonlinearity: str | None, device: str, together: bool) -> Trainee:
    """Build the models of ``configs`` (same model, shapes and data; initialisers and learning rates may differ).

    Parameters
    ----------
    configs : sequence of TrainConfig
        The members still training, in order.
    spec : TaskSpec
        Shapes and readout of the task (``psdigits`` when psDigits stands in).
    hidden_size : int
    nonlinearity : str or None
        Resolved (see :func:`nnrnn_edu.models.registry.default_nonlinearity`).
    device : str
    together : bool
        Whether the runs were started as a group (an ensemble keeps its kind, and its checkpoint's
        layout, when all but one member have finished).

    Returns
    -------
    Trainee
        :class:`SingleModel` for a run started alone, :class:`VanillaEnsemble` for vanilla RNNs
        (fast engine) started together, :class:`ModelList` for any other model (or the naive
        engine) started together.
    """
    cfg0 = configs[0]

    def one(c: TrainConfig) -> SingleModel:
        model = build_model(c.model, spec.input_size, hidden_size, spec.output_size, nonlinearity, c.init,
                            c.init_scale, spec.readout, seed=c.seed, engine=c.engine, device=device)
        return SingleModel(model, c)

    if not together:
        if len(configs) != 1:
            raise ValueError(f"configs must hold one run when together is False, got {len(configs)}")
        return one(cfg0)
    if cfg0.model == "vanilla" and cfg0.engine == "fast":
        model = EnsembleRNN(
            len(configs), spec.input_size, hidden_size, spec.output_size, nonlinearity,
            [c.init for c in configs], [c.init_scale for c in configs], spec.readout,
            seeds=[c.seed for c in configs], device=device,
        )
        return VanillaEnsemble(model, [c.lr for c in configs], cfg0)
    return ModelList([one(c) for c in configs])


__all__ = ["ModelList", "SingleModel", "Trainee", "VanillaEnsemble", "evaluate", "make_trainee"]

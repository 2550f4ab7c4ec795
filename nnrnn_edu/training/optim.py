"""Optimisers of the training loop for stacked ensembles: per-model RMSprop and per-model clipping.

A single model trains with ``torch.optim.RMSprop`` and ``torch.nn.utils.clip_grad_norm_``.
An ensemble of K stacked models (:class:`~nnrnn_edu.models.EnsembleRNN`, parameters of shape
``(K, ...)``) needs the same two steps with one learning rate and one gradient norm *per model*:
:class:`RMSpropPerModel` and :func:`clip_grad_norm_per_model_`. See chapter 3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch


def clip_grad_norm_per_model_(
    parameters: Sequence[torch.Tensor], max_norm: float, eps: float = 1e-6, stacked: bool = True,
) -> torch.Tensor:
    """Clip each model's global gradient norm separately (leading axis K of every parameter).

    For model k the norm is ``sqrt(sum over its parameters of ||g||^2)`` and the
    gradients are scaled by ``min(1, max_norm / (norm + eps))`` - the rule of
    ``torch.nn.utils.clip_grad_norm_`` applied to one model. No host
    synchronisation (CUDA-graph safe).

    A single model is clipped with ``stacked=False``: the same operations as for one
    member of a stack (a K = 1 view of every gradient), so that a model alone and the
    same model inside an ensemble of any size get bitwise the same clipped gradient on
    one CPU thread. (``torch.nn.utils.clip_grad_norm_`` sums the squares in another
    order, so it is not used.)

    Parameters
    ----------
    parameters : sequence of Tensor
        Stacked parameters, each of shape (K, ...), or one model's parameters when
        ``stacked=False``; those without ``.grad`` are skipped.
    max_norm : float
        Clip threshold (the paper: 10).
    eps : float
    stacked : bool
        Whether the parameters carry the leading model axis.

    Returns
    -------
    Tensor, shape (K,)
        Per-model gradient norms before clipping.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        raise ValueError("parameters have no gradients; call backward() first")
    k = grads[0].shape[0] if stacked else 1
    if stacked and any(g.shape[0] != k for g in grads):
        raise ValueError("parameters must all have the same leading (model) dimension K")
    # per model: the sum of squares of each parameter, then the sum over parameters in order,
    # the same reductions whatever K is
    terms = [g.reshape(k, -1).square().sum(1) for g in grads]
    sq = terms[0]
    for term in terms[1:]:  # added one by one: torch.stack(terms).sum(0) sums in another order for some K
        sq = sq + term
    norms = sq.sqrt()
    scale = (max_norm / (norms + eps)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view((k,) + (1,) * (g.dim() - 1)))
    return norms


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

        """

    def __init__(self, params: Sequence, lr: float | Sequence[float], rho: float = 0.9, eps: float = 1e-7) -> None:
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

                """
        idx = [int(i) for i in indices]
        new = RMSpropPerModel(params, [self.lrs[i] for i in idx], self.rho, self.eps)
        sel = torch.as_tensor(idx, device=self.square_avg[0].device)
        for s_new, s in zip(new.square_avg, self.square_avg):
            s_new.copy_(s.index_select(0, sel))
        return new


__all__ = ["RMSpropPerModel", "clip_grad_norm_per_model_"]

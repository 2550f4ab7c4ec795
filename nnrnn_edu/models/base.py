"""The interface every trainable recurrent model implements.

The training loop (:mod:`nnrnn_edu.training.loop`), sweeps, result records,
:func:`nnrnn_edu.training.records.load_model`, the command line (``--model``)
and chapter 4's analysis talk to a model only through :class:`RecurrentModel`:

- ``forward(x)``: the task outputs from inputs ``(B, T, d)``: ``(B, T, out)`` for a
  read-out at every step (copy), ``(B, out)`` for one at the end (addition, psMNIST);
- :meth:`~RecurrentModel.recurrent_matrix`: the recurrent matrix for analysis, ``(N, N)``
  in the column convention ``h_t = f(W h_{t-1} + ...)`` (``W[i, j]`` is the weight from
  unit j to unit i; complex for models whose recurrence is);
- :meth:`~RecurrentModel.param_groups`: the optimiser's parameter groups (rivals with
  orthogonal parameters train those with their own learning rate);
- :meth:`~RecurrentModel.extra_loss`: a term added to the task loss (penalties), or None.

The vanilla RNN implements it on its hand-written BPTT engine; any other
``nn.Module`` that implements it trains through autograd. See chapter 3.
"""

from __future__ import annotations

import torch
from torch import nn


class RecurrentModel(nn.Module):
    """Base class of the library's recurrent models (see the module docstring).

    Subclasses implement ``forward`` and :meth:`recurrent_matrix`; the defaults of
    :meth:`param_groups` (one group, one learning rate) and :meth:`extra_loss` (none)
    suit plain models.

    Attributes
    ----------
    readout_mode : {"all", "last"}
        Outputs at every step or at the last step only.
    """

    readout_mode: str = "last"

    def recurrent_matrix(self) -> torch.Tensor:
        """The recurrent matrix for analysis, shape (N, N), column convention.

        Returns
        -------
        Tensor
            A view of (or the same values as) the model's recurrent weights; detach before numpy.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement recurrent_matrix()")

    def param_groups(self, lr: float) -> list[dict]:
        """Parameter groups for a ``torch.optim`` optimiser.

        Parameters
        ----------
        lr : float
            The run's learning rate.

        Returns
        -------
        list of dict
            Each with ``params`` and ``lr``; every trainable parameter appears exactly once.
        """
        return [{"params": [p for p in self.parameters() if p.requires_grad], "lr": lr}]

    def extra_loss(self) -> torch.Tensor | None:
        """A term added to the task loss at every update (e.g. a penalty), or None for none.

        Returns
        -------
        Tensor (scalar) or None
        """
        return None

    @property
    def hidden_size(self) -> int:
        """N, the number of hidden units."""
        return int(self.recurrent_matrix().shape[0])

    def _check_input(self, x: object, input_size: int) -> None:
        """A ValueError naming ``x`` unless it is a tensor ``(B, T, input_size)`` of the model's dtype."""
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (B, T, {input_size}), got {shape}")
        dtype = next(self.parameters()).dtype
        if x.dtype != dtype:
            raise ValueError(f"x must have the model's dtype {dtype}, got {x.dtype} (convert it with x.to({dtype}))")


__all__ = ["RecurrentModel"]

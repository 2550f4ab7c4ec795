"""K independent vanilla RNNs trained in one process, with stacked weights.

A sweep over initialisers, scales, learning rates and seeds is many small,
independent networks. One network at N = 25..100 leaves a CPU mostly idle
(each step is a tiny GEMM plus framework overhead); K networks stacked into
``[K, N, N]`` weights run one ``baddbmm`` per step instead, and the per-model
cost falls by 1.2-4.5x on two cores (README; more expected on a GPU). Model k of an
:class:`EnsembleRNN` is exactly the :class:`~nnrnn_edu.models.VanillaRNN`
built with the same arguments and ``seed=seeds[k]`` (tested), and
:func:`clip_grad_norm_per_model_` clips each model's gradient on its own, so
training the ensemble with the per-model loss sum is training K separate runs.
See chapter 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .. import connectivity
from .._validate import positive_int
from .readout import stacked_forward
from .recurrence import _check_nonlinearity
from .rnn import READOUTS, VanillaRNN, _check_choice, initial_weights


def _per_model(value, k: int, name: str) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [value] * k
    if len(value) != k:
        raise ValueError(f"{name} must be a single value or a sequence of n_models={k} values, got {len(value)}")
    return list(value)


class EnsembleRNN(nn.Module):
    """K vanilla RNNs with the same shapes, stacked.

    Parameters
    ----------
    n_models : int
        K.
    input_size, hidden_size, output_size : int
        d, N and the readout size (shared by all models).
    nonlinearity : {"elu", "relu", "tanh"}
        Shared by all models.
    init : str or sequence of str
        Initialiser per model (or one for all).
    init_scale : float, None or sequence
        alpha / beta / lambda per model (or one for all).
    readout : {"last", "all"}
    seeds : int, None or sequence
        Seed per model (a single value is used for all models).
    dtype, device
        Of the parameters.

    Attributes
    ----------
    weight_hh : Parameter, shape (K, N, N)
    weight_ih : Parameter, shape (K, N, d)
    bias : Parameter, shape (K, N)
    readout_weight : Parameter, shape (K, out, N)
    readout_bias : Parameter, shape (K, out)

    See chapter 3.
    """

    def __init__(
        self,
        n_models: int,
        input_size: int,
        hidden_size: int,
        output_size: int,
        nonlinearity: str = "elu",
        init: str | Sequence[str] = "chain",
        init_scale: float | None | Sequence[float | None] = 1.0,
        readout: str = "last",
        seeds: int | None | Sequence[int | None] = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        k = positive_int(n_models, "n_models")
        self.nonlinearity = _check_nonlinearity(nonlinearity)
        self.readout_mode = _check_choice(readout, READOUTS, "readout")
        self.inits = [_check_choice(i, connectivity.KINDS, "init") for i in _per_model(init, k, "init")]
        self.init_scales = _per_model(init_scale, k, "init_scale")
        self.seeds = _per_model(seeds, k, "seeds")
        ws = [
            initial_weights(i, input_size, hidden_size, output_size, s, sd)
            for i, s, sd in zip(self.inits, self.init_scales, self.seeds)
        ]
        kw = {"dtype": dtype, "device": device}

        def stack(key):
            return nn.Parameter(torch.as_tensor(np.stack([w[key] for w in ws]), **kw))

        self.weight_hh = stack("weight_hh")
        self.weight_ih = stack("weight_ih")
        self.bias = stack("bias")
        self.readout_weight = stack("readout_weight")
        self.readout_bias = stack("readout_bias")

    @classmethod
    def from_models(cls, models: Sequence[VanillaRNN]) -> "EnsembleRNN":
        """Stack existing :class:`VanillaRNN` models (same shapes, nonlinearity and readout)."""
        if len(models) == 0:
            raise ValueError("models must contain at least one VanillaRNN")
        m0 = models[0]
        for m in models:
            if (m.input_size, m.hidden_size, m.output_size, m.nonlinearity, m.readout_mode) != (
                m0.input_size, m0.hidden_size, m0.output_size, m0.nonlinearity, m0.readout_mode,
            ):
                raise ValueError("models must share input/hidden/output sizes, nonlinearity and readout")
        ens = cls(
            len(models), m0.input_size, m0.hidden_size, m0.output_size, m0.nonlinearity,
            [m.init for m in models], [m.init_scale for m in models], m0.readout_mode,
            seeds=0, dtype=m0.weight_hh.dtype, device=m0.weight_hh.device,
        )
        with torch.no_grad():
            for k, m in enumerate(models):
                ens.weight_hh[k] = m.weight_hh
                ens.weight_ih[k] = m.weight_ih
                ens.bias[k] = m.bias
                ens.readout_weight[k] = m.readout.weight
                ens.readout_bias[k] = m.readout.bias
        return ens

    @property
    def n_models(self) -> int:
        """K, the number of stacked models."""
        return self.weight_hh.shape[0]

    @property
    def hidden_size(self) -> int:
        """N, the number of hidden units."""
        return self.weight_hh.shape[1]

    @property
    def input_size(self) -> int:
        """d, the number of input channels."""
        return self.weight_ih.shape[2]

    @property
    def output_size(self) -> int:
        """The readout size."""
        return self.readout_weight.shape[1]

    def recurrent_matrix(self) -> torch.Tensor:
        """Stacked W, shape (K, N, N), column convention (the parameter itself)."""
        return self.weight_hh

    def member(self, k: int) -> VanillaRNN:
        """Model k as a stand-alone :class:`VanillaRNN` (a copy of its current weights)."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < self.n_models:
            raise ValueError(f"k must be an integer in [0, {self.n_models}), got {k!r}")
        m = VanillaRNN(
            self.input_size, self.hidden_size, self.output_size, self.nonlinearity, self.inits[k],
            self.init_scales[k], self.readout_mode, seed=0,
            dtype=self.weight_hh.dtype, device=self.weight_hh.device,
        )
        with torch.no_grad():
            m.weight_hh.copy_(self.weight_hh[k])
            m.weight_ih.copy_(self.weight_ih[k])
            m.bias.copy_(self.bias[k])
            m.readout.weight.copy_(self.readout_weight[k])
            m.readout.bias.copy_(self.readout_bias[k])
        return m

    def select(self, indices: Sequence[int]) -> "EnsembleRNN":
        """A new ensemble of some members (copies of their current weights), in the given order.

        Sweeps use it to drop members that have finished (diverged or early-stopped),
        so that the others run on at a lower cost. See chapter 3.

        Parameters
        ----------
        indices : sequence of int
            Members to keep, each in ``[0, K)``; at least one.

        Returns
        -------
        EnsembleRNN
            With ``len(indices)`` models, same dtype and device.
        """
        idx = [int(i) for i in indices]
        if not idx or any(not 0 <= i < self.n_models for i in idx):
            raise ValueError(f"indices must be a non-empty list of members in [0, {self.n_models}), got {indices!r}")
        ens = EnsembleRNN.__new__(EnsembleRNN)
        nn.Module.__init__(ens)
        ens.nonlinearity, ens.readout_mode = self.nonlinearity, self.readout_mode
        ens.inits = [self.inits[i] for i in idx]
        ens.init_scales = [self.init_scales[i] for i in idx]
        ens.seeds = [self.seeds[i] for i in idx]
        sel = torch.as_tensor(idx, device=self.weight_hh.device)
        for name in ("weight_hh", "weight_ih", "bias", "readout_weight", "readout_bias"):
            setattr(ens, name, nn.Parameter(getattr(self, name).detach().index_select(0, sel)))
        return ens

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """Readouts of all K models.

        Parameters
        ----------
        x : Tensor, shape (B, T, d) shared, or (K, B, T, d) per model
        h0 : Tensor, shape (K, B, N), optional

        Returns
        -------
        Tensor
            ``(K, B, T, out)`` if ``readout == "all"``, else ``(K, B, out)``;
            :func:`nnrnn_edu.tasks.task_loss` turns it into per-model losses ``(K,)``.
        """
        if isinstance(x, torch.Tensor) and x.dtype != self.weight_hh.dtype:
            raise ValueError(f"x must have the models' dtype {self.weight_hh.dtype}, got {x.dtype}")
        return stacked_forward(x, self.weight_hh, self.weight_ih, self.bias, self.readout_weight, self.readout_bias,
                               h0, self.nonlinearity, self.readout_mode == "all")

    def extra_repr(self) -> str:
        return (
            f"n_models={self.n_models}, input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"output_size={self.output_size}, nonlinearity={self.nonlinearity!r}, readout={self.readout_mode!r}"
        )


__all__ = ["EnsembleRNN"]

"""Recurrent models built on PyTorch's own layers, trained through autograd.

They prove the model interface (:class:`~nnrnn_edu.models.base.RecurrentModel`) beside the
vanilla RNN, and they are the baselines the later chapters compare against:

- :class:`TorchRNN` - ``torch.nn.RNN`` (tanh or relu): the same network as
  :class:`~nnrnn_edu.models.VanillaRNN` with the same initial weights, on PyTorch's fused kernel;
- :class:`LSTM` - ``torch.nn.LSTM`` whose four gates are initialised like vanilla RNNs, as in the
  paper's section 3 ("we treated the input, forget, output, and update gates of the LSTM
  architecture as analogous to vanilla RNNs and initialized the recurrent and input matrices
  inside these gates in the same way").

Both read out linearly at every step or at the last step, like the vanilla RNN. See chapter 3.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import connectivity
from .._validate import finite_float, positive_int, seed_or_generator
from ..nonlinearities import check_nonlinearity
from .base import RecurrentModel
from .rnn import READOUTS, _check_choice, glorot_readout, initial_weights

TORCH_RNN_NONLINEARITIES = ("tanh", "relu")
"""The non-linearities ``torch.nn.RNN`` offers."""

LSTM_GATES = ("input", "forget", "update", "output")
"""The LSTM's gates in PyTorch's order of the stacked weights (``i, f, g, o``; ``g`` is the tanh update gate)."""


def _read_out(readout: nn.Linear, h: torch.Tensor, all_steps: bool) -> torch.Tensor:
    return readout(h if all_steps else h[:, -1])


class TorchRNN(RecurrentModel):
    """``h_t = f(W h_{t-1} + V x_t + b)`` on ``torch.nn.RNN``, initialised like :class:`VanillaRNN`.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        d, N and the readout size.
    nonlinearity : {"tanh", "relu"}
    init : {"chain", "fbchain", "identity", "orthogonal"}
        Recurrent initialiser (:func:`nnrnn_edu.models.initial_weights`: the same W, V and readout
        as the vanilla RNN of the same seed).
    init_scale : float or None
        alpha, beta or lambda (None: the initialiser's default).
    readout : {"last", "all"}
    seed : int, Generator or None
    dtype, device
        Of the parameters.

    Attributes
    ----------
    rnn : nn.RNN
        ``weight_hh_l0`` is W (column convention), ``weight_ih_l0`` is V; ``bias_ih_l0`` holds b and
        ``bias_hh_l0`` stays zero at initialisation.
    readout : nn.Linear
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        nonlinearity: str = "tanh",
        init: str = "chain",
        init_scale: float | None = 1.0,
        readout: str = "last",
        seed: int | np.random.Generator | None = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        self.nonlinearity = check_nonlinearity(nonlinearity, TORCH_RNN_NONLINEARITIES)
        self.init = _check_choice(init, connectivity.KINDS, "init")
        self.init_scale = init_scale
        self.readout_mode = _check_choice(readout, READOUTS, "readout")
        w = initial_weights(init, input_size, hidden_size, output_size, init_scale, seed)
        kw = {"dtype": dtype, "device": device}
        self.rnn = nn.RNN(input_size, hidden_size, nonlinearity=self.nonlinearity, batch_first=True, **kw)
        self.readout = nn.Linear(hidden_size, output_size, **kw)
        with torch.no_grad():
            self.rnn.weight_hh_l0.copy_(torch.as_tensor(w["weight_hh"]))
            self.rnn.weight_ih_l0.copy_(torch.as_tensor(w["weight_ih"]))
            self.rnn.bias_ih_l0.copy_(torch.as_tensor(w["bias"]))
            self.rnn.bias_hh_l0.zero_()
            self.readout.weight.copy_(torch.as_tensor(w["readout_weight"]))
            self.readout.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Readout: ``(B, T, out)`` if ``readout == "all"``, else ``(B, out)``; ``x`` is ``(B, T, d)``."""
        self._check_input(x, self.rnn.input_size)
        h, _ = self.rnn(x)  # (B, T, N)
        return _read_out(self.readout, h, self.readout_mode == "all")

    def recurrent_matrix(self) -> torch.Tensor:
        """W = ``rnn.weight_hh_l0``, shape (N, N), column convention (the parameter itself)."""
        return self.rnn.weight_hh_l0


def lstm_initial_weights(
    kind: str,
    input_size: int,
    hidden_size: int,
    output_size: int,
    init_scale: float | None = 1.0,
    seed: int | np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Initial LSTM parameters with every gate initialised like a vanilla RNN (paper section 3).

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
        Initialiser of each gate's recurrent matrix (and its input matrix, as for vanilla RNNs).
    input_size, hidden_size, output_size : int
        d, N and the readout size.
    init_scale : float or None
        alpha, beta or lambda (None: the initialiser's default).
    seed : int, Generator or None
        One stream: the gates in :data:`LSTM_GATES` order (recurrent, then input matrix of each),
        then the readout.

    Returns
    -------
    dict
        ``weight_hh`` (4N, N) and ``weight_ih`` (4N, d), the gates stacked in PyTorch's order;
        ``bias`` (4N,) zeros; ``readout_weight`` (out, N) Glorot-uniform; ``readout_bias`` (out,) zeros.
    """
    d = positive_int(input_size, "input_size")
    n = positive_int(hidden_size, "hidden_size")
    out = positive_int(output_size, "output_size")
    scale = None if init_scale is None else finite_float(init_scale, "init_scale")
    rng = seed_or_generator(seed)
    w_hh, w_ih = [], []
    for _ in LSTM_GATES:
        w_hh.append(connectivity.recurrent_matrix(kind, n, scale, seed=rng))
        w_ih.append(connectivity.input_matrix(kind, n, d, seed=rng))
    return {
        "weight_hh": np.concatenate(w_hh),
        "weight_ih": np.concatenate(w_ih),
        "bias": np.zeros(4 * n),
        "readout_weight": glorot_readout(rng, n, out),
        "readout_bias": np.zeros(out),
    }


class LSTM(RecurrentModel):
    """``torch.nn.LSTM`` with a linear readout, its gates initialised like vanilla RNNs.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        d, N and the readout size.
    init : {"chain", "fbchain", "identity", "orthogonal"}
        Initialiser of every gate (:func:`lstm_initial_weights`).
    init_scale : float or None
    readout : {"last", "all"}
    seed : int, Generator or None
    dtype, device
        Of the parameters.

    Attributes
    ----------
    lstm : nn.LSTM
        Gates stacked in :data:`LSTM_GATES` order; ``bias_ih_l0`` and ``bias_hh_l0`` start at zero.
    readout : nn.Linear
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        init: str = "chain",
        init_scale: float | None = 1.0,
        readout: str = "last",
        seed: int | np.random.Generator | None = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        self.init = _check_choice(init, connectivity.KINDS, "init")
        self.init_scale = init_scale
        self.readout_mode = _check_choice(readout, READOUTS, "readout")
        w = lstm_initial_weights(init, input_size, hidden_size, output_size, init_scale, seed)
        kw = {"dtype": dtype, "device": device}
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True, **kw)
        self.readout = nn.Linear(hidden_size, output_size, **kw)
        with torch.no_grad():
            self.lstm.weight_hh_l0.copy_(torch.as_tensor(w["weight_hh"]))
            self.lstm.weight_ih_l0.copy_(torch.as_tensor(w["weight_ih"]))
            self.lstm.bias_ih_l0.zero_()
            self.lstm.bias_hh_l0.zero_()
            self.readout.weight.copy_(torch.as_tensor(w["readout_weight"]))
            self.readout.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Readout: ``(B, T, out)`` if ``readout == "all"``, else ``(B, out)``; ``x`` is ``(B, T, d)``."""
        self._check_input(x, self.lstm.input_size)
        h, _ = self.lstm(x)  # (B, T, N)
        return _read_out(self.readout, h, self.readout_mode == "all")

    def gate_matrix(self, gate: str) -> torch.Tensor:
        """The recurrent matrix of one gate, shape (N, N), column convention (a view of the parameter).

        Parameters
        ----------
        gate : {"input", "forget", "update", "output"}

        Returns
        -------
        Tensor
        """
        i = LSTM_GATES.index(_check_choice(gate, LSTM_GATES, "gate"))
        n = self.lstm.hidden_size
        return self.lstm.weight_hh_l0[i * n : (i + 1) * n]

    def recurrent_matrix(self) -> torch.Tensor:
        """The update (tanh) gate's recurrent matrix, (N, N): the gate whose trained weights the paper's
        Figure 6d finds chain-like (see :meth:`gate_matrix` for the others)."""
        return self.gate_matrix("update")


__all__ = ["LSTM", "LSTM_GATES", "TORCH_RNN_NONLINEARITIES", "TorchRNN", "lstm_initial_weights"]

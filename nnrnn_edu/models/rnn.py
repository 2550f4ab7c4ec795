"""The vanilla RNN of the paper's copy, addition and psMNIST experiments.

``h_t = f(W h_{t-1} + V x_t + b)`` with a linear readout at every step (copy)
or at the last step (addition, psMNIST), initialised by name with one of the
four initialisers of :mod:`nnrnn_edu.connectivity` and the paper's input
matrices. The recurrence runs through the hand-written BPTT of
:mod:`nnrnn_edu.models.recurrence` (``engine="fast"``) or the autograd
reference loop (``engine="naive"``). See chapter 3.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import connectivity
from .._validate import finite_float, positive_int, seed_or_generator
from .base import RecurrentModel
from .readout import stacked_forward
from .recurrence import _check_nonlinearity, naive_recurrence, rnn_recurrence

READOUTS = ("all", "last")
"""Readout at every step (copy) or only at the last step (addition, psMNIST)."""

ENGINES = ("fast", "naive")
"""``"fast"``: hand-written BPTT; ``"naive"``: the autograd reference loop."""


def _check_choice(value: object, choices: tuple, name: str) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return str(value)


def glorot_readout(rng: np.random.Generator, n: int, out: int) -> np.ndarray:
    """A readout matrix ``(out, n)`` drawn Glorot-uniform (the Keras default the authors used).

    Parameters
    ----------
    rng : Generator
    n, out : int
        Hidden units and readout size.

    Returns
    -------
    ndarray, shape (out, n)
    """
    limit = math.sqrt(6.0 / (n + out))
    return rng.uniform(-limit, limit, size=(out, n))


def initial_weights(
    kind: str,
    input_size: int,
    hidden_size: int,
    output_size: int,
    init_scale: float | None = 1.0,
    seed: int | np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """The paper's initial parameters for one network, as float64 numpy arrays.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
        Recurrent initialiser (:func:`nnrnn_edu.connectivity.recurrent_matrix`).
    input_size, hidden_size, output_size : int
        d, N and the readout size.
    init_scale : float or None
        alpha (chain), beta (fbchain, forward weight 0.99) or lambda (identity,
        orthogonal); None gives the kind's default (1.0, or 0.04 for fbchain).
    seed : int, Generator or None
        One stream for everything random: the orthogonal matrix, the Gaussian
        input matrix, then the readout.

    Returns
    -------
    dict
        ``weight_hh`` (N, N), ``weight_ih`` (N, d), ``bias`` (N,) zeros,
        ``readout_weight`` (out, N) Glorot-uniform (the Keras default the
        authors used), ``readout_bias`` (out,) zeros.

    See chapter 3.
    """
    d = positive_int(input_size, "input_size")
    n = positive_int(hidden_size, "hidden_size")
    out = positive_int(output_size, "output_size")
    scale = None if init_scale is None else finite_float(init_scale, "init_scale")
    rng = seed_or_generator(seed)
    W = connectivity.recurrent_matrix(kind, n, scale, seed=rng)
    V = connectivity.input_matrix(kind, n, d, seed=rng)
    R = glorot_readout(rng, n, out)
    return {
        "weight_hh": W,
        "weight_ih": V,
        "bias": np.zeros(n),
        "readout_weight": R,
        "readout_bias": np.zeros(out),
    }


class VanillaRNN(RecurrentModel):
    """Elman RNN ``h_t = f(W h_{t-1} + V x_t + b)``, ``y = R h + c``.

    Parameters
    ----------
    input_size : int
        Input channels d (10 for copy, 2 for addition, 1 for psMNIST).
    hidden_size : int
        Units N (paper: 100 for copy/addition, 25 for psMNIST).
    output_size : int
        Readout size (9, 1, 10).
    nonlinearity : {"elu", "relu", "tanh"}
    init : {"chain", "fbchain", "identity", "orthogonal"}
        Recurrent initialiser; chains get ``V = 0.9 I`` (input k feeds unit k),
        normal initialisers ``V ~ N(0, (0.9/sqrt N)^2)``.
    init_scale : float or None
        alpha, beta or lambda of the initialiser (None: the kind's default).
    readout : {"last", "all"}
        Output at the last step ``(B, out)`` or at every step ``(B, T, out)``.
    seed : int, Generator or None
        Seed of the initial weights (same seed, same network).
    engine : {"fast", "naive"}
        Hand-written BPTT or the autograd reference loop.
    dtype, device
        Of the parameters.

    Attributes
    ----------
    weight_hh : Parameter, shape (N, N)
    weight_ih : Parameter, shape (N, d)
    bias : Parameter, shape (N,)
    readout : nn.Linear(N, out)

    See chapter 3.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        nonlinearity: str = "elu",
        init: str = "chain",
        init_scale: float | None = 1.0,
        readout: str = "last",
        seed: int | np.random.Generator | None = None,
        engine: str = "fast",
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        self.nonlinearity = _check_nonlinearity(nonlinearity)
        self.init = _check_choice(init, connectivity.KINDS, "init")
        self.readout_mode = _check_choice(readout, READOUTS, "readout")
        self.engine = _check_choice(engine, ENGINES, "engine")
        self.init_scale = init_scale
        w = initial_weights(init, input_size, hidden_size, output_size, init_scale, seed)
        kw = {"dtype": dtype, "device": device}
        self.weight_hh = nn.Parameter(torch.as_tensor(w["weight_hh"], **kw))
        self.weight_ih = nn.Parameter(torch.as_tensor(w["weight_ih"], **kw))
        self.bias = nn.Parameter(torch.as_tensor(w["bias"], **kw))
        self.readout = nn.Linear(hidden_size, output_size, **kw)
        with torch.no_grad():
            self.readout.weight.copy_(torch.as_tensor(w["readout_weight"]))
            self.readout.bias.zero_()

    @property
    def input_size(self) -> int:
        """d, the number of input channels."""
        return self.weight_ih.shape[1]

    @property
    def hidden_size(self) -> int:
        """N, the number of hidden units."""
        return self.weight_hh.shape[0]

    @property
    def output_size(self) -> int:
        """The readout size."""
        return self.readout.out_features

    def recurrent_matrix(self) -> torch.Tensor:
        """W in the column convention ``h_t = f(W h_{t-1} + ...)``, shape (N, N) (the parameter itself)."""
        return self.weight_hh

    @property
    def input_weight(self) -> torch.Tensor:
        """V, shape (N, d) (the parameter itself)."""
        return self.weight_ih

    def _check_x(self, x: torch.Tensor) -> None:
        self._check_input(x, self.input_size)

    def hidden_states(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """All hidden states.

        Parameters
        ----------
        x : Tensor, shape (B, T, d)
        h0 : Tensor, shape (B, N), optional

        Returns
        -------
        Tensor, shape (B, T, N)
        """
        self._check_x(x)
        fn = rnn_recurrence if self.engine == "fast" else naive_recurrence
        return fn(x, self.weight_hh, self.weight_ih, self.bias, h0, self.nonlinearity, True)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """Readout of the network.

        Parameters
        ----------
        x : Tensor, shape (B, T, d)
        h0 : Tensor, shape (B, N), optional
            Initial state (zeros if None).

        Returns
        -------
        Tensor
            ``(B, T, out)`` if ``readout == "all"``, else ``(B, out)``.
        """
        self._check_x(x)
        seq = self.readout_mode == "all"
        if self.engine == "naive":
            h = naive_recurrence(x, self.weight_hh, self.weight_ih, self.bias, h0, self.nonlinearity, seq)
            return self.readout(h)
        # the ensemble's forward pass on a stack of one: bitwise what this model computes in any ensemble
        one = [p.unsqueeze(0) for p in (self.weight_hh, self.weight_ih, self.bias, self.readout.weight,
                                         self.readout.bias)]
        return stacked_forward(x, *one, None if h0 is None else h0.unsqueeze(0), self.nonlinearity, seq)[0]

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, output_size={self.output_size}, "
            f"nonlinearity={self.nonlinearity!r}, init={self.init!r}, init_scale={self.init_scale}, "
            f"readout={self.readout_mode!r}, engine={self.engine!r}"
        )


__all__ = ["ENGINES", "READOUTS", "VanillaRNN", "glorot_readout", "initial_weights"]

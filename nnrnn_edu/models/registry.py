"""The recurrent models by name: what ``--model`` and ``TrainConfig.model`` choose from.

:func:`build_model` turns a name, a task's shapes and an initialiser into a
:class:`~nnrnn_edu.models.base.RecurrentModel`; it is the one place the training
loop, :func:`nnrnn_edu.training.records.load_model` and the command line build
models. A new model (a rival of the later chapters) is one entry here. See chapter 3.
"""

from __future__ import annotations

import numpy as np
import torch

from ..nonlinearities import TRAINABLE
from .base import RecurrentModel
from .rnn import ENGINES, VanillaRNN
from .torch_models import LSTM, TORCH_RNN_NONLINEARITIES, TorchRNN

MODELS: tuple[str, ...] = ("vanilla", "torch-rnn", "lstm")
"""Trainable models: the paper's vanilla RNN (hand-written BPTT), ``torch.nn.RNN`` and ``torch.nn.LSTM``."""

DEFAULT_MODEL = "vanilla"
"""The model of the paper's experiments, and of every result file written before models had names."""

_NONLINEARITIES: dict[str, tuple[str, ...]] = {"vanilla": TRAINABLE, "torch-rnn": TORCH_RNN_NONLINEARITIES, "lstm": ()}
_DEFAULT_NONLINEARITY: dict[str, str | None] = {"torch-rnn": "tanh", "lstm": None}


def _check_model(model: object) -> str:
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return str(model)


def model_nonlinearities(model: str) -> tuple[str, ...]:
    """The hidden non-linearities a model can be built with (empty for the LSTM: its gates are fixed).

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.

    Returns
    -------
    tuple of str
    """
    return _NONLINEARITIES[_check_model(model)]


def default_nonlinearity(model: str, task_default: str) -> str | None:
    """The non-linearity a model uses when the configuration leaves it open.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.
    task_default : str
        The paper's choice for the task (:attr:`nnrnn_edu.tasks.TaskSpec.nonlinearity`), which the
        vanilla RNN takes.

    Returns
    -------
    str or None
        None for the LSTM.
    """
    return task_default if _check_model(model) == "vanilla" else _DEFAULT_NONLINEARITY[model]


def build_model(
    model: str,
    input_size: int,
    hidden_size: int,
    output_size: int,
    nonlinearity: str | None,
    init: str,
    init_scale: float | None,
    readout: str,
    seed: int | np.random.Generator | None = None,
    engine: str = "fast",
    device: str | torch.device | None = None,
) -> RecurrentModel:
    """Build a recurrent model by name, initialised like the paper's networks.

    Parameters
    ----------
    model : {"vanilla", "torch-rnn", "lstm"}
    input_size, hidden_size, output_size : int
        d, N and the readout size.
    nonlinearity : str or None
        Must be one of :func:`model_nonlinearities` (None for the LSTM).
    init : {"chain", "fbchain", "identity", "orthogonal"}
    init_scale : float or None
        alpha, beta or lambda (None: the initialiser's default).
    readout : {"last", "all"}
    seed : int, Generator or None
        Seed of the initial weights.
    engine : {"fast", "naive"}
        The vanilla RNN's recurrence (the other models have one implementation).
    device : str, torch.device or None

    Returns
    -------
    RecurrentModel
        float32 parameters on ``device``.
    """
    model = _check_model(model)
    if model == "vanilla":
        return VanillaRNN(input_size, hidden_size, output_size, nonlinearity, init, init_scale, readout,
                          seed=seed, engine=engine, device=device)
    if model == "torch-rnn":
        return TorchRNN(input_size, hidden_size, output_size, nonlinearity, init, init_scale, readout,
                        seed=seed, device=device)
    if nonlinearity is not None:
        raise ValueError(f"nonlinearity must be None for model 'lstm' (its gates are fixed), got {nonlinearity!r}")
    return LSTM(input_size, hidden_size, output_size, init, init_scale, readout, seed=seed, device=device)


__all__ = ["DEFAULT_MODEL", "ENGINES", "MODELS", "build_model", "default_nonlinearity", "model_nonlinearities"]

"""Recurrent models for the training chapters, all behind one interface.

- :class:`RecurrentModel` - the interface (task outputs, recurrent matrix for analysis,
  parameter groups, extra loss) that the training loop, result records and analyses use;
- :class:`VanillaRNN` - the paper's vanilla RNN, initialised by name (chain,
  fbchain, identity, orthogonal), running on a fast hand-written-BPTT recurrence;
- :class:`EnsembleRNN` - K such models with stacked weights, for sweeps;
- :class:`TorchRNN`, :class:`LSTM` - ``torch.nn.RNN`` and ``torch.nn.LSTM`` with the same
  initialisers, trained through autograd;
- :data:`MODELS`, :func:`build_model` - the models by name (``--model``);
- :func:`rnn_recurrence`, :func:`ensemble_recurrence`, :func:`naive_recurrence`
  - the recurrence itself (fast, batched, reference);
- :func:`batched_linear`, :func:`class_major_linear` - readouts of stacked states
  whose backward passes use the fast GEMM shapes;
- :func:`tune_cpu_allocator` - keep freed memory for reuse (glibc only).

See chapter 3.
"""

from .allocator import tune_cpu_allocator
from .base import RecurrentModel
from .ensemble import EnsembleRNN
from .readout import batched_linear, class_major_linear
from .recurrence import ensemble_recurrence, naive_recurrence, rnn_recurrence
from .registry import DEFAULT_MODEL, MODELS, build_model, default_nonlinearity, model_nonlinearities
from .rnn import ENGINES, READOUTS, VanillaRNN, initial_weights
from .torch_models import LSTM, TorchRNN, lstm_initial_weights

__all__ = [
    "DEFAULT_MODEL",
    "ENGINES",
    "LSTM",
    "MODELS",
    "READOUTS",
    "EnsembleRNN",
    "RecurrentModel",
    "TorchRNN",
    "VanillaRNN",
    "batched_linear",
    "build_model",
    "class_major_linear",
    "default_nonlinearity",
    "ensemble_recurrence",
    "initial_weights",
    "lstm_initial_weights",
    "model_nonlinearities",
    "naive_recurrence",
    "rnn_recurrence",
    "tune_cpu_allocator",
]

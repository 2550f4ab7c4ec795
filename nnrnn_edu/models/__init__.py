"""Recurrent models for the training chapters.

- :class:`VanillaRNN` - the paper's vanilla RNN, initialised by name (chain,
  fbchain, identity, orthogonal), running on a fast hand-written-BPTT recurrence;
- :class:`EnsembleRNN` - K such models with stacked weights, for sweeps;
- :func:`rnn_recurrence`, :func:`ensemble_recurrence`, :func:`naive_recurrence`
  - the recurrence itself (fast, batched, reference);
- :func:`batched_linear`, :func:`class_major_linear` - readouts of stacked states
  whose backward passes use the fast GEMM shapes;
- :func:`tune_cpu_allocator` - keep freed memory for reuse (glibc only).

See chapter 3.
"""

from .allocator import tune_cpu_allocator
from .ensemble import EnsembleRNN, clip_grad_norm_per_model_
from .readout import batched_linear, class_major_linear
from .recurrence import NONLINEARITIES, ensemble_recurrence, naive_recurrence, rnn_recurrence
from .rnn import ENGINES, READOUTS, VanillaRNN, initial_weights

__all__ = [
    "ENGINES",
    "NONLINEARITIES",
    "READOUTS",
    "EnsembleRNN",
    "VanillaRNN",
    "batched_linear",
    "class_major_linear",
    "clip_grad_norm_per_model_",
    "ensemble_recurrence",
    "initial_weights",
    "naive_recurrence",
    "rnn_recurrence",
    "tune_cpu_allocator",
]

"""Training recurrent models with the paper's protocol: one loop for single runs, ensembles and sweeps.

- :mod:`~nnrnn_edu.training.config` - :class:`TrainConfig` (everything that defines a run) and
  :func:`preset` (the paper's protocol per task at each tier: quick, cpu, full);
- :mod:`~nnrnn_edu.training.stream` - a run's data stream, validation set and schedule;
- :mod:`~nnrnn_edu.training.optim` - per-model RMSprop and gradient clipping for stacked ensembles;
- :mod:`~nnrnn_edu.training.trainees` - what the loop trains: one model, a stacked vanilla
  ensemble, or a list of other models;
- :mod:`~nnrnn_edu.training.loop` - THE training loop (:func:`train`, :func:`train_ensemble`);
- :mod:`~nnrnn_edu.training.records` - result files, weights, checkpoints, provenance, :func:`load_model`;
- :mod:`~nnrnn_edu.training.sweep` - the paper's grids, shards, grouping runs into ensembles,
  :func:`run_sweep`;
- :mod:`~nnrnn_edu.training.summary` - merging result files into Figure 3's tables.

See chapter 3.
"""

from .config import TrainConfig, check_config, preset
from .loop import train, train_ensemble
from .records import STATUSES, is_finished, load_model, write_json_atomic
from .identity import result_tier
from .summary import blown_up, load_results, summarize, summary_table
from .sweep import grid, run_sweep

__all__ = [
    "STATUSES",
    "TrainConfig",
    "blown_up",
    "check_config",
    "grid",
    "is_finished",
    "load_model",
    "load_results",
    "preset",
    "result_tier",
    "run_sweep",
    "summarize",
    "summary_table",
    "train",
    "train_ensemble",
    "write_json_atomic",
]

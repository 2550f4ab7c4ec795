"""nnrnn_edu: memory in recurrent networks with non-normal dynamics.

The library behind the interactive book. One concern per module; numerics
apart from orchestration, orchestration apart from drawing:

Set-up and checks
    - :mod:`nnrnn_edu.config` - tiers and quick mode (their one reader), data and results directories,
      devices, seeds, the environment report of every chapter's setup cell
    - :mod:`nnrnn_edu._validate` - input checks that raise a ValueError naming the argument
    - :mod:`nnrnn_edu.nonlinearities` - the one table of non-linearities (numpy versions)

Linear theory (chapters 1-2; numerics only, literal defaults, no torch)
    - :mod:`nnrnn_edu.connectivity` - the four initialisers and input matrices, exact spectra, Henrici index
    - :mod:`nnrnn_edu.memory` - Fisher memory curves, total Fisher memory, noise covariance
    - :mod:`nnrnn_edu._sqrt_cov` - (private) square-root doubling: a triangular factor of the noise covariance
    - :mod:`nnrnn_edu.decoding` - package: ``simulation`` (driven networks, lagged targets),
      ``readout`` (ridge decoders, held-out and leave-one-out R^2), ``monte_carlo`` (decoding curves
      from simulated sequences), ``exact`` (population R^2 of linear networks, the non-linear chain's); ``_checks`` (their argument checks)

What trained networks became (chapter 4; numerics only)
    - :mod:`nnrnn_edu.analysis` - package: ``henrici`` (Henrici index of many networks),
      ``hidden_chains`` (pulse responses, peak-time order, weight profiles),
      ``pseudospectra`` (pseudospectra, their radius, the explorer's data), ``singular_values``
      (sigma_min(zI - W) on a grid of shifts), ``shifted_solves`` (its structured solves with zI - W)

Tasks and data
    - :mod:`nnrnn_edu.tasks` - copy, addition, psMNIST: generators, losses, baselines
    - :mod:`nnrnn_edu.data` - MNIST download/cache/checksums, psDigits, pixel permutations

Models (package :mod:`nnrnn_edu.models`)
    - ``base`` - the interface every recurrent model implements (:class:`~nnrnn_edu.models.RecurrentModel`)
    - ``rnn``, ``recurrence``, ``readout`` - the paper's vanilla RNN on a hand-written BPTT engine
    - ``ensemble`` - K stacked vanilla RNNs for sweeps
    - ``torch_models`` - ``torch.nn.RNN`` and ``torch.nn.LSTM`` with the paper's initialisers
    - ``registry`` - the models by name (``--model``)
    - ``allocator`` - glibc allocator tuning for the CPU

Training (package :mod:`nnrnn_edu.training`)
    - ``config`` - :class:`~nnrnn_edu.training.TrainConfig` and the paper's protocol per task
    - ``stream`` - a run's data stream and schedule
    - ``optim`` - per-model RMSprop and clipping for stacked ensembles
    - ``trainees`` - what the loop trains (one model, a stacked ensemble, a list of models)
    - ``loop`` - THE training loop
    - ``identity`` - what a run is (its identity, its protocol, its directory)
    - ``records`` - result files, weights, checkpoints, provenance, locks, ``load_model``
    - ``sweep`` - the paper's grids, shards, ensembles; ``summary`` - Figure 3's tables

Chapters (package :mod:`nnrnn_edu.chapters`, one module per chapter)
    - ``ch01``, ``ch02``, ``ch03``, ``ch04`` - each chapter's presets, explorer data, tables
    - ``results`` - "committed results, else train now", written once for chapters 3 and 4

Presentation
    - :mod:`nnrnn_edu.plotting` - package: ``style``, ``legibility`` (is a figure readable on the page?)
      and one module per chapter; ``plot_*`` only draw
    - :mod:`nnrnn_edu.widgets` - thin ipywidgets explorers over tested compute + draw callbacks
    - :mod:`nnrnn_edu.exercises` - the chapters' exercises: ``check(exercise_id, answer)``, answers
      computed by the library when checked, hints for the usual mistakes
    - :mod:`nnrnn_edu.cli` - ``python -m nnrnn_edu train|sweep|summarize``

Importing the package does no work and imports neither torch nor matplotlib.
"""

__version__ = "0.1.0"

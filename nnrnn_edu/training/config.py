"""What defines one training run (:class:`TrainConfig`) and the paper's protocol per task (:func:`preset`).

The defaults are the authors' (``eminorhan/nonnormal-init/train.py``): RMSprop
with rho = 0.9 and eps = 1e-7 (Keras 2.2.4 defaults, not torch's), global
gradient-norm clipping at 10, batch 16, validation once per "epoch" of 60 000
sequences, early stop once the validation loss falls below 0.0025, at most 100
epochs. :func:`preset` gives the protocol at each tier (quick, cpu, full; :mod:`nnrnn_edu.config`); the
chapters' own smaller grids live in :mod:`nnrnn_edu.chapters`. See chapter 3.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import config as _config
from .. import data as _data
from .. import tasks as _tasks
from ..connectivity import KINDS
from ..models.registry import DEFAULT_MODEL, ENGINES, MODELS, model_nonlinearities

@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run (saved in its result file).

    Attributes
    ----------
    task : {"copy", "addition", "psmnist"}
    model : str
        Which recurrent model (:data:`nnrnn_edu.models.MODELS`): ``"vanilla"`` (the paper's RNN on the
        hand-written BPTT engine, default), ``"torch-rnn"`` (``torch.nn.RNN``, tanh or relu) or ``"lstm"``
        (``torch.nn.LSTM``). Result files written before this field existed are read as ``"vanilla"``.
    seq_len : int or None
        T for copy/addition (None: 500 / 750); ignored for psMNIST (T = 784, or 64 for psDigits).
    hidden_size : int or None
        N (None: the paper's, 100 / 100 / 25).
    nonlinearity : str or None
        None: the model's default (vanilla: the paper's elu / relu / elu; torch-rnn: tanh; lstm: its
        fixed gates, and nothing else is accepted).
    init : {"chain", "fbchain", "identity", "orthogonal"}
    init_scale : float or None
        alpha / beta / lambda (None: the kind's default).
    lr : float
        RMSprop learning rate.
    rho, eps : float
        RMSprop smoothing constant and epsilon (Keras: 0.9, 1e-7).
    clip_norm : float or None
        Global gradient-norm clip (None: off).
    batch_size : int
    train_set : {"stream", "fixed"}
        Copy and addition: fresh sequences for every batch (``"stream"``, the default), or the authors'
        protocol (``"fixed"``): one set of ``epoch_size`` sequences, visited in a new order every epoch.
        Results written before this field existed are read as ``"stream"``, what they did.
    epoch_size : int or None
        Sequences per epoch (None: 60 000 for copy/addition, the training set for psMNIST).
    max_epochs : float or None
        Budget in epochs (the run stops at whichever budget is hit first).
    max_updates : int or None
        Budget in parameter updates.
    eval_every : int or None
        Updates between validations and checkpoints (None: once per epoch).
    val_size : int
        Fixed validation sequences for copy/addition (psMNIST uses the test split).
    eval_batch_size : int
    early_stop_loss : float or None
        Stop once the validation loss is below this (None: never).
    seed : int
        Seeds the initial weights and the training data stream.
    val_seed : int
        Seed of the validation set.
    permutation_seed : int
        Seed of the psMNIST pixel permutation.
    data_source : {"auto", "mnist", "fashion", "digits"}
        psMNIST source (see :func:`nnrnn_edu.data.psmnist`).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    engine : {"fast", "naive"}
    check_every : int
        Updates between divergence checks (each is a host synchronisation).
    threads : int or None
        torch CPU threads for the run (restored afterwards); None leaves torch's setting. The
        default, one, is what makes results reproducible bit for bit whatever the grouping: on
        one thread a member of an ensemble computes exactly what the run computes alone (tested
        for K = 1, 2, 3, 5, 8); with more, MKL splits the large readout GEMMs across threads
        differently for different K, and results differ in the last bits (which training can
        amplify). At batch 16 one thread is about as fast as two; use the second core for a second
        process (a second shard). The provenance of every result records the threads.

    See chapter 3.
    """

    task: str = "copy"
    model: str = "vanilla"
    seq_len: int | None = None
    hidden_size: int | None = None
    nonlinearity: str | None = None
    init: str = "chain"
    init_scale: float | None = 1.0
    lr: float = 1e-4
    rho: float = 0.9
    eps: float = 1e-7
    clip_norm: float | None = 10.0
    batch_size: int = 16
    train_set: str = "stream"
    epoch_size: int | None = None
    max_epochs: float | None = 100.0
    max_updates: int | None = None
    eval_every: int | None = None
    val_size: int = 10_000
    eval_batch_size: int = 1000
    early_stop_loss: float | None = 0.0025
    seed: int = 1
    val_seed: int = _tasks.VALIDATION_SEED
    permutation_seed: int = 1
    data_source: str = "auto"
    device: str = "auto"
    engine: str = "fast"
    check_every: int = 50
    threads: int | None = 1

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    def run_name(self) -> str:
        """File stem of this run, like the authors' ``<task>_<init>_<scale>_<lr>_<seed>``.

        Models other than the vanilla RNN put their name after the task
        (``copy_lstm_chain_1.02_0.001_1``), so runs of different models never share a file.
        """
        model = "" if self.model == DEFAULT_MODEL else f"{self.model}_"
        return f"{self.task}_{model}{self.init}_{self.init_scale}_{self.lr:g}_{self.seed}"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrainConfig":
        """The configuration stored in a result file or checkpoint, migrated to this version.

        Fields added since a file was written take their defaults (``model``: ``"vanilla"``, the only
        model earlier versions trained), so that old results stay finished and loadable.

        Parameters
        ----------
        d : mapping
            ``TrainConfig.to_dict()`` of any library version.

        Returns
        -------
        TrainConfig

        Raises
        ------
        ValueError
            If ``d`` is not a mapping or holds fields this version does not know.
        """
        if not isinstance(d, Mapping):
            raise ValueError(f"d must be a mapping of TrainConfig fields, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"d has fields this version of TrainConfig does not know: {unknown}")
        return cls(**dict(d))


TRAIN_SETS = ("stream", "fixed")
"""How copy and addition batches are drawn (see ``TrainConfig.train_set``)."""

_PAPER = {"copy": dict(train_set="fixed"), "addition": dict(train_set="fixed"), "psmnist": {}}
"""What the paper's protocol sets beyond the field defaults: the authors' fixed training set of 60 000."""

_QUICK = {
    "copy": dict(seq_len=60, max_updates=400, eval_every=100, val_size=256),
    "addition": dict(seq_len=60, max_updates=400, eval_every=100, val_size=256),
    "psmnist": dict(max_updates=400, eval_every=100, data_source="digits"),
}


CPU_BUDGET: dict[str, dict[str, int]] = {
    "copy": dict(max_updates=20_000, eval_every=1_000, val_size=2_000),
    "addition": dict(max_updates=20_000, eval_every=1_000, val_size=2_000),
    "psmnist": dict(max_updates=20_000, eval_every=1_000),
}
"""The cpu tier's budget beyond the paper's protocol: 20 000 updates (the paper allows 375 000),
validation every 1 000 updates on 2 000 held-out sequences (the paper: once per epoch of 3 750
updates, on 10 000; psMNIST validates on its test split as in the paper). The pilot behind it
(copy, T = 500: nothing crossed the success line within 6 000 updates; the authors' README
setting crosses at about 16 000) is in chapter 3."""


def resolve_tier(quick: bool | None = None, tier: str | None = None) -> str:
    """The tier asked for by the two ways of asking: ``quick`` (the older flag) and ``tier``.

    Parameters
    ----------
    quick : bool or None
        True: quick; False: full (the paper's protocol, what ``quick=False`` always meant).
    tier : str or None
        One of :data:`nnrnn_edu.config.TIERS`.

    Returns
    -------
    str
        With both None, :func:`nnrnn_edu.config.tier` (the environment's).

    Raises
    ------
    ValueError
        If ``tier`` is not a tier, or ``quick`` and ``tier`` disagree.
    """
    if tier is not None:
        _config.check_tier(tier)
        if quick is not None and (tier == "quick") != bool(quick):
            raise ValueError(f"quick={quick!r} and tier={tier!r} disagree; give one of them")
        return tier
    if quick is None:
        return _config.tier()
    return "quick" if quick else "full"


def preset(task: str, quick: bool | None = None, *, tier: str | None = None, **overrides: Any) -> TrainConfig:
    """The paper's protocol for a task at one tier.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist"}
    quick : bool or None
        Shorthand: True is the quick tier, False the full one (see :func:`resolve_tier`).
    tier : {"quick", "cpu", "full"} or None
        None (and ``quick`` None) follows :func:`nnrnn_edu.config.tier`.

        - quick: T = 60, 400 updates, fresh sequences, psDigits for psMNIST; trends, not the
          paper's numbers.
        - cpu: the paper's protocol with :data:`CPU_BUDGET` (20 000 updates).
        - full: the paper's protocol, with the authors' fixed training set for copy and
          addition (``train_set="fixed"``) and up to 100 epochs.
    **overrides
        Any :class:`TrainConfig` field.

    Returns
    -------
    TrainConfig

    See chapter 3.
    """
    if task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {task!r}")
    t = resolve_tier(quick, tier)
    base = dict(task=task, **(_QUICK[task] if t == "quick" else _PAPER[task]))
    if t == "cpu":
        base.update(CPU_BUDGET[task])
    base.update(overrides)
    return TrainConfig(**base)


def check_config(cfg: TrainConfig) -> TrainConfig:
    """Validate every field of a run's configuration (a ValueError naming the field).

    Parameters
    ----------
    cfg : TrainConfig

    Returns
    -------
    TrainConfig
        ``cfg`` itself.
    """
    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    if cfg.task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {cfg.task!r}")
    for name in ("batch_size", "val_size", "eval_batch_size", "check_every"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    for name in ("seq_len", "hidden_size", "epoch_size", "max_updates", "eval_every", "threads"):
        v = getattr(cfg, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be None or a positive integer, got {v!r}")
    for name in ("lr", "eps"):
        v = getattr(cfg, name)
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if not (isinstance(cfg.rho, (int, float)) and 0 <= cfg.rho < 1):
        raise ValueError(f"rho must be in [0, 1), got {cfg.rho!r}")
    if cfg.clip_norm is not None and not (
        isinstance(cfg.clip_norm, (int, float)) and math.isfinite(cfg.clip_norm) and cfg.clip_norm > 0
    ):
        raise ValueError(f"clip_norm must be None or positive, got {cfg.clip_norm!r}")
    if cfg.max_epochs is not None and not (
        isinstance(cfg.max_epochs, (int, float)) and math.isfinite(cfg.max_epochs) and cfg.max_epochs > 0
    ):
        raise ValueError(f"max_epochs must be None or a finite positive number, got {cfg.max_epochs!r}")
    if cfg.max_epochs is None and cfg.max_updates is None:
        raise ValueError("max_epochs and max_updates are both None: give the run a budget")
    if cfg.model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {cfg.model!r}")
    if cfg.nonlinearity is not None:
        allowed = model_nonlinearities(cfg.model)
        if cfg.nonlinearity not in allowed:
            raise ValueError(f"nonlinearity must be None or one of {allowed} for model {cfg.model!r}, "
                             f"got {cfg.nonlinearity!r}")
    if cfg.engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {cfg.engine!r}")
    if cfg.train_set not in TRAIN_SETS:
        raise ValueError(f"train_set must be one of {TRAIN_SETS}, got {cfg.train_set!r}")
    if cfg.data_source not in _data.SOURCES:
        raise ValueError(f"data_source must be one of {_data.SOURCES}, got {cfg.data_source!r}")
    if cfg.init not in KINDS:
        raise ValueError(f"init must be one of {KINDS}, got {cfg.init!r}")
    for name in ("seed", "val_seed", "permutation_seed"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    return cfg


__all__ = ["CPU_BUDGET", "TRAIN_SETS", "TrainConfig", "check_config", "preset", "resolve_tier"]

"""The copy and addition benchmarks of Orhan & Pitkow (2020), generated on the fly.

The original code materialised 60 000 training sequences once (4.6 GB of
one-hot arrays for the copy task). Here every batch is drawn fresh from an
explicit ``torch.Generator``, so memory stays at one batch and a run is
reproducible from its seed alone. Validation sets are fixed: they are drawn
from their own seed (:data:`VALIDATION_SEED` unless told otherwise), never from
the training stream.

Layouts (paper section 2.3.1, checked against the authors' ``generate_data.py``):

- **copy**, length T: 10 symbols from 1..8, T-21 blanks (0), the cue 9 at
  index T-11, 10 blanks. The target is T-10 zeros followed by the 10 symbols;
  cross-entropy over 9 classes at *every* step.
- **addition**, length T: two channels ``[mask, signal]``; ``signal ~ U[0, 1)``,
  one marker in each half. The target is the sum of the two marked numbers;
  squared error on the *last* step only.
- **psmnist**: see :mod:`nnrnn_edu.data`.

:func:`baseline_loss` gives the loss of the best *memoryless* model, the yard
stick of the paper's success criterion (validation loss below 50 % of it).
See chapter 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._validate import positive_int

TASKS = ("copy", "addition", "psmnist")
"""Task names accepted throughout the library (``"psdigits"`` is accepted as psMNIST's stand-in)."""

COPY_SYMBOLS = 8
"""Number of distinct symbols to copy (values 1..8)."""
COPY_LENGTH = 10
"""Number of symbols to copy."""
COPY_INPUTS = 10
"""One-hot input size of the copy task: blank 0, symbols 1..8, cue 9."""
COPY_CLASSES = 9
"""Output classes of the copy task: blank 0 and symbols 1..8."""
COPY_CUE = 9

VALIDATION_SEED = 20200426
"""Default seed of the fixed validation sets (independent of every training seed)."""

SUCCESS_FRACTION = 0.5
"""A run succeeds when its validation loss falls below this fraction of :func:`baseline_loss`."""


@dataclass(frozen=True)
class TaskSpec:
    """Shapes and conventions of one task.

    Attributes
    ----------
    name : str
        ``"copy"``, ``"addition"`` or ``"psmnist"``.
    seq_len : int
        Default sequence length T (paper: 500, 750, 784).
    input_size, output_size : int
        Input channels d and readout size.
    readout : {"all", "last"}
        Readout at every step (copy) or at the last step only.
    loss : {"cross_entropy", "mse"}
        Loss on the readout.
    nonlinearity : str
        The paper's hidden nonlinearity for the task.
    hidden_size : int
        The paper's N for the task.

    See chapter 3.
    """

    name: str
    seq_len: int
    input_size: int
    output_size: int
    readout: str
    loss: str
    nonlinearity: str
    hidden_size: int


_SPECS = {
    "copy": TaskSpec("copy", 500, COPY_INPUTS, COPY_CLASSES, "all", "cross_entropy", "elu", 100),
    "addition": TaskSpec("addition", 750, 2, 1, "last", "mse", "relu", 100),
    "psmnist": TaskSpec("psmnist", 784, 1, 10, "last", "cross_entropy", "elu", 25),
    "psdigits": TaskSpec("psdigits", 64, 1, 10, "last", "cross_entropy", "elu", 25),
}


def task_spec(task: str) -> TaskSpec:
    """The :class:`TaskSpec` of a task.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist", "psdigits"}

    Returns
    -------
    TaskSpec

    See chapter 3.
    """
    if task not in _SPECS:
        raise ValueError(f"task must be one of {TASKS + ('psdigits',)}, got {task!r}")
    return _SPECS[task]


# --------------------------------------------------------------------------- generators


def make_generator(seed: object, name: str = "generator") -> torch.Generator:
    """A CPU ``torch.Generator`` from a non-negative int seed, an existing generator, or None.

    ``None`` seeds from the operating system (not reproducible).

    See chapter 3.
    """
    if isinstance(seed, torch.Generator):
        return seed
    g = torch.Generator()
    if seed is None:
        g.seed()
        return g
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{name} must be None, a non-negative integer or a torch.Generator, got {seed!r}")
    g.manual_seed(int(seed))
    return g


def copy_task(
    batch_size: int,
    seq_len: int = 500,
    generator: "torch.Generator | int | None" = None,
    *,
    device: "str | torch.device | None" = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch of the copy task.

    Parameters
    ----------
    batch_size : int
        Number of sequences B.
    seq_len : int
        Total length T >= 21 (10 symbols + T-21 blanks + cue + 10 blanks).
    generator : torch.Generator, int or None
        Source of randomness (a CPU generator, or a seed for a fresh one).
    device : str, torch.device or None
        Where the returned tensors live (generated on the CPU, then moved).

    Returns
    -------
    inputs : Tensor, shape (B, T, 10), float32
        One-hot symbols: 0 blank, 1..8 symbols, 9 cue (at index T-11).
    targets : Tensor, shape (B, T), int64
        T-10 zeros, then the 10 symbols (classes 0..8).

    See chapter 3.
    """
    batch_size = positive_int(batch_size, "batch_size")
    seq_len = positive_int(seq_len, "seq_len")
    if seq_len < 2 * COPY_LENGTH + 1:
        raise ValueError(f"seq_len must be at least {2 * COPY_LENGTH + 1} for the copy task, got {seq_len}")
    g = make_generator(generator)
    symbols = torch.randint(1, COPY_SYMBOLS + 1, (batch_size, COPY_LENGTH), generator=g)
    seq = torch.zeros(batch_size, seq_len, dtype=torch.long)
    seq[:, :COPY_LENGTH] = symbols
    seq[:, seq_len - COPY_LENGTH - 1] = COPY_CUE
    inputs = torch.nn.functional.one_hot(seq, COPY_INPUTS).to(torch.float32)
    targets = torch.zeros(batch_size, seq_len, dtype=torch.long)
    targets[:, seq_len - COPY_LENGTH :] = symbols
    if device is not None:
        inputs, targets = inputs.to(device), targets.to(device)
    return inputs, targets


def addition_task(
    batch_size: int,
    seq_len: int = 750,
    generator: "torch.Generator | int | None" = None,
    *,
    device: "str | torch.device | None" = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch of the addition task.

    Parameters
    ----------
    batch_size : int
        Number of sequences B.
    seq_len : int
        Length T >= 2. The first marker is uniform on ``[0, T//2)``, the second
        on ``[T//2, T)`` (as in the authors' code).
    generator : torch.Generator, int or None
        Source of randomness.
    device : str, torch.device or None
        Where the returned tensors live.

    Returns
    -------
    inputs : Tensor, shape (B, T, 2), float32
        Channel 0 the mask (two ones), channel 1 the signal ``~ U[0, 1)``.
    targets : Tensor, shape (B,), float32
        Sum of the two marked signal values.

    See chapter 3.
    """
    batch_size = positive_int(batch_size, "batch_size")
    seq_len = positive_int(seq_len, "seq_len")
    if seq_len < 2:
        raise ValueError(f"seq_len must be at least 2 for the addition task, got {seq_len}")
    g = make_generator(generator)
    signal = torch.rand(batch_size, seq_len, generator=g)
    half = seq_len // 2
    first = torch.randint(0, half, (batch_size,), generator=g)
    second = torch.randint(half, seq_len, (batch_size,), generator=g)
    rows = torch.arange(batch_size)
    mask = torch.zeros(batch_size, seq_len)
    mask[rows, first] = 1.0
    mask[rows, second] = 1.0
    inputs = torch.stack([mask, signal], dim=-1)
    targets = signal[rows, first] + signal[rows, second]
    if device is not None:
        inputs, targets = inputs.to(device), targets.to(device)
    return inputs, targets


def sample_batch(
    task: str,
    batch_size: int,
    seq_len: int | None = None,
    generator: "torch.Generator | int | None" = None,
    *,
    device: "str | torch.device | None" = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of ``"copy"`` or ``"addition"`` by name (psMNIST batches come from :mod:`nnrnn_edu.data`).

    Returns
    -------
    inputs, targets : Tensor
        As :func:`copy_task` / :func:`addition_task`.

    See chapter 3.
    """
    if task == "copy":
        return copy_task(batch_size, seq_len or 500, generator, device=device)
    if task == "addition":
        return addition_task(batch_size, seq_len or 750, generator, device=device)
    raise ValueError(f"task must be 'copy' or 'addition' for a synthetic batch, got {task!r}")


def validation_set(
    task: str,
    size: int,
    seq_len: int | None = None,
    seed: int = VALIDATION_SEED,
    *,
    device: "str | torch.device | None" = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed validation set of ``size`` sequences, drawn from its own seed.

    Parameters
    ----------
    task : {"copy", "addition"}
    size : int
        Number of sequences (the paper validated on 10 000).
    seq_len : int or None
        Sequence length (None: the task's default).
    seed : int
        Seed of the validation stream; the same seed gives the same set.

    Returns
    -------
    inputs, targets : Tensor
        As :func:`copy_task` / :func:`addition_task` with ``batch_size = size``.

    See chapter 3.
    """
    size = positive_int(size, "size")
    return sample_batch(task, size, seq_len, make_generator(seed, "seed"), device=device)


# --------------------------------------------------------------------------- losses


def task_loss(task: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The task's training loss (mean over batch, and over steps for copy).

    Parameters
    ----------
    task : {"copy", "addition", "psmnist", "psdigits"}
    outputs : Tensor
        Copy: logits ``(B, T, 9)``; addition: ``(B, 1)`` or ``(B,)``;
        psMNIST: logits ``(B, 10)``. A leading ensemble axis ``K`` is allowed
        (``(K, B, ...)``), in which case the result has shape ``(K,)``.
    targets : Tensor
        Copy ``(B, T)`` int64; addition ``(B,)`` float; psMNIST ``(B,)`` int64.

    Returns
    -------
    Tensor
        Scalar, or shape ``(K,)`` for an ensemble.

    See chapter 3.
    """
    spec = task_spec(task)
    # A single model's loss is computed as member 0 of an ensemble of one: the same reductions in the
    # same order, so that a model alone and inside an ensemble of any size get bitwise the same loss.
    if spec.loss == "mse":
        out = outputs[..., 0] if outputs.shape[-1:] == (1,) and outputs.dim() > targets.dim() else outputs
        if out.shape[-targets.dim() :] != targets.shape or out.dim() > targets.dim() + 1:
            raise ValueError(f"outputs of shape {tuple(outputs.shape)} do not match targets {tuple(targets.shape)}")
        ensemble = out.dim() == targets.dim() + 1
        per_model = ((out if ensemble else out.unsqueeze(0)) - targets).square().flatten(1).mean(1)
        return per_model if ensemble else per_model[0]
    # cross-entropy over the class axis (last)
    n_cls = outputs.shape[-1]
    lead = outputs.shape[:-1]
    if lead == targets.shape:
        ensemble = False
    elif lead[1:] == targets.shape:  # ensemble: (K, *targets.shape, C)
        ensemble = True
    else:
        raise ValueError(f"outputs of shape {tuple(outputs.shape)} do not match targets {tuple(targets.shape)}")
    out = outputs if ensemble else outputs.unsqueeze(0)  # (K, *targets.shape, C)
    tgt = targets.expand(out.shape[:-1])
    if out.stride(-1) != 1:
        # class-major logits (the copy readout: a view of (K, C, T, B) memory): cross-entropy with the
        # class axis second and the other axes in memory order, so nothing is copied and the
        # log-softmax runs along long contiguous rows
        inp = out.movedim(-1, 1)
        order = sorted(range(2, inp.dim()), key=lambda d: -inp.stride(d))
        per_item = F.cross_entropy(inp.permute(0, 1, *order), tgt.permute(0, *[d - 1 for d in order]), reduction="none")
        per_model = per_item.flatten(1).mean(1)
    else:
        flat = F.cross_entropy(out.reshape(-1, n_cls), tgt.reshape(-1), reduction="none")
        per_model = flat.view(out.shape[0], -1).mean(1)
    return per_model if ensemble else per_model[0]


def baseline_loss(task: str, seq_len: int | None = None) -> float:
    """Loss of the best memoryless model, which defines success.

    - copy: ``10 ln 8 / T`` nats per step (certain blanks, uniform guesses in the
      last 10 steps);
    - addition: ``1/6``, the MSE of always predicting 1 (``Var(U1 + U2)``);
    - psmnist (and psdigits): ``ln 10``, a uniform guess over the classes.

    Parameters
    ----------
    task : {"copy", "addition", "psmnist", "psdigits"}
    seq_len : int or None
        T (only the copy baseline depends on it; None: the task's default).

    Returns
    -------
    float

    See chapter 3.
    """
    spec = task_spec(task)
    T = spec.seq_len if seq_len is None else positive_int(seq_len, "seq_len")
    if task == "copy":
        if T < 2 * COPY_LENGTH + 1:
            raise ValueError(f"seq_len must be at least {2 * COPY_LENGTH + 1} for the copy task, got {T}")
        return COPY_LENGTH * math.log(COPY_SYMBOLS) / T
    if task == "addition":
        return 1.0 / 6.0
    return math.log(10.0)


def success_threshold(task: str, seq_len: int | None = None) -> float:
    """Validation loss below which a run counts as a success: 50 % of :func:`baseline_loss`.

    See chapter 3.
    """
    return SUCCESS_FRACTION * baseline_loss(task, seq_len)


__all__ = [
    "COPY_CLASSES",
    "COPY_INPUTS",
    "SUCCESS_FRACTION",
    "TASKS",
    "VALIDATION_SEED",
    "TaskSpec",
    "addition_task",
    "baseline_loss",
    "copy_task",
    "make_generator",
    "sample_batch",
    "success_threshold",
    "task_loss",
    "task_spec",
    "validation_set",
]

"""Run-time configuration: the scale tier, seeds, devices, data and results directories.

Every experiment of the book comes at one of three scales, the *tiers* (:data:`TIERS`), named the
same everywhere (README, setup output, figure captions, result files):

- **quick**: CI and nbval; minutes on two CPU cores; short sequences (T = 60, psDigits) and a few
  hundred updates. A smoke run: it shows trends, not the paper's numbers.
- **cpu**: the paper's task lengths, network sizes, batch and optimiser with a reduced grid and
  update budget; hours on two CPU cores; its results are committed under ``results/cpu/`` and the
  chapters plot them.
- **full**: the paper's grid and budget; a GPU. Nothing of this tier has been run for the book; its
  results appear when someone runs it.

This is the only module that reads the ``NNRNN_EDU_TIER`` and ``NNRNN_EDU_QUICK`` environment
variables (:func:`tier`). Notebooks never branch on them themselves: they ask their chapter module
for its preset (e.g. :func:`nnrnn_edu.chapters.ch01.fisher_memory_preset`), which asks
:func:`tier` or :func:`quick_mode`. ``make test`` sets ``NNRNN_EDU_QUICK=1`` (the quick tier);
``make book`` builds the cpu tier.
"""

from __future__ import annotations

import os
import platform
import random

import numpy as np

from . import __version__

QUICK_ENV_VAR = "NNRNN_EDU_QUICK"
TIER_ENV_VAR = "NNRNN_EDU_TIER"
DATA_DIR_ENV_VAR = "NNRNN_EDU_DATA"
RESULTS_DIR_ENV_VAR = "NNRNN_EDU_RESULTS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


TIERS: tuple[str, ...] = ("quick", "cpu", "full")
"""The three scales of every experiment, smallest first (see the module docstring)."""

DEFAULT_TIER = "cpu"
"""The tier when neither ``NNRNN_EDU_TIER`` nor ``NNRNN_EDU_QUICK`` says otherwise: what ``make book`` shows."""

TIER_DESCRIPTIONS: dict[str, str] = {
    "quick": "quick tier: a smoke run (short sequences, a few hundred updates) that shows trends, "
             "not the paper's numbers",
    "cpu": "cpu tier: the paper's task lengths, sizes and optimiser with a reduced grid and budget; "
           "results committed under results/cpu",
    "full": "full tier: the paper's grid and budget (a GPU)",
}
"""One line per tier, as the setup cells and captions print it."""


def check_tier(value: str) -> str:
    """``value`` if it names a tier, else a ValueError naming the argument.

    Parameters
    ----------
    value : str
        One of :data:`TIERS`.

    Returns
    -------
    str
    """
    if value not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {value!r}")
    return value


def tier() -> str:
    """The tier this process runs at: ``"quick"``, ``"cpu"`` or ``"full"``.

    ``NNRNN_EDU_QUICK=1`` (or ``true``/``yes``/``on``) means quick, as it always has; otherwise
    ``NNRNN_EDU_TIER`` names the tier; with neither set it is :data:`DEFAULT_TIER` (cpu).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If a variable holds something not understood (a typo such as ``NNRNN_EDU_QUICK=ture``
        must not silently change the scale), or if the two contradict each other
        (``NNRNN_EDU_QUICK=1`` with ``NNRNN_EDU_TIER=full``).

    Every chapter's setup cell reports it (see chapter 1, "Setup").
    """
    raw = os.environ.get(QUICK_ENV_VAR, "").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ValueError(f"{QUICK_ENV_VAR}={raw!r} is not understood; use 1 (the quick tier) or 0 / unset.")
    named = os.environ.get(TIER_ENV_VAR, "").strip().lower()
    if named and named not in TIERS:
        raise ValueError(f"{TIER_ENV_VAR}={named!r} is not a tier; use one of {TIERS}.")
    if raw in _TRUE:
        if named and named != "quick":
            raise ValueError(f"{QUICK_ENV_VAR}={raw} asks for the quick tier but {TIER_ENV_VAR}={named}; unset one.")
        return "quick"
    return named or DEFAULT_TIER


def quick_mode() -> bool:
    """Whether this process runs at the quick tier (:func:`tier` is ``"quick"``).

    Returns
    -------
    bool
        ``True`` in quick mode (CI, nbval: ``NNRNN_EDU_QUICK=1``).

    Raises
    ------
    ValueError
        As :func:`tier`.
    """
    return tier() == "quick"


def data_dir() -> str:
    """Directory where downloaded data sets are cached.

    ``$NNRNN_EDU_DATA`` if set, else ``~/.cache/nnrnn_edu``. Nothing is created here.
    Used by the data loaders of chapter 3.
    """
    return os.environ.get(DATA_DIR_ENV_VAR) or os.path.join(
        os.path.expanduser("~"), ".cache", "nnrnn_edu"
    )


def results_dir() -> str:
    """Directory of training results (chapters 3 and 4 read and write here).

    ``$NNRNN_EDU_RESULTS`` if set; else the repository's ``results/`` when the
    package runs from a source checkout (``make lab``, nbval, ``pip install -e``),
    wherever the notebook's working directory is; else ``./results`` (e.g. on
    Colab after a wheel install). Nothing is created here.

    Returns
    -------
    str
        An absolute path.

    See chapter 3.
    """
    env = os.environ.get(RESULTS_DIR_ENV_VAR)
    if env:
        return os.path.abspath(os.path.expanduser(env))
    return committed_results_dir() or os.path.abspath("results")


def committed_results_dir() -> str | None:
    """The repository's ``results/`` (results committed with the code, e.g. the cpu tier's pilot) when the
    package runs from a source checkout, whatever ``NNRNN_EDU_RESULTS`` says; else None.

    Returns
    -------
    str or None
        An absolute path.

    See chapter 3.
    """
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(repo, "pyproject.toml")) and os.path.isdir(os.path.join(repo, "book")):
        return os.path.join(repo, "results")
    return None


def resolve_device(device: str = "auto") -> str:
    """Turn ``"auto"`` into ``"cuda"`` when a GPU is visible, else ``"cpu"``.

    Parameters
    ----------
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``.

    Returns
    -------
    str
        A device string that ``torch.device`` accepts.

    See chapter 3 (training on a GPU) and every chapter's setup cell.
    """
    import torch  # lazy: 1.1 s to import (-X importtime); the linear-theory chapters import config without it

    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but no CUDA GPU is visible to torch")
    if device != "cpu" and not device.startswith("cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}")
    return device


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch, and return a fresh NumPy generator.

    Library functions take explicit generators/seeds; this is for notebooks that
    want every global source of randomness pinned as well (chapter 3).
    """
    import torch  # lazy: see resolve_device

    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    return np.random.default_rng(int(seed))


def environment_report() -> str:
    """One line per fact: library, Python, torch and numpy versions, device, tier.

    Chapters print this in their setup cell so that every rendered output says
    how it was produced.
    """
    import torch  # lazy: see resolve_device

    t = tier()
    device = resolve_device("auto")
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else "none"
    lines = [
        f"nnrnn_edu {__version__} | Python {platform.python_version()} | "
        f"torch {torch.__version__} | numpy {np.__version__}",
        f"device: {device} (GPU: {gpu})",
        TIER_DESCRIPTIONS[t],
    ]
    return "\n".join(lines)


__all__ = [
    "DEFAULT_TIER",
    "QUICK_ENV_VAR",
    "TIERS",
    "TIER_DESCRIPTIONS",
    "TIER_ENV_VAR",
    "check_tier",
    "committed_results_dir",
    "data_dir",
    "environment_report",
    "quick_mode",
    "resolve_device",
    "seed_everything",
    "tier",
]

"""Run-time configuration: quick mode, seeds, devices, data and results directories.

This is the only module that reads the ``NNRNN_EDU_QUICK`` environment variable.
Notebooks never branch on it themselves: they ask their chapter module for its
preset (e.g. :func:`nnrnn_edu.chapters.ch01.fisher_memory_preset`), which asks
:func:`quick_mode` and hands back the full-scale or the quick version.
``make test`` sets ``NNRNN_EDU_QUICK=1`` so that every chapter runs in minutes
on two CPU cores; the same chapter without it is the real experiment.
"""

from __future__ import annotations

import os
import platform
import random

import numpy as np

from . import __version__

QUICK_ENV_VAR = "NNRNN_EDU_QUICK"
DATA_DIR_ENV_VAR = "NNRNN_EDU_DATA"
RESULTS_DIR_ENV_VAR = "NNRNN_EDU_RESULTS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def quick_mode() -> bool:
    """Whether quick mode is on (``NNRNN_EDU_QUICK`` is ``1``/``true``/``yes``/``on``).

    Returns
    -------
    bool
        ``True`` in quick mode (CI, nbval), ``False`` for full-scale runs.

    Raises
    ------
    ValueError
        If the variable holds something that is neither true nor false, so that
        a typo such as ``NNRNN_EDU_QUICK=ture`` is not silently a full run.

    Every chapter's setup cell reports it (see chapter 1, "Setup").
    """
    raw = os.environ.get(QUICK_ENV_VAR, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV_VAR}={raw!r} is not understood; use 1 (quick mode) or 0 / unset (full scale)."
    )


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
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(repo, "pyproject.toml")) and os.path.isdir(os.path.join(repo, "book")):
        return os.path.join(repo, "results")
    return os.path.abspath("results")


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
    """One line per fact: library, Python, torch and numpy versions, device, quick mode.

    Chapters print this in their setup cell so that every rendered output says
    how it was produced.
    """
    import torch  # lazy: see resolve_device

    quick = quick_mode()
    device = resolve_device("auto")
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else "none"
    lines = [
        f"nnrnn_edu {__version__} | Python {platform.python_version()} | "
        f"torch {torch.__version__} | numpy {np.__version__}",
        f"device: {device} (GPU: {gpu})",
        "quick mode: ON - reduced sizes for a fast run; results are qualitative"
        if quick
        else "quick mode: off - full-scale experiment",
    ]
    return "\n".join(lines)


__all__ = [
    "QUICK_ENV_VAR",
    "data_dir",
    "environment_report",
    "quick_mode",
    "resolve_device",
    "seed_everything",
]

"""Chapter 1 (Fisher memory of linear networks, paper Figure 1): its presets and the explorer's data.

The numerics are in :mod:`nnrnn_edu.memory` and :mod:`nnrnn_edu.connectivity`;
this module decides the sizes (:class:`FisherMemoryPreset`, full or quick via
:func:`fisher_memory_preset`) and computes what the chapter's explorer shows
(:func:`memory_explorer_data`). Importing it imports neither torch nor matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import config
from .._validate import finite_float, positive_int
from ..connectivity import henrici_index, memory_network, spectral_radius
from ..memory import IllConditionedError, curve_and_total, transient_amplification

# --------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class FisherMemoryPreset:
    """Sizes for chapter 1 (linear Fisher memory).

    Attributes
    ----------
    n : int
        Network size of the Figure 1 reproduction (the paper's N = 100).
    sizes : tuple of int
        Network sizes for the J_tot-versus-N plot.
    quick : bool
        Whether this is the quick preset.

    See chapter 1, "Setup".
    """

    n: int = 100
    sizes: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000)
    quick: bool = False


FISHER_MEMORY_PRESET = FisherMemoryPreset()
"""Full-scale chapter-1 sizes."""

FISHER_MEMORY_PRESET_QUICK = FisherMemoryPreset(sizes=(10, 20, 50, 100, 200, 400), quick=True)
"""Quick mode: the J_tot-versus-N plot stops at N = 400 instead of 1000; Figure 1 itself is unchanged."""


def fisher_memory_preset(quick: bool | None = None) -> FisherMemoryPreset:
    """The full or quick chapter-1 preset.

    Parameters
    ----------
    quick : bool or None
        Force the quick (``True``) or full (``False``) preset; ``None`` follows
        :func:`nnrnn_edu.config.quick_mode`.

    Returns
    -------
    FisherMemoryPreset

    See chapter 1, "Setup": chapters never read quick mode themselves, they ask for their preset.
    """
    if quick is None:
        quick = config.quick_mode()
    if not isinstance(quick, (bool, np.bool_)):
        raise ValueError(f"quick must be True, False or None, got {quick!r}")
    return FISHER_MEMORY_PRESET_QUICK if quick else FISHER_MEMORY_PRESET


# --------------------------------------------------------------------------- the explorer


class MemoryExplorerData(NamedTuple):
    """What chapter 1's explorer shows for one network (see :func:`memory_explorer_data`).

    Attributes
    ----------
    kind : str
        One of :data:`nnrnn_edu.connectivity.KINDS`.
    n : int
        Network size N.
    alpha, beta, lam : float
        Chain forward gain, chain feedback, scale of the normal networks (as passed).
    horizon : int or None
        ``None``: the stationary noise covariance; else the finite horizon T used
        because the spectral radius is >= 1.
    J : ndarray, shape (k_max,), or None
        Fisher memory curve J(k) (None if ``error``).
    J_tot : float
        Total Fisher memory (NaN if ``error``).
    amplification : ndarray, shape (k_max,), or None
        ``||W^k v||^2`` (None if ``error``).
    reference : ndarray, shape (k_max,)
        The chain at alpha = 1: ``1/(k+1)`` for k < N, then 0.
    spectral_radius : float
    henrici : float
        Henrici index ``d(W)``.
    error : str or None
        Why J(k) could not be computed (noise covariance beyond float64), else None.

    See chapter 1, section 5.
    """

    kind: str
    n: int
    alpha: float
    beta: float
    lam: float
    horizon: int | None
    J: np.ndarray | None
    J_tot: float
    amplification: np.ndarray | None
    reference: np.ndarray
    spectral_radius: float
    henrici: float
    error: str | None


def memory_explorer_data(
    kind: str = "chain",
    n: int = 100,
    alpha: float = 1.5,
    beta: float = 0.05,
    lam: float = 0.99,
    k_max: int | None = None,
    seed: int = 0,
) -> MemoryExplorerData:
    """J(k), J_tot and transient amplification of one network (chapter 1's explorer).

    The network is :func:`nnrnn_edu.connectivity.memory_network` (``alpha`` the
    forward gain of both chains, ``beta`` the feedback of ``"fbchain"``, ``lam`` the
    scale of the normal networks). A spectral radius >= 1 (except for the
    nilpotent chain) uses the finite horizon ``T = k_max``. One noise covariance
    serves J(k) and J_tot (:func:`nnrnn_edu.memory.curve_and_total`).

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int
        Network size N.
    alpha, beta : float
        Chain forward gain and feedback.
    lam : float
        Scale of the normal networks.
    k_max : int or None
        Number of lags (default ``2 N``).
    seed : int
        Seed of the random orthogonal matrix and of the normal networks' input vector.

    Returns
    -------
    MemoryExplorerData
        With ``error`` set (and ``J``, ``amplification`` None) when a slider reaches a
        network whose noise covariance is beyond float64; bad arguments raise ValueError.

    See chapter 1, section 5.
    """
    # all three checked, also those the kind ignores: the data records them (and the plot shows them)
    alpha, beta, lam = (finite_float(x, name) for x, name in ((alpha, "alpha"), (beta, "beta"), (lam, "lam")))
    W, v = memory_network(kind, n, alpha=alpha, beta=beta, lam=lam, seed=seed)
    k_max = 2 * n if k_max is None else positive_int(k_max, "k_max")
    rho = spectral_radius(W)
    horizon = None if (rho < 1.0 or kind == "chain") else k_max
    k = np.arange(k_max)
    reference = np.where(k < n, 1.0 / (k + 1.0), 0.0)  # the chain at alpha = 1
    henrici = henrici_index(W)
    try:
        J, jtot = curve_and_total(W, v, k_max, horizon=horizon, rho=rho)
    except IllConditionedError as exc:
        return MemoryExplorerData(kind, n, alpha, beta, lam, horizon, None, float("nan"), None, reference,
                                  rho, henrici, str(exc))
    amp = transient_amplification(W, v, k_max)
    return MemoryExplorerData(kind, n, alpha, beta, lam, horizon, J, jtot, amp, reference, rho, henrici, None)


__all__ = [
    "FISHER_MEMORY_PRESET",
    "FISHER_MEMORY_PRESET_QUICK",
    "FisherMemoryPreset",
    "MemoryExplorerData",
    "fisher_memory_preset",
    "memory_explorer_data",
]

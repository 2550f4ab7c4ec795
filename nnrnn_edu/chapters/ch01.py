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
from .. import _sqrt_cov
from .._validate import square_matrix
from ..memory import (
    IllConditionedError,
    curve_and_total,
    fisher_memory_curve,
    noise_covariance,
    total_fisher_memory,
    transient_amplification,
)

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
    pitfall_n : int
        Network size of the numerical-pitfall table (Kerg et al.'s N = 100; the
        60-digit reference takes ~5 s per network there).
    quick : bool
        Whether this is the quick preset.

    See chapter 1, "Setup".
    """

    n: int = 100
    sizes: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000, 2000)
    pitfall_n: int = 100
    quick: bool = False


FISHER_MEMORY_PRESET = FisherMemoryPreset()
"""Chapter-1 sizes of the cpu and full tiers (the linear theory needs no GPU: both are the paper's)."""

FISHER_MEMORY_PRESET_QUICK = FisherMemoryPreset(sizes=(10, 20, 50, 100, 200, 400), pitfall_n=40, quick=True)
"""Quick tier: the J_tot-versus-N plot stops at N = 400 instead of 2000 and the high-precision
check runs at N = 40; Figure 1 itself is unchanged."""


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

    See chapter 1, "Setup": chapters never read the tier themselves, they ask for their preset.
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


# --------------------------------------------------------------------------- the numerical pitfall

KERG_ET_AL_TOTALS = {
    (0.0, 1.05): 12.087, (0.0, 1.0): 5.187, (0.0, 0.95): 3.033,
    (0.2, 1.05): 20.33, (0.2, 1.0): 17.13, (0.2, 0.95): 11.94,
}
"""Kerg et al.'s printed totals, ``{(d, alpha): sum of J(k) over 150 lags}``, for
``W = d I + alpha (sub-diagonal)``, N = 100, v = e_1 (``figure1_nonnormal.ipynb``; C formed by
iterating ``C <- W C W^T + I`` and ``J(k)`` by ``np.linalg.solve``). Chapter 1, section 6."""

PITFALL_LAGS = 150
"""Kerg et al. sum J(k) over the first 150 lags."""


def kerg_network(n: int, d: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Kerg et al.'s network ``W = d I + alpha (sub-diagonal)`` with ``v = e_1``.

    Parameters
    ----------
    n : int
        Network size N.
    d, alpha : float
        Diagonal and chain gain.

    Returns
    -------
    W : ndarray, shape (n, n)
    v : ndarray, shape (n,)

    See chapter 1, section 6.
    """
    n = positive_int(n, "n")
    d, alpha = finite_float(d, "d"), finite_float(alpha, "alpha")
    W = d * np.eye(n) + np.diag(np.full(n - 1, alpha), -1)
    v = np.zeros(n)
    v[0] = 1.0
    return W, v


def formed_covariance_curve(W: np.ndarray, v: np.ndarray, k_max: int) -> np.ndarray:
    """J(k) the textbook way: form C in double precision, then ``np.linalg.solve(C, W^k v)``.

    This is Kerg et al.'s recipe (and ours before issue 15); its relative error grows like
    ``eps * cond(C)``. Shown in chapter 1, section 6, never used by the library.

    Parameters
    ----------
    W : array_like, shape (N, N)
        Recurrent matrix (spectral radius < 1 or nilpotent).
    v : array_like, shape (N,)
    k_max : int

    Returns
    -------
    ndarray, shape (k_max,)
    """
    W = square_matrix(W, "W")
    k_max = positive_int(k_max, "k_max")
    C = noise_covariance(W)
    U = np.empty((W.shape[0], k_max))
    u = np.asarray(v, dtype=float)
    for k in range(k_max):
        U[:, k] = u
        u = W @ u
    return np.sum(U * np.linalg.solve(C, U), axis=0)


def high_precision_curve(d: float, alpha: float, n: int, k_max: int, dps: int = 50) -> np.ndarray:
    """J(k) of :func:`kerg_network` in ``dps``-digit arithmetic (mpmath), rounded to float64.

    C solves ``C = W C W^T + I`` entry by entry (W is lower bidiagonal, so each entry
    needs three earlier ones: O(N^2), exact to ``dps`` digits), then a ``dps``-digit
    Cholesky factorisation and forward substitutions. About 5 s at N = 100, k_max = 150.

    Parameters
    ----------
    d, alpha : float
        As in :func:`kerg_network` (|d| < 1).
    n, k_max : int
        Network size and number of lags.
    dps : int
        Decimal digits (at least 30).

    Returns
    -------
    ndarray, shape (k_max,)

    See chapter 1, section 6.
    """
    import mpmath  # only here: the chapter's reference, not a dependency of the numerics

    n, k_max, dps = positive_int(n, "n"), positive_int(k_max, "k_max"), positive_int(dps, "dps")
    d, alpha = finite_float(d, "d"), finite_float(alpha, "alpha")
    if dps < 30:
        raise ValueError(f"dps must be at least 30, got {dps}")
    if not abs(d) < 1:
        raise ValueError(f"d must satisfy |d| < 1 (a stationary C), got {d}")
    with mpmath.workdps(dps):
        md, ma, one = mpmath.mpf(d), mpmath.mpf(alpha), mpmath.mpf(1)
        C = [[mpmath.mpf(0)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1):
                s = one if i == j else mpmath.mpf(0)
                if i > 0 and j > 0:
                    s += ma * ma * C[i - 1][j - 1]
                if i > 0:
                    s += ma * md * C[i - 1][j]
                if j > 0:
                    s += md * ma * C[i][j - 1]
                C[i][j] = C[j][i] = s / (1 - md * md)
        L = mpmath.cholesky(mpmath.matrix(C))
        Lrows = [[L[i, p] for p in range(i + 1)] for i in range(n)]
        u = [one] + [mpmath.mpf(0)] * (n - 1)
        J = np.empty(k_max)
        for k in range(k_max):
            y = []
            for i in range(n):
                row = Lrows[i]
                y.append((u[i] - mpmath.fsum(row[p] * y[p] for p in range(i))) / row[i])
            J[k] = float(mpmath.fsum(x * x for x in y))
            u = [md * u[0]] + [md * u[i] + ma * u[i - 1] for i in range(1, n)]
    return J


class PitfallRow(NamedTuple):
    """One network of the numerical-pitfall table (see :func:`numerical_pitfall_table`).

    Attributes
    ----------
    d, alpha : float
    kerg : float
        Kerg et al.'s printed value (their N = 100).
    formed : float
        Sum of J(k) over the lags with C formed and solved (NaN if C is numerically singular).
    ours : float
        Sum of J(k) from :func:`nnrnn_edu.memory.fisher_memory_curve`.
    high_precision : float
        The same sum from :func:`high_precision_curve`.
    ours_max_rel_error, formed_max_rel_error : float
        Largest relative error of J(k) over the lags (NaN where refused).
    cond_C : float
        Condition number of C scaled to unit diagonal, estimated as the square of its
        triangular factor's (rows scaled to unit length).
    ours_untruncated : float
        :func:`nnrnn_edu.memory.total_fisher_memory` (no truncation at 150 lags).
    """

    d: float
    alpha: float
    kerg: float
    formed: float
    ours: float
    high_precision: float
    ours_max_rel_error: float
    formed_max_rel_error: float
    cond_C: float
    ours_untruncated: float


def numerical_pitfall_table(n: int = 100, lags: int = PITFALL_LAGS, dps: int = 50) -> list[PitfallRow]:
    """Kerg et al.'s six networks: their totals, C formed and solved, ours, and 60-digit values.

    Parameters
    ----------
    n : int
        Network size (Kerg et al.: 100; the high-precision column costs ~5 s per row there).
    lags : int
        Lags summed (Kerg et al.: 150).
    dps : int
        Digits of the reference.

    Returns
    -------
    list of PitfallRow
        In the order of :data:`KERG_ET_AL_TOTALS`.

    See chapter 1, section 6.
    """
    n, lags = positive_int(n, "n"), positive_int(lags, "lags")
    rows = []
    for (d, alpha), kerg in KERG_ET_AL_TOTALS.items():
        W, v = kerg_network(n, d, alpha)
        J_ref = high_precision_curve(d, alpha, n, lags, dps)
        J = fisher_memory_curve(W, v, lags)
        with np.errstate(all="ignore"):
            J_formed = formed_covariance_curve(W, v, lags)
        bad = not np.all(np.isfinite(J_formed))
        L, _ = _sqrt_cov.factors(W, None, None)

        def max_rel(x):
            nz = J_ref > 0
            return float(np.max(np.abs(x[nz] - J_ref[nz]) / J_ref[nz]))

        rows.append(PitfallRow(d, alpha, kerg, float("nan") if bad else float(np.sum(J_formed)), float(np.sum(J)),
                               float(np.sum(J_ref)), max_rel(J), float("nan") if bad else max_rel(J_formed),
                               _sqrt_cov.factor_condition(L) ** 2, total_fisher_memory(W, v)))
    return rows


def total_memory_against_n(kind: str, sizes, **params) -> tuple[np.ndarray, np.ndarray, int | None]:
    """J_tot of one family of :func:`nnrnn_edu.connectivity.memory_network` for growing N.

    Stops at the first N that is beyond double precision: the factor of its noise covariance
    (:class:`nnrnn_edu.memory.IllConditionedError`), or W^k and the noise it drives overflowing
    float64 (:class:`nnrnn_edu.memory.Float64OverflowError`, e.g. the chain with alpha = 1.2 beyond N = 1945).

    Parameters
    ----------
    kind : str
        Network kind.
    sizes : sequence of int
        Increasing network sizes.
    **params
        ``alpha``, ``beta``, ``lam`` as in ``memory_network``.

    Returns
    -------
    ns : ndarray of int
        The sizes computed.
    totals : ndarray of float
    refused_at : int or None
        The first size refused, None if none was.

    See chapter 1, section 4.
    """
    ns, totals = [], []
    for n in sizes:
        try:
            totals.append(total_fisher_memory(*memory_network(kind, int(n), **params)))
        except IllConditionedError:
            return np.array(ns, dtype=int), np.array(totals), int(n)
        ns.append(int(n))
    return np.array(ns, dtype=int), np.array(totals), None


__all__ = [
    "FISHER_MEMORY_PRESET",
    "FISHER_MEMORY_PRESET_QUICK",
    "FisherMemoryPreset",
    "KERG_ET_AL_TOTALS",
    "MemoryExplorerData",
    "PITFALL_LAGS",
    "PitfallRow",
    "fisher_memory_preset",
    "formed_covariance_curve",
    "high_precision_curve",
    "kerg_network",
    "memory_explorer_data",
    "numerical_pitfall_table",
    "total_memory_against_n",
]

"""Fisher memory of linear recurrent networks (Ganguli, Huh & Sompolinsky 2008).

The network ``h_t = W h_{t-1} + v s_t + z_t`` with ``z_t ~ N(0, I)`` carries
Fisher information ``J(k) = v^T W^kT C^{-1} W^k v`` (paper eq. 3) about the signal
that entered ``k`` steps ago, where ``C = sum_k W^k W^kT`` is the noise covariance.
The total memory ``J_tot = sum_k J(k)`` (eq. 4) is exactly 1 for every normal W
and at most N for any W.

Numerics (all verified, see chapter 1):

- C is never formed for J: a triangular factor L (``L L^T = C``) is carried through
  *doubling* (Smith's method, ``S <- S + P S P^T``, ``P <- P^2``, each step a QR of
  ``[L, P L]^T``; :mod:`nnrnn_edu._sqrt_cov`), and ``J(k) = ||L^{-1} W^k v||^2`` by
  triangular solves. Accuracy is then governed by cond(L) = sqrt(cond(C)): the
  noise covariance of ``0.2 I + 1.05 (sub-diagonal)``, N = 100, has cond(C) ~ 1e23 and
  gives J_tot to 1e-9 (tests against 60-digit references). Only a factor beyond double
  precision is refused (:class:`IllConditionedError`, saying how far beyond).
- Structure is used where it pays (N >= 96): triangular banded W (``d I + alpha
  (sub-diagonal)``) gets L from Hammarling's method, unit by unit (about a tenth of the
  doubling's work), and a W that couples only units of opposite parity (the chain with
  feedback) has a C that splits into two independent halves. Same accuracy (tests).
- The doubling is exact after ``ceil(log2 N)`` steps for nilpotent W, and a pure
  chain (sub-diagonal only) has a diagonal C summed exactly by a recursion.
  :func:`noise_covariance` returns C itself, summed by the same doubling unfactored.
- ``J_tot`` is ``trace(C^{-1} S_v) = ||L^{-1} G||_F^2`` with ``G G^T = S_v =
  sum_k W^k v v^T W^kT`` (same doubling), so no sum over k is truncated: normal W
  with lambda = 0.99 gives 1 to 1e-12, where summing J(k) to k = 2N gives 0.98. Where W^k v
  provably dies out within 4N lags (the chain, triangular banded W) ``G = [v, Wv, ...]``
  itself, to the lag after which the rest is below 1e-17 of J(0), and J_tot comes from the
  curve's own solve.
- When the spectral radius is >= 1 the stationary C does not exist; pass a
  finite ``horizon`` T (``C_T = sum_{k<T} W^k W^kT``: the state T steps back is known).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

from . import _sqrt_cov
from ._validate import input_vector, optional_horizon, positive_int, square_matrix
from .connectivity import spectral_radius

_MAX_DOUBLINGS = 64
_MAX_FACTOR_CONDITION = 1.0 / np.finfo(float).eps  # beyond it L^-1 x has no correct digit
_OVERFLOW = ("W^k overflows float64 before it decays (transient amplification beyond "
             "1e308); reduce N or the gain of W")
_TAIL_NORM = 1e-4  # stop when the next doubling term, <= ||P||^4 ||S|| = 1e-16 ||S||, is below rounding


class IllConditionedError(ValueError):
    """Even the triangular factor L of the noise covariance (``L L^T = C``) is beyond float64.

    Raised when cond(L), with its rows scaled to unit length, exceeds 1/eps = 4.5e15
    (cond(C) beyond ~2e31); the message gives cond(L) and how far beyond it is. Happens
    for strongly amplifying non-chain networks, e.g. a chain with feedback with forward
    gain 1.5 and feedback 0.1 at N = 200. A pure chain never raises it (its C is diagonal).
    """


class Float64OverflowError(IllConditionedError):
    """W^k (or the noise variance it drives) overflows float64 before it decays: also beyond double precision.

    A pure chain with gain alpha > 1 has noise variance ``~ alpha^(2N)`` at its last unit, which exceeds
    1e308 once ``N > 308 / (2 log10 alpha)`` (N > 1945 for alpha = 1.2).
    """


def _is_nilpotent_triangular(W: np.ndarray) -> bool:
    return bool(np.array_equal(np.tril(W, -1), W) or np.array_equal(np.triu(W, 1), W))


def _doubling_sum(
    W: np.ndarray, Q: np.ndarray, horizon: int | None, powers: dict[int, np.ndarray] | None = None
) -> np.ndarray:
    """``sum_k W^k Q W^kT`` over k < horizon (all k >= 0 if horizon is None).

    Stationary case: Smith doubling (``S <- S + P S P^T``, ``P <- P^2``) until
    the next term is below rounding (it is at most ``||P||^4 ||S||``, so stop at
    ``||P||_F <= 1e-4``) or P is exactly zero (nilpotent W). If it has not
    converged after covering 16 N steps, the spectral radius is checked once
    (an O(N^3) Schur form, paid only by slowly decaying or unstable W).
    Finite case: [0, T) is split into blocks of length 2^j at offsets L and
    ``W^L S_(2^j) W^LT`` is added for each, where ``S_(2^j)`` is the doubled sum.
    If ``powers`` is a dict, the squarings ``W^(2^j)`` are stored in it (for reuse
    by :func:`_signal_trajectory`).
    """
    n = W.shape[0]
    powers = {} if powers is None else powers
    S = Q.copy()  # S = sum_{k < 2^j} W^k Q W^kT
    P = W.copy()  # P = W^(2^j)
    if horizon is None:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected and reported
            for j in range(_MAX_DOUBLINGS):
                powers[2**j] = P
                if not np.any(P):
                    return S
                pnorm = float(np.linalg.norm(P))
                S = S + (P @ S) @ P.T
                if not (np.isfinite(pnorm) and np.all(np.isfinite(S))):
                    _check_stationary(W, None)
                    raise ValueError(
                        "W^k overflows float64 before it decays (transient amplification beyond "
                        "1e308); reduce N or the gain of W"
                    )
                if pnorm <= _TAIL_NORM:
                    return S
                if 2**j <= 16 * n < 2 ** (j + 1):
                    _check_stationary(W, None)
                P = P @ P
        _check_stationary(W, None)
        raise ValueError(
            "the noise covariance did not converge: the spectral radius of W is too close to 1; "
            "pass a finite horizon"
        )
    C = np.zeros((n, n))
    L = np.eye(n)  # W^offset
    T = horizon
    powers[1] = P
    while T:
        if T & 1:
            C += L @ S @ L.T
            L = L @ P
        T >>= 1
        if T:
            S = S + P @ S @ P.T
            P = P @ P
            powers[2 * max(powers)] = P
    return C


def _check_stationary(W: np.ndarray, horizon: int | None, rho: float | None = None) -> None:
    if horizon is None and (rho is not None or not _is_nilpotent_triangular(W)):
        rho = spectral_radius(W) if rho is None else rho
        if rho >= 1.0:
            raise ValueError(
                f"the spectral radius of W is {rho:.6g} >= 1, so the stationary noise covariance "
                "C = sum_k W^k W^kT does not exist; pass a finite horizon=T to use "
                "C_T = sum_{k<T} W^k W^kT (a known state T steps back)"
            )


def _cheap_stationary_check(W: np.ndarray, horizon: int | None, rho: float | None = None) -> None:
    """Check stability up front where that is cheap (rho known, or triangular W: its diagonal);
    any other W is checked inside the doubling, only if it converges slowly or overflows."""
    if horizon is None:
        if rho is None and _sqrt_cov.triangular_side(W) is not None:
            rho = float(np.max(np.abs(np.diagonal(W))))
        if rho is not None:
            _check_stationary(W, horizon, rho)


def noise_covariance(W: np.ndarray, horizon: int | None = None) -> np.ndarray:
    """Noise covariance ``C = sum_k W^k W^kT`` of ``h_t = W h_{t-1} + v s_t + z_t``.

    Parameters
    ----------
    W : array_like, shape (N, N)
        Recurrent matrix.
    horizon : int or None
        ``None``: the stationary covariance (needs spectral radius < 1 unless W
        is nilpotent triangular, e.g. a chain, where the sum is finite).
        ``T``: the finite-horizon ``C_T = sum_{k<T} W^k W^kT``.

    Returns
    -------
    ndarray, shape (N, N)
        Symmetric positive definite (``C >= I``).

    Raises
    ------
    ValueError
        If ``horizon`` is None and the spectral radius is >= 1.

    See chapter 1, section 2.
    """
    W = square_matrix(W, "W")
    horizon = optional_horizon(horizon)
    _cheap_stationary_check(W, horizon)
    return _doubling_sum(W, np.eye(W.shape[0]), horizon)


def _factors(W, v, horizon, powers=None, rho=None):
    """The factors of :mod:`nnrnn_edu._sqrt_cov` (doubling, Hammarling or parity split), an exact
    shortcut for a pure chain, errors translated: returns L (a ``_sqrt_cov.Factor``,
    ``L L^T = C`` by blocks of units) and G (per block ``G G^T = S_v``, or None)."""
    if horizon is None or horizon >= W.shape[0]:
        try:
            d = _sqrt_cov.shift_factor(W)  # chain: C is diagonal, sum finite (any horizon >= N)
        except _sqrt_cov.Overflow:
            raise Float64OverflowError(_OVERFLOW) from None
        if d is not None:  # S_v = sum_k u_k u_k^T, k < N (W^N = 0)
            return _sqrt_cov.Factor([(None, d)]), (None if v is None else _sqrt_cov.Trajectory(W.shape[0]))
    try:
        L, G = _sqrt_cov.factors_single_threaded_if_small(
            W, v, horizon, powers, lambda: _check_stationary(W, horizon, rho))
    except _sqrt_cov.Overflow:
        raise Float64OverflowError(_OVERFLOW) from None
    except _sqrt_cov.BeyondDoublePrecision as exc:  # known before the factor was finished
        _refuse(exc.args[0], at_least=True)
    except _sqrt_cov.DoublingDidNotConverge:
        raise ValueError(
            "the noise covariance did not converge: the spectral radius of W is too close to 1; "
            "pass a finite horizon"
        ) from None
    cond = L.condition()
    if not cond < _MAX_FACTOR_CONDITION:
        _refuse(cond)
    return L, G


def _refuse(cond: float, at_least: bool = False):
    """Raise IllConditionedError for a factor with condition number ``cond`` (or more)."""
    if not np.isfinite(cond):
        number, beyond = "inf" if not at_least else "beyond any number", "infinitely"
    else:
        number = f"{cond:.1e}" + (" or more" if at_least else "")
        beyond = ("at least " if at_least else "") + f"about {cond * np.finfo(float).eps:.1e} times"
    raise IllConditionedError(
        "the noise covariance is numerically singular: even its triangular factor L (L L^T = C) "
        f"has condition number {number} (rows scaled to unit length), {beyond} beyond what "
        "double precision resolves (1/eps = 4.5e15); C's own condition number is about its square. "
        "Reduce N or the gain, or use a finite horizon"
    )


def transient_amplification(W: np.ndarray, v: np.ndarray, k_max: int) -> np.ndarray:
    """Signal strength ``||W^k v||^2`` for k = 0 .. k_max-1 (paper Figure 1c).

    Parameters
    ----------
    W : array_like, shape (N, N)
    v : array_like, shape (N,)
    k_max : int
        Number of lags.

    Returns
    -------
    ndarray, shape (k_max,)

    See chapter 1, section 3.
    """
    W = square_matrix(W, "W")
    v = input_vector(v, W.shape[0], "v")
    k_max = positive_int(k_max, "k_max")
    return np.sum(_signal_trajectory(W, v, k_max) ** 2, axis=0)


_MAX_BAND = 5  # diagonals; beyond that the dense matvec (BLAS) is as fast


def _band(W: np.ndarray) -> tuple[int, int, np.ndarray] | None:
    """W in BLAS general band storage ``(kl, ku, ab)`` (``ab[ku + i - j, j] = W[i, j]``) if it has at
    most 5 non-zero diagonals (and N >= 64), else None."""
    n = W.shape[0]
    if n < 64 or np.count_nonzero(W) > _MAX_BAND * n:
        return None
    rows, cols = np.nonzero(W)
    offsets = np.unique(cols - rows)
    if len(offsets) == 0 or len(offsets) > _MAX_BAND:  # W = 0 has no band: the dense path handles it
        return None
    kl, ku = max(0, -int(offsets.min())), max(0, int(offsets.max()))
    ab = np.zeros((kl + ku + 1, n), order="F")
    for off in range(-kl, ku + 1):
        d = np.diagonal(W, off)
        if off >= 0:
            ab[ku - off, off:] = d
        else:
            ab[ku - off, : n + off] = d
    return kl, ku, ab


def _signal_trajectory(
    W: np.ndarray, v: np.ndarray, k_max: int, powers: dict[int, np.ndarray] | None = None
) -> np.ndarray:
    """Columns ``W^k v`` for k < k_max, shape (N, k_max), Fortran order.

    Banded W: one banded matrix-vector product (BLAS ``dgbmv``) per column. Otherwise, if
    ``powers`` (from the doubling) holds ``W^b`` for b = 32, only the first b columns are
    matrix-vector products and every further block of b is one GEMM, ``W^b`` times the
    previous block; otherwise k_max matvecs.
    """
    n = W.shape[0]
    U = np.empty((n, k_max), order="F")
    band = _band(W)
    if band is not None:  # O(N * bandwidth) per step instead of a dense matvec
        kl, ku, ab = band
        gbmv = blas.dgbmv
        U[:, 0] = v
        for k in range(1, k_max):
            gbmv(n, n, kl, ku, 1.0, ab, U[:, k - 1], beta=0.0, y=U[:, k], overwrite_y=1)
        return U
    Wb, b = None, k_max
    for size, P in sorted((powers or {}).items()):
        if size <= 32 and (size == 32 or not np.any(P)):
            Wb, b = (P if size == 32 else np.zeros_like(P)), 32
            break
    b = min(b, k_max)
    u = v
    for k in range(b):
        U[:, k] = u
        u = W @ u
    for start in range(b, k_max, b):
        stop = min(start + b, k_max)
        U[:, start:stop] = Wb @ U[:, start - b : stop - b]
    return U


def fisher_memory_curve(
    W: np.ndarray, v: np.ndarray, k_max: int, horizon: int | None = None
) -> np.ndarray:
    """Fisher memory curve ``J(k) = v^T W^kT C^{-1} W^k v`` (paper eq. 3), k = 0 .. k_max-1.

    A triangular factor of C by square-root doubling (a QR per step; C is never
    formed), K matrix-vector products and one triangular solve with K right-hand
    sides: O(N^3 log(steps) + K N^2).

    Parameters
    ----------
    W : array_like, shape (N, N)
        Recurrent matrix.
    v : array_like, shape (N,)
        Input vector. J scales as ``||v||^2`` (noise variance is 1); the paper uses unit v.
    k_max : int
        Number of lags.
    horizon : int or None
        ``None`` for the stationary covariance (spectral radius < 1, or a chain);
        ``T`` for ``C_T``, in which case ``J(k) = 0`` for ``k >= T``.

    Returns
    -------
    ndarray, shape (k_max,)
        ``J(k) >= 0``; for the chain with ``v = e_1``:
        ``J(k) = alpha^{2k} / sum_{j<=k} alpha^{2j}`` for k < N and 0 after.

    Raises
    ------
    ValueError
        On bad input, or if ``horizon`` is None and the spectral radius is >= 1.
    IllConditionedError
        If even the triangular factor of C is beyond double precision.

    See chapter 1, section 2.
    """
    W = square_matrix(W, "W")
    v = input_vector(v, W.shape[0], "v")
    k_max = positive_int(k_max, "k_max")
    horizon = optional_horizon(horizon)
    _cheap_stationary_check(W, horizon)
    powers: dict[int, np.ndarray] = {}
    L, _ = _factors(W, None, horizon, powers)
    return _curve(W, v, k_max, horizon, L, powers)


def _curve(W: np.ndarray, v: np.ndarray, k_max: int, horizon: int | None, L, powers=None) -> np.ndarray:
    return _curve_and_total(W, v, k_max, horizon, L, None, powers)[0]


def _curve_and_total(W, v, k_max, horizon, L, G, powers=None, curve=True):
    """J(k) for k < k_max (if ``curve``) and, if G is given, J_tot; one triangular solve for both
    when S_v's factor is the signal trajectory itself (``_sqrt_cov.Trajectory``)."""
    k_eff = (k_max if horizon is None else min(k_max, horizon)) if curve else 0
    K = G.length if isinstance(G, _sqrt_cov.Trajectory) else 0
    J, total = None, None
    k_all = max(k_eff, K)
    if k_all:
        Y = L.whiten(_signal_trajectory(W, v, k_all, powers))  # (N, k_all): L^-1 W^k v
        sq = np.sum(Y * Y, axis=0)
        if curve:
            J = np.zeros(k_max)
            J[:k_eff] = sq[:k_eff]
        if K:
            total = float(np.sum(sq[:K]))
    if G is not None and not K:
        total = _total(L, G)
    return J, total


def _total(L, G: list[np.ndarray]) -> float:
    # J_tot = trace(C^-1 S_v) = ||L^-1 G||_F^2 with L L^T = C and G G^T = S_v, by blocks of L
    # (C has no entries between blocks, so S_v's entries between them do not enter)
    total = 0.0
    for (_, Lb), Gb in zip(L.blocks, G):
        X = _sqrt_cov.whiten(Lb, Gb)
        total += float(np.sum(X * X))
    return total


def curve_and_total(
    W: np.ndarray, v: np.ndarray, k_max: int, horizon: int | None = None, rho: float | None = None
) -> tuple[np.ndarray, float]:
    """:func:`fisher_memory_curve` and :func:`total_fisher_memory` sharing one covariance.

    For interactive use (one factored doubling instead of two).

    Parameters
    ----------
    W : array_like, shape (N, N)
    v : array_like, shape (N,)
    k_max : int
        Number of lags.
    horizon : int or None
        As in :func:`fisher_memory_curve`.
    rho : float or None
        The already-known spectral radius of W (skips computing it).

    Returns
    -------
    J : ndarray, shape (k_max,)
    J_tot : float

    See chapter 1, section 5 (the explorer uses it).
    """
    W = square_matrix(W, "W")
    v = input_vector(v, W.shape[0], "v")
    k_max = positive_int(k_max, "k_max")
    horizon = optional_horizon(horizon)
    _cheap_stationary_check(W, horizon, rho)
    powers: dict[int, np.ndarray] = {}
    L, G = _factors(W, v, horizon, powers, rho)
    return _curve_and_total(W, v, k_max, horizon, L, G, powers)


def total_fisher_memory(W: np.ndarray, v: np.ndarray, horizon: int | None = None) -> float:
    """Total Fisher memory ``J_tot = sum_k J(k)`` (paper eq. 4), without truncating the sum.

    Computed as ``trace(C^{-1} S_v) = ||L^{-1} G||_F^2`` with factors ``L L^T = C`` and
    ``G G^T = S_v = sum_k W^k v v^T W^kT``, both carried through the doubling.

    Parameters
    ----------
    W : array_like, shape (N, N)
    v : array_like, shape (N,)
    horizon : int or None
        As in :func:`fisher_memory_curve`.

    Returns
    -------
    float
        ``||v||^2`` for every normal W (1 for unit v); at most ``N ||v||^2``.

    See chapter 1, section 4.
    """
    W = square_matrix(W, "W")
    v = input_vector(v, W.shape[0], "v")
    horizon = optional_horizon(horizon)
    _cheap_stationary_check(W, horizon)
    powers: dict[int, np.ndarray] = {}
    L, G = _factors(W, v, horizon, powers)
    return _curve_and_total(W, v, 1, horizon, L, G, powers, curve=False)[1]


__all__ = [
    "Float64OverflowError",
    "IllConditionedError",
    "curve_and_total",
    "fisher_memory_curve", "noise_covariance", "total_fisher_memory", "transient_amplification"]

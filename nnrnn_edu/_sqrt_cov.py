"""Square-root (factored) noise covariances for :mod:`nnrnn_edu.memory` (issue 15).

``C = sum_k W^k W^kT`` is never formed: a lower-triangular factor ``L`` with
``L L^T = C`` is carried through Smith's doubling. One doubling step
``S <- S + P S P^T`` (``P = W^m``) becomes ``[L, P L] = L' Q^T``, i.e. a QR
factorisation of the stacked ``[L^T; (P L)^T]`` (2N x N). Orthogonal
transformations keep the factor's error at rounding relative to ``||L||``, so the
accuracy of ``L^{-1} x`` is governed by ``cond(L) = sqrt(cond(C))``; forming C and
solving with it loses ``cond(C)``. Householder QR is backward stable column by column,
i.e. for every row of ``[L, P L]`` separately: the result does not depend on a
scaling of the units (C of a chain spans 1 .. 4^N and needs no equilibration).

Private: the public functions are in :mod:`nnrnn_edu.memory` (chapter 1, section 6).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

_TAIL_NORM = 1e-4  # as in memory._doubling_sum: the next term is <= ||P||^4 ||S|| = 1e-16 ||S||
_MAX_DOUBLINGS = 64
_EPS = np.finfo(float).eps


def _positive_diagonal(R: np.ndarray) -> np.ndarray:
    """Flip rows of an upper-triangular R so that its diagonal is >= 0 (same R^T R)."""
    s = np.where(np.diag(R) < 0, -1.0, 1.0)
    return R * s[:, None]


def compress(F: np.ndarray, lower_triangular_prefix: bool = False, tail_triangular: bool = False) -> np.ndarray:
    """A factor of ``F F^T`` with at most N columns, lower triangular if F had more than N.

    Parameters
    ----------
    F : ndarray, shape (N, r)
        ``F F^T`` is the matrix to factor.
    lower_triangular_prefix : bool
        F is ``[L, B]`` with L (N x N) lower triangular: LAPACK's triangular-pentagonal
        QR (``dtpqrt``) then skips the zeros of L.
    tail_triangular : bool
        With ``lower_triangular_prefix``: B is lower triangular too.

    Returns
    -------
    ndarray, shape (N, min(r, N))
        ``L`` with ``L L^T = F F^T`` to rounding, lower triangular with a
        non-negative diagonal when ``r > N``; F itself when ``r <= N``.
    """
    n, r = F.shape
    if r <= n:
        return F
    if lower_triangular_prefix and r == 2 * n:
        A = np.asfortranarray(F[:, :n].T)  # upper triangular
        B = np.asfortranarray(F[:, n:].T)
        R, _, _, info = lapack.dtpqrt(n if tail_triangular else 0, min(n, 64), A, B, overwrite_a=1, overwrite_b=1)
        if info == 0:
            return _positive_diagonal(np.triu(R)).T
    R = scipy.linalg.qr(F.T, mode="r", overwrite_a=True, check_finite=False)[0][:n]
    return _positive_diagonal(R).T


def triangular(F: np.ndarray) -> np.ndarray:
    """Lower-triangular factor of ``F F^T`` (F: N x N, full rank expected), by one QR."""
    if np.array_equal(np.tril(F), F):
        return F * np.where(np.diag(F) < 0, -1.0, 1.0)[None, :]
    R = scipy.linalg.qr(F.T, mode="r", check_finite=False)[0][: F.shape[0]]
    return _positive_diagonal(R).T


class DoublingDidNotConverge(Exception):
    """Raised to :mod:`nnrnn_edu.memory`, which turns it into a ValueError with advice."""


class Overflow(Exception):
    """Raised to :mod:`nnrnn_edu.memory`, which turns it into a ValueError with advice."""


def _is_lower(W: np.ndarray) -> bool:
    return bool(np.array_equal(np.tril(W), W))


def shift_factor(W: np.ndarray) -> np.ndarray | None:
    """The diagonal factor of C for a pure sub-diagonal W (a chain with any weights), else None.

    ``W[i, i-1] = w_i`` only: ``W^k W^kT`` is diagonal, ``C = diag(c)`` with
    ``c_0 = 1``, ``c_i = 1 + w_i^2 c_{i-1}`` (the sum is finite: W is nilpotent).
    Every term is positive, so c is exact to rounding whatever its range.

    Returns
    -------
    ndarray, shape (N, N), or None
        ``diag(sqrt(c))``; None if W is not a pure sub-diagonal matrix.
    """
    n = W.shape[0]
    w = np.diag(W, -1)
    if n > 1 and not np.array_equal(np.diag(w, -1), W):
        return None
    w2 = np.concatenate([[0.0], w * w])
    c = np.empty(n)
    acc = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(n):  # a first-order recursion: cumulative products would cancel
            acc = 1.0 + w2[i] * acc
            c[i] = acc
    if not np.all(np.isfinite(c)):
        raise Overflow
    return np.diag(np.sqrt(c))


def factors(
    W: np.ndarray,
    v: np.ndarray | None,
    horizon: int | None,
    powers: dict[int, np.ndarray] | None = None,
    check_stationary=None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Factors of ``C = sum_k W^k W^kT`` and of ``S_v = sum_k W^k v v^T W^kT`` by doubling.

    Parameters
    ----------
    W : ndarray, shape (N, N)
    v : ndarray, shape (N,), or None
        Input vector; None skips ``S_v``.
    horizon : int or None
        None: all k >= 0 (stationary); T: k < T.
    powers : dict or None
        If given, filled with ``W^(2^j)`` (for :func:`nnrnn_edu.memory._signal_trajectory`).
    check_stationary : callable or None
        Called (no arguments) when the stationary sum converges slowly; it raises if
        the spectral radius is >= 1.

    Returns
    -------
    L : ndarray, shape (N, N)
        Lower triangular, ``L L^T = C``.
    G : ndarray, shape (N, r) with r <= N, or None
        ``G G^T = S_v`` (None if ``v`` is None).

    Raises
    ------
    Overflow, DoublingDidNotConverge
    """
    n = W.shape[0]
    powers = {} if powers is None else powers
    lower = _is_lower(W)  # then every W^m and every W^m L is lower triangular
    Ls = np.eye(n)  # factor of S_(2^j) = sum_{k < 2^j} W^k W^kT
    Gs = None if v is None else v[:, None].copy()  # factor of sum_{k < 2^j} W^k v v^T W^kT
    P = W.copy()  # W^(2^j)
    with np.errstate(over="ignore", invalid="ignore"):
        if horizon is None:
            for j in range(_MAX_DOUBLINGS):
                powers[2**j] = P
                if not np.any(P):
                    return Ls, Gs
                pnorm = float(np.linalg.norm(P))
                Ls = compress(np.hstack([Ls, P @ Ls]), True, lower)
                if Gs is not None:
                    Gs = compress(np.hstack([Gs, P @ Gs]), Gs.shape[1] == n and _is_lower(Gs), lower)
                if not (np.isfinite(pnorm) and np.all(np.isfinite(Ls))):
                    if check_stationary is not None:
                        check_stationary()
                    raise Overflow
                if pnorm <= _TAIL_NORM:
                    return Ls, Gs
                if 2**j <= 16 * n < 2 ** (j + 1) and check_stationary is not None:
                    check_stationary()
                P = P @ P
            if check_stationary is not None:
                check_stationary()
            raise DoublingDidNotConverge
        # finite horizon: [0, T) as blocks of length 2^j at offsets; W^offset S_(2^j) W^offsetT per block
        Fc = np.zeros((n, 0))
        Fg = None if v is None else np.zeros((n, 0))
        Woff = None  # W^offset (None: the identity)
        T = horizon
        powers[1] = P
        while T:
            if T & 1:
                Fc = compress(np.hstack([Fc, Ls if Woff is None else Woff @ Ls]))
                if Fg is not None:
                    Fg = compress(np.hstack([Fg, Gs if Woff is None else Woff @ Gs]))
                Woff = P if Woff is None else Woff @ P
            T >>= 1
            if T:
                Ls = compress(np.hstack([Ls, P @ Ls]), True, lower)
                if Gs is not None:
                    Gs = compress(np.hstack([Gs, P @ Gs]))
                P = P @ P
                powers[2 * max(powers)] = P
        if not (np.all(np.isfinite(Fc)) and (Fg is None or np.all(np.isfinite(Fg)))):
            raise Overflow
        return triangular(Fc), Fg


_SMALL = 256


def factors_single_threaded_if_small(W, v, horizon, powers=None, check_stationary=None):
    """:func:`factors`, with one BLAS thread below N = 256.

    Multi-threaded OpenBLAS runs the small QR factorisations 5-100 times slower than
    one thread (much worse when another process holds a core); large ones gain.

    Parameters
    ----------
    W, v, horizon, powers, check_stationary
        As in :func:`factors`.

    Returns
    -------
    L, G
        As in :func:`factors`.
    """
    if W.shape[0] >= _SMALL:
        return factors(W, v, horizon, powers, check_stationary)
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn; loaded only here

    with threadpool_limits(limits=1, user_api="blas"):
        return factors(W, v, horizon, powers, check_stationary)


def factor_condition(L: np.ndarray) -> float:
    """Condition number (1-norm estimate) of L after scaling its rows to unit length.

    Row scaling is free (see the module docstring), so this is what limits the
    accuracy of ``L^{-1} x``: relative errors of about ``eps * factor_condition(L)``.

    Parameters
    ----------
    L : ndarray, shape (N, N)
        Lower triangular.

    Returns
    -------
    float
        ``inf`` if L is singular in double precision.
    """
    rows = np.sqrt(np.sum(L * L, axis=1))
    if not np.all(rows > 0) or not np.all(np.diag(L) != 0):
        return float("inf")
    rcond, info = lapack.dtrcon(np.asfortranarray(L / rows[:, None]), norm="1", uplo="L", diag="N")
    return float("inf") if info != 0 or rcond <= 0 else 1.0 / float(rcond)


def whiten(L: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``L^{-1} U`` by a triangular solve (L lower triangular).

    Parameters
    ----------
    L : ndarray, shape (N, N)
    U : ndarray, shape (N, K)

    Returns
    -------
    ndarray, shape (N, K)
    """
    d = np.diag(L)
    if np.count_nonzero(L) == np.count_nonzero(d):  # diagonal L (the chain): no O(N^2 K) solve
        return U / d[:, None]
    return scipy.linalg.solve_triangular(L, U, lower=True, check_finite=False)

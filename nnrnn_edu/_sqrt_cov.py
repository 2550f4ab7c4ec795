"""Square-root (factored) noise covariances for :mod:`nnrnn_edu.memory` (issue 15).

``C = sum_k W^k W^kT`` is never formed: a lower-triangular factor ``L`` with
``L L^T = C`` is computed directly, by one of three algorithms chosen from W's structure
(stationary C; a finite horizon always takes the first):

- **Doubling** (any W). One step ``S <- S + P S P^T`` (``P = W^m``) becomes
  ``[L, P L] = L' Q^T``, a QR factorisation of the stacked ``[L^T; (P L)^T]`` (2N x N, LAPACK's
  triangular-pentagonal ``dtpqrt``). O(N^3) per step, about log2(steps to decay) steps. While
  ``||S||_inf <= 1e3`` a step is a rank-N update of S and a Cholesky factorisation instead
  (cheaper; since ``C >= I`` its error of ~eps ||S|| is a relative error of J at most that large).
- **Hammarling's method** for triangular W with a narrow band (``d I + alpha (sub-diagonal)``;
  such a W is its own Schur form): unit by unit, ``l = beta / sqrt(1 - a^2)``, one banded
  triangular solve for the rest of L's column and a rank-one update of the right-hand side,
  whose triangular factor is re-triangularised every 64 units by one ``dtpqrt``
  (:func:`_hammarling`). About (2/3) N^3 flops instead of doubling's ~5 N^3 per step.
- **Parity split** for W that only couples units of opposite parity (``W[i, j] = 0`` for
  even ``i - j``: the chain with feedback). Then ``W^k W^kT`` never couples the two
  parities, C is block diagonal over them, and ``C_e = A C_e A^T + I + W_eo W_eo^T`` with
  ``A = W_eo W_oe`` is a problem of half the size (1/8 of the flops per doubling step), its
  first steps summed in banded form while the sum is small (:func:`_parity_factors`).

``S_v`` (for J_tot) is factored by the same doubling; the structured solvers instead return
:class:`Trajectory`, the number of lags of ``W^k v`` after which the rest of the sum is provably
below rounding, so that J_tot comes from the curve's own triangular solve.

Orthogonal transformations keep the factor's error at rounding relative to ``||L||``, so the
accuracy of ``L^{-1} x`` is governed by ``cond(L) = sqrt(cond(C))``; forming C and
solving with it loses ``cond(C)``. Householder QR is backward stable column by column,
i.e. for every row of ``[L, P L]`` separately: the result does not depend on a
scaling of the units (C of a chain spans 1 .. 4^N and needs no equilibration).

Private: the public functions are in :mod:`nnrnn_edu.memory` (chapter 1, section 6).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
from scipy.linalg import blas, lapack

_TAIL_NORM = 1e-4  # as in memory._doubling_sum: the next term is <= ||P||^4 ||S|| = 1e-16 ||S||
_MAX_DOUBLINGS = 64
_EPS = np.finfo(float).eps
_QR_BLOCK = 32  # dtpqrt's block size (32 beats LAPACK's usual 64 here, measured at N = 500 .. 1000)

# structured paths (stationary C only); module attributes so that tests can reach them at small N
HAMMARLING_MIN_N = 96  # triangular banded W from this size on: Hammarling's method
HAMMARLING_MAX_BAND = 4  # at most this many sub-diagonals (or super-diagonals)
HAMMARLING_BLOCK = 64  # units between two re-triangularisations of the right-hand side
PARITY_MIN_N = 96  # W coupling only opposite parities from this size on: the parity split
FORMED_MAX_NORM = 1e3  # sum unfactored (S + P S P^T) while ||S||_inf stays below this
FORMED_MAX_BAND = 0.25  # ... and while the band of S is below this fraction of its size


class Factor:
    """A factor of C by blocks of units: ``L_b L_b^T = C[idx_b][:, idx_b]``, C zero between blocks.

    Parameters
    ----------
    blocks : list of (ndarray of int or None, ndarray)
        ``(idx, L)``: the units of the block (None: all, in order) and their lower-triangular
        factor, or a 1-D array ``d`` for a diagonal factor ``diag(d)``.
    """

    __slots__ = ("blocks",)

    def __init__(self, blocks):
        self.blocks = blocks

    def whiten(self, U: np.ndarray) -> np.ndarray:
        """``L_b^{-1} U[idx_b]`` for every block, stacked (rows in block order).

        Parameters
        ----------
        U : ndarray, shape (N, K)

        Returns
        -------
        ndarray, shape (N, K)
            Column sums of squares are ``u^T C^{-1} u`` for the columns u of U.
        """
        if len(self.blocks) == 1:
            idx, L = self.blocks[0]
            return _solve(L, U if idx is None else U[idx])
        out = []
        for idx, L in self.blocks:
            Ub = U[idx]
            used = np.flatnonzero(np.any(Ub != 0, axis=0))  # (the chain with feedback: every other k)
            Y = np.zeros_like(Ub)
            if used.size:
                Y[:, used] = _solve(L, Ub[:, used])
            out.append(Y)
        return np.vstack(out)

    def condition(self) -> float:
        """The largest :func:`factor_condition` of the blocks (1 for a diagonal factor)."""
        return max((factor_condition(L) if L.ndim == 2 else 1.0) for _, L in self.blocks)

    def dense(self) -> np.ndarray:
        """The factor as one N x N array in the original unit order (for tests; not triangular after a permutation)."""
        n = sum(L.shape[0] for _, L in self.blocks)
        F = np.zeros((n, n))
        for idx, L in self.blocks:
            idx = np.arange(n) if idx is None else idx
            F[np.ix_(idx, idx)] = np.diag(L) if L.ndim == 1 else L
        return F


def _solve(L: np.ndarray, U: np.ndarray) -> np.ndarray:
    if L.ndim == 1:
        return U / L[:, None]
    return scipy.linalg.solve_triangular(L, U, lower=True, check_finite=False)


def _positive_diagonal(R: np.ndarray) -> np.ndarray:
    """Flip rows of an upper-triangular R so that its diagonal is >= 0 (same R^T R)."""
    s = np.where(np.diag(R) < 0, -1.0, 1.0)
    return R * s[:, None]


def _tpqrt(R: np.ndarray, B: np.ndarray, b_triangular: bool = False) -> np.ndarray:
    """Upper-triangular R' with ``R'^T R' = R^T R + B^T B`` (R upper triangular n x n, B m x n).

    In place if R and B are Fortran-ordered; ``b_triangular``: B is upper triangular too.
    """
    n = R.shape[0]
    R = np.asfortranarray(R)
    B = np.asfortranarray(B)
    l = min(B.shape) if b_triangular else 0
    R, _, _, info = lapack.dtpqrt(l, max(1, min(_QR_BLOCK, n)), R, B, overwrite_a=1, overwrite_b=1)
    if info != 0:  # pragma: no cover - invalid arguments only
        raise RuntimeError(f"dtpqrt failed (info = {info})")
    return R


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
        R = _tpqrt(F[:, :n].T, F[:, n:].T, tail_triangular)
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


class BeyondDoublePrecision(Exception):
    """The factor's condition number is already known to exceed 1/eps (``args[0]``: a lower bound).

    Raised by Hammarling's method as soon as a finished leading block of L shows it, before
    the remaining units (whose numbers, spanning hundreds of decades by then, crawl through
    denormals) are computed.
    """


def _is_lower(W: np.ndarray) -> bool:
    return not np.any(np.triu(W, 1))


def diagonal_offsets(W: np.ndarray, max_per_row: int = 8) -> np.ndarray | None:
    """The offsets ``j - i`` of W's non-zero diagonals, sorted, if W has at most ``max_per_row``
    non-zeros per row on average (else None: a dense W, not worth listing)."""
    if np.count_nonzero(W) > max_per_row * W.shape[0]:
        return None
    rows, cols = np.nonzero(W)
    return np.unique(cols - rows)


def triangular_side(W: np.ndarray) -> str | None:
    """``"lower"`` or ``"upper"`` if W is triangular (its eigenvalues are its diagonal), else None."""
    n = W.shape[0]
    if n > 1 and W[0, 1:].any() and W[1:, 0].any():  # (a dense W leaves here, at O(N) cost)
        return None
    off = diagonal_offsets(W)
    if off is not None:
        return "lower" if off.size == 0 or off.max() <= 0 else ("upper" if off.min() >= 0 else None)
    if _is_lower(W):
        return "lower"
    return "upper" if not np.any(np.tril(W, -1)) else None


class Trajectory:
    """In place of a factor of S_v: ``S_v = sum_{k<length} u_k u_k^T`` (``u_k = W^k v``), the rest
    below rounding, so ``J_tot = sum_{k<length} J(k)`` comes from the same solve as the curve."""

    __slots__ = ("length",)

    def __init__(self, length: int):
        self.length = length


def shift_factor(W: np.ndarray) -> np.ndarray | None:
    """The diagonal factor of C for a pure sub-diagonal W (a chain with any weights), else None.

    ``W[i, i-1] = w_i`` only: ``W^k W^kT`` is diagonal, ``C = diag(c)`` with
    ``c_0 = 1``, ``c_i = 1 + w_i^2 c_{i-1}`` (the sum is finite: W is nilpotent).
    Every term is positive, so c is exact to rounding whatever its range.

    Returns
    -------
    ndarray, shape (N,), or None
        ``sqrt(c)`` (the factor is ``diag(sqrt(c))``); None if W is not a pure sub-diagonal matrix.
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
    return np.sqrt(c)


# --------------------------------------------------------------------------- doubling


def _doubling(
    W: np.ndarray,
    R0: np.ndarray | None,
    g0: np.ndarray | None,
    powers: dict[int, np.ndarray] | None,
    check_stationary,
    P0: np.ndarray | None = None,
    S0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Stationary square-root doubling: ``R^T R = sum_k W^k Q W^kT`` with ``Q = R0^T R0``.

    While the sum is small (``||S||_inf <= FORMED_MAX_NORM``) a step is ``S <- S + M M^T``
    (``M = P L``, a symmetric rank-N update) and a Cholesky factorisation, cheaper than the QR;
    since ``C >= I`` the absolute error ``~ eps ||S||`` this leaves is a relative error of at most
    that in every J(k) (the rest of the sum maps an error E in S to at most ``||E|| C``). Once
    the sum is larger, every step is the QR of ``[L, P L]^T``.

    Parameters
    ----------
    W : ndarray, shape (n, n)
    R0 : ndarray or None
        Upper-triangular factor of Q (None: the identity).
    g0 : ndarray, shape (n, r), or None
        Also sum ``G G^T = sum_k W^k g0 g0^T W^kT`` (None: skip).
    powers : dict or None
        Filled with ``W^(2^j)``.
    check_stationary : callable or None
    P0 : ndarray or None
        Start from this power of W instead (then R0 and g0 already hold the sum
        below it; ``powers`` is keyed by the exponent relative to P0).
    S0 : ndarray or None
        ``R0^T R0`` itself, if known (None: the identity if R0 is None, else unknown:
        no unfactored steps).

    Returns
    -------
    L : ndarray, lower triangular with a non-negative diagonal
    G : ndarray or None
    """
    n = W.shape[0]
    powers = {} if powers is None else powers
    lower = _is_lower(W)  # then every W^m and every W^m L is lower triangular
    R = np.eye(n, order="F") if R0 is None else np.asfortranarray(R0)
    S = np.eye(n, order="F") if R0 is None else (None if S0 is None else np.asfortranarray(np.triu(S0)))
    Gs = None if g0 is None else g0
    P = W.copy() if P0 is None else P0
    done = False
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(_MAX_DOUBLINGS):
            powers[2**j] = P
            if not np.any(P):
                done = True
                break
            pnorm = float(np.linalg.norm(P))
            if not math.isfinite(pnorm):
                break
            # (P L)^T = R P^T: a triangular product (half a GEMM)
            B = blas.dtrmm(1.0, R, P.T, side=0, lower=0)
            if not np.all(np.isfinite(B)):  # (LAPACK crawls through inf and NaN)
                R = B
                break
            if S is not None:  # unfactored while small: S + B^T B (upper triangle only)
                S = blas.dsyrk(1.0, B, beta=1.0, c=S, trans=1, lower=0, overwrite_c=1)
                if _norm_inf_upper(S) <= FORMED_MAX_NORM:
                    R, info = lapack.dpotrf(S, lower=0, clean=1, overwrite_a=0)
                    if info != 0:  # pragma: no cover - S >= I is positive definite
                        raise RuntimeError(f"dpotrf failed (info = {info})")
                else:
                    S = None
            if S is None:
                R = _tpqrt(R, B, lower)
            if Gs is not None:
                Gs = compress(np.hstack([Gs, P @ Gs]), Gs.shape[1] == n and _is_lower(Gs), lower)
            if not (np.isfinite(pnorm) and np.all(np.isfinite(R[:, -1]))):
                break
            if pnorm <= _TAIL_NORM:
                done = True
                break
            if 2**j <= 16 * n < 2 ** (j + 1) and check_stationary is not None:
                check_stationary()
            P = P @ P
        finite = np.all(np.isfinite(R)) and (Gs is None or np.all(np.isfinite(Gs)))
        if not (done and finite):
            if check_stationary is not None:
                check_stationary()
            if finite and j == _MAX_DOUBLINGS - 1:
                raise DoublingDidNotConverge
            raise Overflow
    return _positive_diagonal(R).T, Gs


def _norm_inf_upper(S: np.ndarray) -> float:
    """``||S||_inf`` (>= ``||S||_2``) of the symmetric matrix stored in S's upper triangle (lower part zero)."""
    A = np.abs(S)
    return float(np.max(np.sum(A, axis=0) + np.sum(A, axis=1) - np.diagonal(A)))


def _finite_horizon(W, v, horizon, powers):
    """Factors of ``C_T = sum_{k<T} W^k W^kT`` (and of S_v over the same k): blocks of length 2^j at offsets."""
    n = W.shape[0]
    lower = _is_lower(W)
    Ls = np.eye(n)
    Gs = None if v is None else v[:, None].copy()
    P = W.copy()
    Fc = np.zeros((n, 0))
    Fg = None if v is None else np.zeros((n, 0))
    Woff = None  # W^offset (None: the identity)
    T = horizon
    powers[1] = P
    with np.errstate(over="ignore", invalid="ignore"):
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


# --------------------------------------------------------------------------- Hammarling


def _triangular_band(W: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, bool] | None:
    """W's band storage ``AB[k, j] = W'[j + k, j]`` if W (or its reversal W') is lower triangular with a narrow band.

    Parameters
    ----------
    W : ndarray, shape (n, n)
    offsets : ndarray
        W's non-zero diagonals (:func:`diagonal_offsets`).

    Returns
    -------
    (AB, reversed) or None
        ``reversed``: W is upper triangular, ``W' = W[::-1, ::-1]`` is lower triangular
        (the units taken in reverse order).
    """
    if offsets.size == 0:
        return None
    if offsets.max() <= 0 and offsets.min() >= -HAMMARLING_MAX_BAND:
        Wl, rev, bw = W, False, -int(offsets.min())
    elif offsets.min() >= 0 and offsets.max() <= HAMMARLING_MAX_BAND:
        Wl, rev, bw = W[::-1, ::-1], True, int(offsets.max())
    else:
        return None
    n = W.shape[0]
    AB = np.zeros((bw + 1, n))
    for k in range(bw + 1):
        AB[k, : n - k] = np.diagonal(Wl, -k)
    return AB, rev


def _hammarling(AB: np.ndarray, v: np.ndarray | None = None, nb: int | None = None) -> np.ndarray:
    """Lower-triangular X with ``X X^T = sum_k A^k Q A^kT``, A lower triangular in band storage.

    ``Q = I`` (v None) or ``v v^T``. Hammarling's method, unit by unit: with
    ``A = [a 0; c A2]`` and the right-hand side's triangular factor ``[beta 0; b B2]``,
    X's first column is ``(l, m)`` with ``l = beta / s``, ``s = sqrt(1 - a^2)``,
    ``(I - a A2) y = c l + s A2 b`` (a banded triangular solve), ``m = a y + s b``, and the
    rest is the same problem for ``A2`` with right-hand side ``B2 B2^T + w w^T``,
    ``w = s y - a b`` ((m, w) is (y, b) turned by the orthogonal ``[[a, s], [s, -a]]``).
    The right-hand side is kept as an upper-triangular R (``R^T R``) plus pending rows w:
    each unit's first column comes from one Householder reflector over R's row and the
    pending rows (applied lazily: the reflected rows are kept as combinations of the stored
    rows), and every ``nb`` units the pending rows are folded into R by one ``dtpqrt``.

    Parameters
    ----------
    AB : ndarray, shape (bw + 1, n)
        ``AB[k, j] = A[j + k, j]``; the diagonal must lie in (-1, 1).
    v : ndarray, shape (n,), or None
    nb : int or None
        Units between two re-triangularisations (default :data:`HAMMARLING_BLOCK`).

    Returns
    -------
    ndarray, shape (n, n)
        Lower triangular (column signs arbitrary).
    """
    nb = HAMMARLING_BLOCK if nb is None else nb
    bw = AB.shape[0] - 1
    n = AB.shape[1]
    ABF = np.asfortranarray(AB)  # its column slices are the band storage of A's trailing blocks
    diag = AB[0]
    s_all = np.sqrt((1.0 - diag) * (1.0 + diag))
    X = np.zeros((n, n), order="F")
    dtbsv, dtbmv, drot = blas.dtbsv, blas.dtbmv, blas.drot
    hypot, copysign, sqrt = math.hypot, math.copysign, math.sqrt
    R = np.eye(n, order="F") if v is None else np.zeros((n, n), order="F")  # rhs = R^T R + pending
    init = None if v is None else np.asarray(v, dtype=float)
    a_cached, M_cached = None, None
    next_check = 128
    t = 0  # R covers units t .. n-1
    while t < n:
        nt = n - t
        blk = min(nb, nt)
        # stored rows S (a reflected z per unit and an appended w per unit); pending row q is
        # sum_i E[i, q] S[i] (so a reflector updates E, not the long rows)
        S = np.zeros((2 * blk + 1, nt))
        E = np.zeros((2 * blk + 1, blk + 1))
        used = p = 0
        if init is not None:
            S[0] = init[t:]
            E[0, 0] = 1.0
            used = p = 1
        for r in range(blk):
            j = t + r
            rrow = R[r, r + 1:]
            alpha = R[r, r]
            nx = 0.0
            if p:
                Eu = E[:used, :p]
                xp = S[:used, r] @ Eu  # the pending rows' entries in this unit's column
                nx = sqrt(float(xp @ xp))
            if nx == 0.0:
                beta = alpha
                b = np.array(rrow)
            else:  # Householder reflector zeroing the pending rows' column r
                beta = -copysign(hypot(alpha, nx), alpha)
                tau = (beta - alpha) / beta
                vq = xp * (1.0 / (alpha - beta))
                zrow = S[used, r + 1:]
                np.matmul(Eu @ vq, S[:used, r + 1:], out=zrow)  # (a strided GEMV)
                zrow += rrow
                b = rrow - tau * zrow
                E[used, :p] = vq * -tau
                used += 1
            a = diag[j]
            s = s_all[j]
            lj = beta / s
            if not math.isfinite(lj):  # overflow (LAPACK crawls through inf and NaN)
                raise Overflow
            X[j, j] = lj
            nr = n - j - 1
            if nr == 0:
                break
            y = dtbmv(bw, ABF[:, j + 1:], b * s, lower=1, overwrite_x=1)  # s A2 b
            for k in range(1, min(bw, nr) + 1):
                y[k - 1] += lj * AB[k, j]  # + c l
            if a != 0.0:  # (I - a A2) y = c l + s A2 b
                if a != a_cached:
                    a_cached, M_cached = a, ABF * -a
                    M_cached[0] += 1.0
                y = dtbsv(bw, M_cached[:, j + 1:], y, lower=1, overwrite_x=1)
            mcol = X[j + 1:, j]
            mcol[:] = y
            wrow = S[used, r + 1:]
            wrow[:] = b
            drot(mcol, wrow, a, s, overwrite_x=1, overwrite_y=1)  # m = a y + s b, -w = a b - s y
            E[used, p] = 1.0
            used += 1
            p += 1
        if t + blk >= next_check and t + blk < n:  # at sizes 128, 256, 512, ...: O(N^2) in all
            _check_leading_block(X, t + blk)
            next_check *= 2
        if t + blk >= n:
            break
        pending = E[:used, :p].T @ S[:used, blk:]
        if not np.all(np.isfinite(pending)):
            raise Overflow
        R = _tpqrt(np.array(R[blk:, blk:], order="F"), pending)
        t += blk
        init = None
    return X


TRAJECTORY_MAX = 4  # J_tot from at most this many times N lags of the trajectory, else S_v's own factor
_TRAJECTORY_TOL = 1e-17


def _trajectory_length(matvec, v: np.ndarray, L: Factor, k_cap: int) -> int | None:
    """The number K of lags after which ``sum_{k>=K} J(k)`` is below ``1e-17 J(0)``, or None if K > k_cap.

    The bound: ``J(k) <= ||u_k||^2`` (C >= I) and ``sum_{k>=K} ||u_k||^2 = u_K^T O u_K`` with
    ``O = sum_j W^jT W^j``, ``||O|| <= trace(O) = trace(C) = ||L||_F^2``, so the rest is at most
    ``||u_K||^2 ||L||_F^2``; J(0) = ||L^{-1} v||^2 <= J_tot.

    Parameters
    ----------
    matvec : callable
        ``u -> W u`` (may overwrite u).
    v : ndarray, shape (n,)
    L : Factor
    k_cap : int
    """
    trace_c = sum(float(np.sum(Lb * Lb)) for _, Lb in L.blocks)
    y = L.whiten(np.asarray(v, dtype=float)[:, None])
    limit = _TRAJECTORY_TOL * float(np.sum(y * y)) / trace_c
    u = np.array(v, dtype=float)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for k in range(k_cap + 1):
            if not float(u @ u) > limit:  # (also 0 for a nilpotent W)
                return max(k, 1)
            u = matvec(u)
    return None


def _check_leading_block(X: np.ndarray, k: int) -> None:
    """Raise BeyondDoublePrecision if X's finished leading k x k block already has
    ``factor_condition > 1/eps``: its rows are whole rows of the lower-triangular X, so its
    condition number (rows scaled) is a lower bound on X's."""
    rows = X[:k, :k]
    if not np.all(np.isfinite(rows)):
        raise Overflow
    cond = factor_condition(np.array(rows))
    if cond > 1.0 / _EPS:
        raise BeyondDoublePrecision(cond)


def _hammarling_factors(AB, rev, v):
    n = AB.shape[1]
    idx = np.arange(n)[::-1].copy() if rev else None
    with np.errstate(over="ignore", invalid="ignore"):
        L = _hammarling(AB)
    if not np.all(np.isfinite(L)):
        raise Overflow
    L *= np.where(np.diag(L) < 0, -1.0, 1.0)[None, :]
    factor = Factor([(idx, L)])
    G = None
    if v is not None:
        vr = v if idx is None else v[idx]
        ABF, bw = np.asfortranarray(AB), AB.shape[0] - 1
        K = _trajectory_length(lambda u: blas.dtbmv(bw, ABF, u, lower=1, overwrite_x=1),
                               vr, Factor([(None, L)]), TRAJECTORY_MAX * n)
        if K is not None:
            G = Trajectory(K)
        else:  # slow decay: S_v's factor costs less than so many lags
            with np.errstate(over="ignore", invalid="ignore"):
                G = [_hammarling(AB, vr)]
            if not np.all(np.isfinite(G[0])):
                raise Overflow
    return factor, G


# --------------------------------------------------------------------------- parity split


def _is_parity_coupling(W: np.ndarray, offsets: np.ndarray | None) -> bool:
    """Whether W only couples units of opposite parity (``W[i, j] = 0`` for even ``i - j``)."""
    if offsets is not None:
        return bool(offsets.size) and bool(np.all(offsets % 2 == 1))
    return not (np.any(W[::2, ::2]) or np.any(W[1::2, 1::2]))


def _banded_sum(A, F0, bandwidth_limit: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``S_m = sum_{k<m} A^k Q A^kT`` (``Q = F0 F0^T``) summed unfactored in sparse arithmetic, and ``A^m``.

    Doubles while ``||S||_inf <= FORMED_MAX_NORM`` and S's band stays narrow. Since
    ``C >= I``, an absolute error e in S_m is a relative error of at most e in every J(k)
    (the rest of the sum maps it to at most ``e C``), so forming a small S_m costs about
    ``eps ||S_m||`` and saves the doubling steps of narrow bands.

    Parameters
    ----------
    A, F0 : ndarray or sparse matrix
    bandwidth_limit : int

    Returns
    -------
    (S_m, A^m, m) or None
        Dense arrays; None when not even one step qualifies.
    """
    import scipy.sparse as sp

    P = sp.csr_matrix(A)
    F = sp.csr_matrix(F0)
    S = (F @ F.T).tocsr()

    def bandwidth(M):
        rows, cols = M.nonzero()
        return int(np.max(np.abs(rows - cols))) if rows.size else 0

    band_s, band_p = bandwidth(S), bandwidth(P)
    m = 1
    best = None
    for _ in range(_MAX_DOUBLINGS):
        if band_s + 2 * band_p > bandwidth_limit:  # the band of S + P S P^T
            break
        S_next = (S + P @ S @ P.T).tocsr()
        if not float(abs(S_next).sum(axis=1).max()) <= FORMED_MAX_NORM:
            break
        S, band_s = S_next, band_s + 2 * band_p
        P, band_p = P @ P, 2 * band_p
        m *= 2
        best = (S, P, m)
        if P.nnz == 0:
            break
    if best is None:
        return None
    S, P, m = best
    return S.toarray(), P.toarray(), m


def _sparse_if_narrow(M: np.ndarray):
    """M as a sparse (CSR) matrix if it has at most 8 non-zeros per row on average, else M."""
    if np.count_nonzero(M) <= 8 * M.shape[0]:
        import scipy.sparse as sp

        return sp.csr_matrix(M)
    return M


def _parity_factors(W, v, check_stationary):
    """Factors for a W that couples only opposite parities: C splits into its even and odd units.

    ``C_e = W_eo C_o W_eo^T + I`` and ``C_o = W_oe C_e W_oe^T + I``, so
    ``C_e = A C_e A^T + [I, W_eo][I, W_eo]^T`` with ``A = W_eo W_oe`` (half the size) and
    ``C_o``'s factor is the triangular factor of ``[W_oe L_e, I]``; the same for S_v, whose
    blocks between the parities do not enter ``trace(C^{-1} S_v)``.
    """
    n = W.shape[0]
    e, o = np.arange(0, n, 2), np.arange(1, n, 2)
    Weo, Woe = _sparse_if_narrow(W[np.ix_(e, o)]), _sparse_if_narrow(W[np.ix_(o, e)])
    ne = len(e)
    start = None
    if hasattr(Weo, "tocsr") and hasattr(Woe, "tocsr"):  # narrow: its first terms in banded form
        import scipy.sparse as sp

        A_sparse = Weo @ Woe
        start = _banded_sum(A_sparse, sp.hstack([sp.identity(ne, format="csr"), Weo]), int(FORMED_MAX_BAND * ne))
        A = A_sparse.toarray()
        Weo_d = Weo.toarray()
    else:
        Weo_d = Weo.toarray() if hasattr(Weo, "toarray") else Weo
        A = Weo_d @ (Woe.toarray() if hasattr(Woe, "toarray") else Woe)
    powers: dict[int, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        if start is None:
            m = 1
            L_e, _ = _doubling(A, _tpqrt(np.eye(ne), Weo_d.T), None, powers, check_stationary)
        else:
            S_m, A_m, m = start
            R0 = scipy.linalg.cholesky(S_m, lower=False, check_finite=False)
            L_e, _ = _doubling(A, R0, None, powers, check_stationary, P0=A_m, S0=S_m)
        L_o = _positive_diagonal(_tpqrt(np.eye(len(o)), (Woe @ L_e).T)).T
    if not np.all(np.isfinite(L_o)):
        raise Overflow
    factor = Factor([(e, L_e), (o, L_o)])
    if v is None:
        return factor, None
    import scipy.sparse as sp

    Wsp = sp.csr_matrix(W) if _sparse_if_narrow(W) is not W else W
    K = _trajectory_length(lambda u: Wsp @ u, v, factor, TRAJECTORY_MAX * n)
    if K is not None:
        return factor, Trajectory(K)
    # slow decay: S_v's factor by the same doubling (its first m terms, then the same powers)
    with np.errstate(over="ignore", invalid="ignore"):
        cols, u = [], np.column_stack([v[e], Weo @ v[o]])
        for _ in range(m):
            cols.append(u)
            u = A @ u
        G_e = compress(np.hstack(cols))
        for _, P in sorted(powers.items()):
            if not np.any(P):
                break
            G_e = compress(np.hstack([G_e, P @ G_e]))
        G_o = compress(np.hstack([Woe @ G_e, v[o][:, None]]))
    if not (np.all(np.isfinite(G_e)) and np.all(np.isfinite(G_o))):
        raise Overflow
    return factor, [G_e, G_o]


# --------------------------------------------------------------------------- entry point


def factors(
    W: np.ndarray,
    v: np.ndarray | None,
    horizon: int | None,
    powers: dict[int, np.ndarray] | None = None,
    check_stationary=None,
    solver: tuple[str, tuple | None] | None = None,
) -> tuple[Factor, list[np.ndarray] | Trajectory | None]:
    """Factors of ``C = sum_k W^k W^kT`` and of ``S_v = sum_k W^k v v^T W^kT``.

    Parameters
    ----------
    W : ndarray, shape (N, N)
    v : ndarray, shape (N,), or None
        Input vector; None skips ``S_v``.
    horizon : int or None
        None: all k >= 0 (stationary); T: k < T.
    powers : dict or None
        If given, filled with ``W^(2^j)`` where the doubling computes them (for
        :func:`nnrnn_edu.memory._signal_trajectory`).
    check_stationary : callable or None
        Called (no arguments) when the stationary sum converges slowly or a structured
        path meets an eigenvalue on or outside the unit circle; it raises if the spectral
        radius is >= 1.
    solver : tuple or None
        What :func:`_solver` returned for W (None: ask it).

    Returns
    -------
    L : Factor
        ``L L^T = C`` by blocks.
    G : list of ndarray, Trajectory or None
        Per block of L, ``G_b G_b^T = S_v[idx_b][:, idx_b]``, or the number of lags of the
        trajectory that sum S_v to rounding (None if ``v`` is None).

    Raises
    ------
    Overflow, DoublingDidNotConverge
    """
    n = W.shape[0]
    powers = {} if powers is None else powers
    solver, band = _solver(W, horizon) if solver is None else solver
    if solver == "hammarling":
        if np.all(np.abs(band[0][0]) < 1.0):
            return _hammarling_factors(band[0], band[1], v)
        if check_stationary is not None:
            check_stationary()
        solver = "parity" if n >= PARITY_MIN_N and _is_parity_coupling(W, diagonal_offsets(W)) else "doubling"
    if solver == "parity":
        return _parity_factors(W, v, check_stationary)
    if horizon is None:
        L, G = _doubling(W, None, None if v is None else v[:, None].copy(), powers, check_stationary)
    else:
        L, G = _finite_horizon(W, v, horizon, powers)
    return Factor([(None, L)]), (None if G is None else [G])


def _solver(W: np.ndarray, horizon: int | None) -> tuple[str, tuple | None]:
    """``("hammarling", band)``, ``("parity", None)`` or ``("doubling", None)``: what :func:`factors` uses."""
    n = W.shape[0]
    if horizon is not None:
        return "doubling", None
    offsets = diagonal_offsets(W)
    band = None if offsets is None or n < HAMMARLING_MIN_N else _triangular_band(W, offsets)
    if band is not None:
        return "hammarling", band
    if n >= PARITY_MIN_N and _is_parity_coupling(W, offsets):
        return "parity", None
    return "doubling", None


_SMALL = 256


def factors_single_threaded_if_small(W, v, horizon, powers=None, check_stationary=None):
    """:func:`factors`, with one BLAS thread where more cannot help.

    Multi-threaded OpenBLAS runs the small QR factorisations 5-100 times slower than
    one thread (much worse when another process holds a core); large ones gain. So: one
    thread below N = 256, and always for the structured solvers (Hammarling's method:
    level-2 operations and QRs of 64 rows; the parity split: several QRs of size N/2,
    measured 10 times slower with two threads while another process held a core).

    Parameters
    ----------
    W, v, horizon, powers, check_stationary
        As in :func:`factors`.

    Returns
    -------
    L, G
        As in :func:`factors`.
    """
    solver = _solver(W, horizon)
    if W.shape[0] >= _SMALL and solver[0] == "doubling":
        return factors(W, v, horizon, powers, check_stationary, solver)
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn; loaded only here

    with threadpool_limits(limits=1, user_api="blas"):
        return factors(W, v, horizon, powers, check_stationary, solver)


def factor_condition(L: np.ndarray) -> float:
    """Condition number (1-norm estimate) of L after scaling its rows to unit length.

    Row scaling is free (see the module docstring), so this is what limits the
    accuracy of ``L^{-1} x``: relative errors of about ``eps * factor_condition(L)``.

    Parameters
    ----------
    L : ndarray, shape (N, N), or Factor
        Lower triangular (a :class:`Factor`: the largest over its blocks).

    Returns
    -------
    float
        ``inf`` if L is singular in double precision.
    """
    if isinstance(L, Factor):
        return L.condition()
    rows = np.sqrt(np.sum(L * L, axis=1))
    if not np.all(rows > 0) or not np.all(np.diag(L) != 0):
        return float("inf")
    rcond, info = lapack.dtrcon(np.asfortranarray(L / rows[:, None]), norm="1", uplo="L", diag="N")
    return float("inf") if info != 0 or rcond <= 0 else 1.0 / float(rcond)


def whiten(L: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``L^{-1} U`` by a triangular solve (L lower triangular; a 1-D L is a diagonal).

    Parameters
    ----------
    L : ndarray, shape (N, N) or (N,)
    U : ndarray, shape (N, K)

    Returns
    -------
    ndarray, shape (N, K)
    """
    return _solve(L, U)

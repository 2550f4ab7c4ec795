"""The smallest singular value ``sigma_min(zI - W)`` on a grid of complex shifts z (:func:`sigma_min`).

Exact distances for normal W; inverse iteration and Lanczos on factored ``zI - W`` for non-normal W
(structured by :mod:`~nnrnn_edu.analysis.shifted_solves`); a batched dense SVD as the reference. Its level
sets are the epsilon-pseudospectra (:mod:`~nnrnn_edu.analysis.pseudospectra`). See chapter 4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._validate import finite_float, positive_int, square_matrix
from .shifted_solves import (_BandShifts, _bandwidths, _Contaminated, _fov_bound, _HermitianBandShifts, _norm2,
                             _norms, _rdot, _start, _symmetry_key, _triangular_form, _TriangularShifts)

PSEUDOSPECTRUM_METHODS = ("auto", "lanczos", "svd")
"""``"auto"``: exact distances for normal W, else ``"lanczos"``; ``"lanczos"``: inverse iteration and
Lanczos on factored ``zI - W`` (see :func:`sigma_min`); ``"svd"``: batched dense SVD (the reference)."""

_SCREEN = 2.0**-512  # the first solve's right-hand side: (zI - W)^{-1} of it overflows only beyond ~1e460
_HUGE = 1e150  # ||(zI - W)^{-1} v|| above this: sigma_min below ~1e-150, returned as 0
_FAR = 1e-2  # shift-invert where the field-of-values bound is >= this fraction of |z| + ||W||
_POWER_SOLVES = 6  # solves of plain inverse iteration before Lanczos takes over


def _converged(value: np.ndarray, prev: np.ndarray, step_prev: np.ndarray, tol: float):
    """Relative step of a monotone (increasing) estimate and whether its remaining error is below tol.

    With geometric convergence at rate r = step / previous step, the error left after this step is
    ``step r / (1 - r)``; converged when that is below ``tol / 10`` (measured errors stay below
    ~2 tol), never while r >= 0.9 or before two steps.
    """
    step = value / prev - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = step / step_prev
        done = (r < 0.9) & (step * r <= 0.1 * tol * (1.0 - r))  # a tenth: the rate is an estimate
    return step, done | (step <= 0.0)


def _top_ritz(diag: list[np.ndarray], off: list[np.ndarray]) -> np.ndarray:
    """Largest eigenvalue of the symmetric tridiagonal matrices (diag (G, k), off (G, k - 1)), batched."""
    a, b = np.stack(diag, axis=1), np.stack(off, axis=1) if off else np.zeros((diag[0].size, 0))
    k = a.shape[1]
    s = np.maximum(np.max(np.abs(a), axis=1), np.max(np.abs(b), axis=1, initial=0.0))
    s = np.where(s > 0, s, 1.0)[:, None]
    M = np.zeros((a.shape[0], k, k))
    i = np.arange(k)
    M[:, i, i] = a / s
    M[:, i[:-1], i[1:]] = b / s
    M[:, i[1:], i[:-1]] = b / s
    return np.linalg.eigvalsh(M)[:, -1] * s[:, 0]


def _gkl(op, v: np.ndarray, herm: bool, tol: float, max_iter: int) -> np.ndarray:
    """Largest singular value of F (``A^{-H}`` if ``herm``, else ``A^{-1}``) per row, by Golub-Kahan-Lanczos
    bidiagonalisation from the unit rows of v (no reorthogonalisation: the top value is unaffected)."""
    G = v.shape[0]
    out = np.empty(G)
    idx = np.arange(G)
    u = op.solve(v, herm)
    a = _norms(u)
    u /= a[:, None]
    alphas, betas = [a], []
    # sigma_max(B_k)^2 is the top eigenvalue of B_k^T B_k: diag a_i^2 + b_{i-1}^2, off a_i b_i (scaled)
    theta, step = a, np.full(G, np.nan)
    for _ in range(max_iter):
        p = op.solve(u, not herm) - alphas[-1][:, None] * v
        b = _norms(p)
        breakdown = b <= 1e-13 * theta  # an invariant subspace: theta is exact
        out[idx[breakdown]] = theta[breakdown]
        keep = ~breakdown
        if not np.any(keep):
            return out
        if not np.all(keep):
            op.keep(keep)
            idx, p, b, u, theta, step = idx[keep], p[keep], b[keep], u[keep], theta[keep], step[keep]
            alphas, betas = [x[keep] for x in alphas], [x[keep] for x in betas]
        betas.append(b)
        v = p / b[:, None]
        q = op.solve(v, herm) - b[:, None] * u
        a = _norms(q)
        u = q / np.where(a > 0, a, 1.0)[:, None]
        alphas.append(a)
        s = alphas[0][:, None]
        A, Bt = np.stack(alphas, axis=1) / s, np.stack(betas, axis=1) / s
        diag = [A[:, i] ** 2 + (Bt[:, i - 1] ** 2 if i else 0.0) for i in range(A.shape[1])]
        off = [A[:, i] * Bt[:, i] for i in range(Bt.shape[1])]
        new = np.sqrt(_top_ritz(diag, off)) * s[:, 0]
        step, done = _converged(new, theta, step, tol)
        done |= a <= 1e-13 * new  # an invariant subspace: new is exact
        theta = new
        out[idx[done]] = theta[done]
        keep = ~done
        if not np.any(keep):
            return out
        if not np.all(keep):
            op.keep(keep)
            idx, u, v, theta, step = idx[keep], u[keep], v[keep], theta[keep], step[keep]
            alphas, betas = [x[keep] for x in alphas], [x[keep] for x in betas]
    out[idx] = theta  # max_iter reached: the estimate (sigma_min from it is an upper bound)
    return out


def _inverse_iteration(op, G: int, tol: float, max_iter: int) -> np.ndarray:
    """``sigma_min(A_g)`` for the G shifted matrices of ``op``: inverse iteration, then Lanczos.

    Alternate solves with A and A^H from the fixed start vector: the norms grow monotonically
    to ``1 / sigma_min``; a point stops when the extrapolated remaining change is below ``tol``
    (where sigma_min is well separated from the next singular value, after 3 solves). The
    first solve is scaled by 2^-512: points whose ``||A^{-1} v||`` exceeds 1e150 (sigma_min below
    ~1e-150) are returned as 0 before any solve could overflow. Points not converged after
    6 solves continue by Golub-Kahan-Lanczos from the last vector.
    """
    out = np.zeros(G)
    idx = np.flatnonzero(~op.singular)
    if idx.size == 0:
        return out
    if idx.size < G:
        op.keep(~op.singular)
    v = np.broadcast_to(_SCREEN * _start(op.n), (idx.size, op.n)).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        w = op.solve(v, False)
        if not op.isolated and not np.all(np.isfinite(w)):
            raise _Contaminated
        w *= 1.0 / _SCREEN
        nrm = _norms(w)
    ok = nrm <= _HUGE  # False for inf and NaN: sigma_min below ~1e-150 (out stays 0)
    if not np.all(ok):
        op.keep(ok)
        idx, w, nrm = idx[ok], w[ok], nrm[ok]
    w /= nrm[:, None]
    herm, step = True, np.full(idx.size, np.nan)
    for _ in range(_POWER_SOLVES - 1):
        if idx.size == 0:
            return out
        x = op.solve(w, herm)
        nx = _norms(x)
        bad = ~np.isfinite(nx)
        if np.any(bad):  # sigma_min just below the screen's estimate: treated as the screen's
            if not op.isolated:
                raise _Contaminated
            out[idx[bad]] = 0.0
        step, done = _converged(nx, nrm, step, tol)
        done |= bad
        out[idx[done & ~bad]] = 1.0 / nx[done & ~bad]
        keep = ~done
        if not np.all(keep):
            op.keep(keep)
            idx, x, nx, step = idx[keep], x[keep], nx[keep], step[keep]
        w, nrm, herm = x / nx[:, None], nx, not herm
    if idx.size:
        out[idx] = 1.0 / _gkl(op, w, herm, tol, max_iter)
    return out


def _shift_invert(W: np.ndarray, kl: int, ku: int, z: np.ndarray, mu: np.ndarray, tol: float, max_iter: int):
    """``sigma_min(z_g I - W)`` by Lanczos on ``(A^H A - mu_g I)^{-1}``, mu_g below sigma_min^2.

    Where z is outside W's field of values, sigma_min is not small and the singular values
    cluster (inverse iteration would converge slowly); with the shift a certified
    ``mu <= sigma_min^2`` close to it, the top eigenvalue ``1 / (sigma_min^2 - mu)`` stands apart.
    ``A^H A - mu I`` is banded (bandwidth kl + ku) and positive definite: one stacked Cholesky
    factorisation. Returns (sigma, failed): failed points (not positive definite to rounding)
    are left to inverse iteration.
    """
    n, G = W.shape[0], z.size
    kd = kl + ku
    a = {}  # a[p][g, j] = A_g[j + p, j], p = -ku..kl (zero outside A); only p = 0 depends on z
    for p in range(-ku, kl + 1):
        col = np.zeros((1, n), dtype=np.complex128)
        rows = np.arange(max(0, -p), min(n, n - p))
        col[0, rows] = -W[rows + p, rows]
        a[p] = col + z[:, None] if p == 0 else col
    ab = np.zeros((kd + 1, G, n), dtype=np.complex128)  # upper storage: ab[kd - m, g, j] = H_g[j - m, j]
    for m in range(kd + 1):
        acc = ab[kd - m]
        for p in range(-ku, kl - m + 1):
            acc[:, m:] += a[p + m][:, : n - m].conj() * a[p][:, m:]
    ab[kd] -= mu[:, None]
    op = _HermitianBandShifts(ab)
    sigma = np.zeros(G)
    idx = op.live
    mu = mu[idx]
    q = np.broadcast_to(_start(n), (idx.size, n)).copy()
    q_prev, b_prev = np.zeros_like(q), np.zeros(idx.size)
    diag: list[np.ndarray] = []
    off: list[np.ndarray] = []
    theta, step = np.zeros(idx.size), np.full(idx.size, np.nan)
    for k in range(1, max_iter + 1):
        if idx.size == 0:
            break
        x = op.solve(q)
        al = _rdot(q, x)
        x -= al[:, None] * q
        x -= b_prev[:, None] * q_prev
        be = _norms(x)
        diag.append(al)
        done = be <= 1e-13 * np.maximum(theta, al)  # an invariant subspace: exact
        if k >= 4 or k == max_iter or np.any(done):  # no point converges to 1e-10 in fewer than 5 steps
            new = _top_ritz(diag, off)
            if k >= 5:
                step, conv = _converged(new, theta, step, tol)
                done |= conv
            theta = new
            done |= k == max_iter
            sigma[idx[done]] = np.sqrt(mu[done] + 1.0 / theta[done])
            keep = ~done
            if not np.all(keep):
                op.keep(keep)
                idx, x, q, be, mu = idx[keep], x[keep], q[keep], be[keep], mu[keep]
                theta, step = theta[keep], step[keep]
                diag, off = [d[keep] for d in diag], [o[keep] for o in off]
        off.append(be)
        x *= (1.0 / be)[:, None]
        q_prev, q, b_prev = q, x, be
    return sigma, op.failed


def _sigma_min_banded(W: np.ndarray, kl: int, ku: int, z: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    out = np.empty(z.size)
    norm = _norm2(W, kl, ku) * (1 + 1e-12)
    scale = np.abs(z) + norm  # >= ||zI - W||_2
    bound = _fov_bound(W, kl, ku, z, norm)
    far = bound >= _FAR * scale  # then ||A|| / sigma_min <= 100: A^H A keeps 1e-12 of sigma_min
    if np.any(far):
        mu = (bound[far] - 1e-9 * scale[far]) ** 2  # the margin covers the rounding of h and of A^H A
        sig, failed = _shift_invert(W, kl, ku, z[far], mu, tol, max_iter)
        out[far] = sig
        far[np.flatnonzero(far)[failed]] = False
    near = ~far
    if np.any(near):
        out[near] = _inverse_iteration(_BandShifts(W, kl, ku, z[near]), int(near.sum()), tol, max_iter)
    return out


def _sigma_min_svd(W: np.ndarray, z: np.ndarray) -> np.ndarray:
    n = W.shape[0]
    chunk = max(1, 2**22 // (n * n))  # ~64 MiB of complex matrices per batch
    out = np.empty(z.size)
    eye = np.eye(n)
    for lo in range(0, z.size, chunk):
        zz = z[lo : lo + chunk]
        out[lo : lo + chunk] = np.linalg.svd(zz[:, None, None] * eye - W, compute_uv=False)[:, -1]
    return out


def _is_normal(W: np.ndarray) -> np.ndarray | None:
    """W's eigenvalues if W is normal to rounding (its Schur form diagonal to 1e-13 ||W||_F), else None."""
    if np.array_equal(np.triu(W), W) or np.array_equal(np.tril(W), W):
        return np.diag(W).astype(np.complex128) if not np.any(W - np.diag(np.diag(W))) else None
    scale = max(1.0, float(np.linalg.norm(W)))
    # far from normal (so neither the Schur form nor BLAS products are needed): W^T W and W W^T have
    # different diagonals (column and row norms), or do not commute
    if np.max(np.abs(np.sum(W * W, axis=0) - np.sum(W * W, axis=1))) > 1e-8 * scale**2:
        return None
    if np.linalg.norm(W @ W.T - W.T @ W) > 1e-8 * scale**2:
        return None
    T, _ = scipy.linalg.schur(W, output="complex")
    return np.diag(T).copy() if np.linalg.norm(np.triu(T, 1)) <= 1e-13 * scale else None


def _sigma_min_nonnormal(W: np.ndarray, z: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    n = W.shape[0]
    Wb = W.T if np.array_equal(np.tril(W), W) and not np.array_equal(np.triu(W), W) else W  # triangular: upper
    kl, ku = _bandwidths(Wb)
    if n >= 2 and kl + ku <= max(2, n // 4):
        try:
            return _sigma_min_banded(Wb, kl, ku, z, tol, max_iter)
        except _Contaminated:
            pass  # an overflow beyond the screen: isolated solves below
    T = _triangular_form(W)
    chunk = max(256, 2_000_000 // n)  # bounds the (N, G) work arrays
    out = np.empty(z.size)
    for lo in range(0, z.size, chunk):
        zz = z[lo : lo + chunk]
        out[lo : lo + chunk] = _inverse_iteration(_TriangularShifts(T, zz), zz.size, tol, max_iter)
    return out


def sigma_min(
    W: Any,
    z: Any,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 300,
) -> np.ndarray:
    """Smallest singular value of ``zI - W`` for every point z (the pseudospectrum's function).

    Methods (times: N = 100, an 80 x 80 grid, one core of the loaded 2-core development machine,
    ``benchmarks/bench_explorers.py``):

    - ``"auto"``: if W is normal to rounding (its Schur form diagonal to 1e-13 ``||W||_F``), the
      exact ``min_i |z - lambda_i|`` (milliseconds); otherwise ``"lanczos"``.
    - ``"lanczos"``: W is factored once per z and sigma_min found by inverse iteration
      (Trefethen, "Computation of pseudospectra", Acta Numerica 1999), all points at once:

      * each value once per symmetry class: ``conj z`` (W is real), ``-z`` (W couples only
        opposite parities) and every rotation (W's nonzeros on one off-diagonal); on the
        symmetric grid of :func:`pseudospectrum` the chain has 820 classes of 6400 points;
      * banded W (the chain, the chain with feedback; triangular W transposed to upper
        triangular): ``zI - W`` LU-factored by LAPACK for all z in one call (``zgttrf``,
        ``zgbtrf``); alternate solves with ``zI - W`` and its adjoint, from a fixed start
        vector, until the extrapolated change is below ``tol / 10`` (3 solves where sigma_min
        stands apart, as it does inside the pseudospectrum), then Golub-Kahan-Lanczos.
        Triangular systems solved by substitution keep the relative accuracy of tiny values
        (the chain's ``|z|^N``). Where z is outside W's field of values by more than 1 % of
        ``|z| + ||W||``, the singular values cluster and inverse iteration would be slow:
        Lanczos on ``((zI - W)^H (zI - W) - mu I)^{-1}`` instead, mu just below a certified
        lower bound on sigma_min^2 (the distance to W's field of values, or ``|z| - ||W||``),
        a banded Cholesky factorisation for all z in one call (about 0.03 s for the chain,
        0.05 s for the chain with feedback);
      * dense W: the complex Schur form ``W = Q T Q^H`` (Q unitary keeps singular values),
        then the same inverse iteration with triangular solves of ``T - zI``, vectorised
        over z (about 0.7 s for a trained network).

      Relative accuracy about ``tol`` (against 80-digit references, within 2 tol; values
      down to 1e-39 included, where the dense SVD is off by orders of magnitude).
    - ``"svd"``: batched dense SVD of every ``zI - W`` (absolute accuracy ~1e-16 ``||zI - W||``:
      no relative accuracy below ~1e-12; ~8 s).

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
        Real matrix (float32 and tensors are converted to float64).
    z : complex array_like, any shape
    method : {"auto", "lanczos", "svd"}
    tol : float
        Relative accuracy of the iterations, in (0, 0.1].
    max_iter : int
        Lanczos steps at most; a point not converged by then gets its estimate, an upper
        bound on sigma_min.

    Returns
    -------
    ndarray, same shape as z, float64
        ``sigma_min(zI - W) >= 0``. Values below ~1e-150 (deep inside the pseudospectrum of
        a long chain, where ``(zI - W)^{-1}`` of a unit vector exceeds 1e150) are returned
        as 0, as are points where ``zI - W`` is singular to rounding.

    See chapter 4.
    """
    W = square_matrix(W, "W")
    if method not in PSEUDOSPECTRUM_METHODS:
        raise ValueError(f"method must be one of {PSEUDOSPECTRUM_METHODS}, got {method!r}")
    tol = finite_float(tol, "tol")
    if not 0 < tol <= 0.1:
        raise ValueError(f"tol must be in (0, 0.1], got {tol!r}")
    max_iter = positive_int(max_iter, "max_iter")
    try:
        zz = np.asarray(z, dtype=np.complex128)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"z must be an array of complex numbers: {exc}") from None
    if not np.all(np.isfinite(zz)):
        raise ValueError("z contains NaN or infinite entries")
    flat = zz.ravel()
    if flat.size == 0:
        return np.zeros(zz.shape)
    if method == "svd":
        return _sigma_min_svd(W, flat).reshape(zz.shape)
    key = _symmetry_key(W, flat)
    uz, inverse = np.unique(key, return_inverse=True)
    lam = _is_normal(W) if method == "auto" else None
    if lam is not None:  # normal: sigma_min = distance to the spectrum
        out = np.abs(uz[:, None] - lam[None, :]).min(axis=1)
    else:
        out = _sigma_min_nonnormal(W, uz, tol, max_iter)
    return out[inverse.ravel()].reshape(zz.shape)

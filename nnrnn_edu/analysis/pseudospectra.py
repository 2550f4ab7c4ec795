"""epsilon-pseudospectra of recurrent matrices (Trefethen & Embree; on trained RNNs: Sengupta & Friston).

``sigma_min(zI - W)`` on a grid of the complex plane (:func:`sigma_min`,
:func:`pseudospectrum`); its level sets ``sigma_min < eps`` are the
epsilon-pseudospectra, and :func:`pseudospectral_radius` their reach. For
non-normal W (chains) they are far larger than the eigenvalues suggest.
:func:`pseudospectrum_explorer_data` is the computation behind chapter 4's
explorer (:func:`sigma_min` says how the grid is computed in a few hundredths of a
second). Importing this module imports neither torch nor matplotlib. See chapter 4.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg

from .._validate import finite_float, positive_int, square_matrix
from ..connectivity import eigenvalues, henrici_index, memory_network



class Pseudospectrum(NamedTuple):
    """``sigma_min(zI - W)`` on a rectangular grid of the complex plane.

    The epsilon-pseudospectrum is the region ``sigma < eps``: the set of z that are
    eigenvalues of some ``W + E`` with ``||E||_2 < eps``.

    Attributes
    ----------
    re : ndarray, shape (n_re,)
        Real parts of the grid.
    im : ndarray, shape (n_im,)
        Imaginary parts of the grid.
    sigma : ndarray, shape (n_im, n_re)
        ``sigma[a, b] = sigma_min((re[b] + 1j im[a]) I - W)`` (``matplotlib.contour`` layout).
    eigenvalues : ndarray, shape (N,), complex
        By :func:`nnrnn_edu.connectivity.eigenvalues` (exact for the structured initialisers).

    See chapter 4.
    """

    re: np.ndarray
    im: np.ndarray
    sigma: np.ndarray
    eigenvalues: np.ndarray


PSEUDOSPECTRUM_METHODS = ("auto", "lanczos", "svd")
"""``"auto"``: exact distances for normal W, else ``"lanczos"``; ``"lanczos"``: inverse iteration and
Lanczos on factored ``zI - W`` (see :func:`sigma_min`); ``"svd"``: batched dense SVD (the reference)."""

_SCREEN = 2.0**-512  # the first solve's right-hand side: (zI - W)^{-1} of it overflows only beyond ~1e460
_HUGE = 1e150  # ||(zI - W)^{-1} v|| above this: sigma_min below ~1e-150, returned as 0
_FAR = 1e-2  # shift-invert where the field-of-values bound is >= this fraction of |z| + ||W||
_ANGLES = 64  # supporting lines of the field of values
_POWER_SOLVES = 6  # solves of plain inverse iteration before Lanczos takes over


class _Contaminated(Exception):
    """A stacked banded solve overflowed; the blocks may have mixed (0 * inf): use isolated solves."""


def _start(n: int) -> np.ndarray:
    """The fixed start vector (same grid, same picture)."""
    rng = np.random.default_rng(0)
    v = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    return v / np.linalg.norm(v)


def _norms(X: np.ndarray) -> np.ndarray:
    """Row norms of a C-contiguous complex (G, n) array."""
    V = X.view(np.float64)
    return np.sqrt(np.einsum("gi,gi->g", V, V))


def _rdot(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``Re(x_g^H y_g)`` for the rows of two C-contiguous complex (G, n) arrays."""
    return np.einsum("gi,gi->g", X.view(np.float64), Y.view(np.float64))


def _bandwidths(W: np.ndarray) -> tuple[int, int]:
    """``(kl, ku)``: W[i, j] == 0 unless -kl <= j - i <= ku."""
    i, j = np.nonzero(W)
    if i.size == 0:
        return 0, 0
    return int(max(0, np.max(i - j))), int(max(0, np.max(j - i)))


def _couples_opposite_parities(W: np.ndarray) -> bool:
    """``W[i, j] == 0`` whenever i + j is even: then ``D W D = -W`` (D = diag(+-1)), so sigma_min(z) = sigma_min(-z)."""
    n = W.shape[0]
    even = (np.arange(n)[:, None] + np.arange(n)[None, :]) % 2 == 0
    return not np.any(W[even])


def _symmetry_key(W: np.ndarray, z: np.ndarray) -> np.ndarray:
    """One representative of each z's class of points with the same ``sigma_min(zI - W)``.

    W is real: ``conj z``. W couples only opposite parities (chains, the chain with feedback):
    also ``-z`` (``D W D = -W`` with ``D = diag(+-1)``). W's nonzeros all on one off-diagonal (the
    chain): every rotation of z (``D W D^* = e^{-ik psi} W`` with ``D = diag(e^{i j psi})``), of which
    the grid has ``i z`` (re and im swapped).
    """
    x, y = np.abs(z.real), np.abs(z.imag)
    i, j = np.nonzero(W)
    if i.size and np.all(j - i == j[0] - i[0]) and j[0] != i[0]:
        return np.minimum(x, y) + 1j * np.maximum(x, y)
    return (x if _couples_opposite_parities(W) else z.real) + 1j * y


def _triangular_form(W: np.ndarray) -> np.ndarray:
    """Upper-triangular T with ``sigma(zI - T) = sigma(zI - W)`` for every z.

    Triangular W is used as it is (transposed if lower: transposition keeps
    singular values), which keeps the chain's tiny singular values accurate;
    otherwise the complex Schur form (unitary similarity, backward stable).
    """
    if np.array_equal(np.triu(W), W):
        return W.astype(np.complex128)
    if np.array_equal(np.tril(W), W):
        return W.T.astype(np.complex128)
    T, _ = scipy.linalg.schur(W, output="complex")
    return T


class _TriangularShifts:
    """``A_g = T - z_g I`` for upper-triangular T; solves by substitution, vectorised over g.

    Each z is its own column: an overflow stays in its column.
    """

    isolated = True

    def __init__(self, T: np.ndarray, z: np.ndarray) -> None:
        self.n = T.shape[0]
        self.T, self.L = T, np.ascontiguousarray(T.conj().T)
        self.d = np.ascontiguousarray(np.diag(T)[:, None] - z[None, :])  # (n, G)
        self.singular = np.any(self.d == 0, axis=0)  # z is an eigenvalue (a diagonal entry of T)

    def keep(self, mask: np.ndarray) -> None:
        self.d = self.d[:, mask]

    def solve(self, X: np.ndarray, herm: bool) -> np.ndarray:
        """``A^{-1} x_g`` (``A^{-H} x_g`` if ``herm``) for the rows of X (G, n)."""
        n, B = self.n, X.T
        x = np.empty((n, X.shape[0]), dtype=np.complex128)
        if herm:  # A^H = L - conj(z) I, lower triangular
            L, d = self.L, self.d.conj()
            x[0] = B[0] / d[0]
            for i in range(1, n):
                x[i] = (B[i] - L[i, :i] @ x[:i]) / d[i]
        else:
            T, d = self.T, self.d
            x[n - 1] = B[n - 1] / d[n - 1]
            for i in range(n - 2, -1, -1):
                x[i] = (B[i] - T[i, i + 1 :] @ x[i + 1 :]) / d[i]
        return np.ascontiguousarray(x.T)


def _blocks(a: np.ndarray, G: int, n: int) -> np.ndarray:
    """A stacked LAPACK array (length G n - k) as (G, n), zero-padded at the end."""
    out = np.zeros(G * n, dtype=a.dtype)
    out[: a.size] = a
    return out.reshape(G, n)


class _BandShifts:
    """``A_g = z_g I - W`` for banded W, LU-factored (partial pivoting) for all g in one call.

    The blocks stacked along the diagonal make one banded matrix of order G n, factored by
    LAPACK's ``zgttrf`` (tridiagonal W) or ``zgbtrf``: their coupling entries are exact zeros,
    never pivots, so each block's factors are its own. An infinity in one block would still
    spread to the others (0 * inf), so :func:`_inverse_iteration` screens the points whose
    inverse could overflow before any unscaled solve.
    """

    isolated = False

    def __init__(self, W: np.ndarray, kl: int, ku: int, z: np.ndarray) -> None:
        n, G = W.shape[0], z.size
        self.n, self.kl, self.ku = n, kl, ku
        self.tri = kl <= 1 and ku <= 1
        if self.tri:  # the factors overwrite dl, d, du (padded to G n: one zero between blocks)
            dl = np.tile(np.append(-np.diag(W, -1), 0.0).astype(np.complex128), G)
            du = np.tile(np.append(-np.diag(W, 1), 0.0).astype(np.complex128), G)
            d = (z[:, None] - np.diag(W)[None, :]).ravel()
            _, _, _, du2, ipiv, _ = scipy.linalg.lapack.zgttrf(dl[:-1], d, du[:-1], overwrite_dl=1, overwrite_d=1,
                                                               overwrite_du=1)
            self.parts = [dl.reshape(G, n), d.reshape(G, n), du.reshape(G, n), _blocks(du2, G, n)]
            pivots = self.parts[1]
        else:
            ldab = 2 * kl + ku + 1
            ab = np.zeros((ldab, G, n), dtype=np.complex128)
            for o in range(-kl, ku + 1):  # o = j - i: A[j - o, j] in row kl + ku - o
                cols = np.arange(max(0, o), min(n, n + o))
                ab[kl + ku - o][:, cols] = (z[:, None] if o == 0 else 0.0) - W[cols - o, cols][None, :]
            lu, ipiv, _ = scipy.linalg.lapack.zgbtrf(ab.reshape(ldab, G * n), kl, ku)
            self.parts = [lu.reshape(ldab, G, n)]
            pivots = self.parts[0][kl + ku]
        self.rel = (ipiv - np.arange(1, G * n + 1, dtype=ipiv.dtype)).reshape(G, n)  # pivot row - row, per block
        self._ipiv = ipiv
        self.singular = np.any(pivots == 0, axis=1)  # an exact zero pivot: singular to rounding

    def keep(self, mask: np.ndarray) -> None:
        self.parts = [p[mask] if self.tri else p[:, mask] for p in self.parts]
        self.rel = self.rel[mask]
        self._ipiv = (self.rel.ravel() + np.arange(1, self.rel.size + 1, dtype=self.rel.dtype)).astype(self.rel.dtype)

    def solve(self, X: np.ndarray, herm: bool) -> np.ndarray:
        """``A^{-1} x_g`` (``A^{-H} x_g`` if ``herm``) for the rows of X (G, n)."""
        b = X.reshape(-1, 1)
        if self.tri:
            dl, d, du, du2 = (p.ravel() for p in self.parts)
            x, _ = scipy.linalg.lapack.zgttrs(dl[:-1], d, du[:-1], du2[:-2], self._ipiv, b, trans="C" if herm else "N")
        else:
            lu = self.parts[0]
            x, _ = scipy.linalg.lapack.zgbtrs(lu.reshape(lu.shape[0], -1), self.kl, self.ku, b, self._ipiv,
                                              trans=2 if herm else 0)
        return x.reshape(X.shape)


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


def _support(W: np.ndarray, kl: int, ku: int) -> tuple[np.ndarray, np.ndarray]:
    """Angles t and ``h(t) = lambda_max((e^{-it} W + e^{it} W^T) / 2)``, the support function of W's
    field of values F = {x^H W x : ||x|| = 1} (``Re(e^{-it} w) <= h(t)`` for every w in F).

    64 angles; W is real, so ``h(-t) = h(t)``. Banded Hermitian eigenproblems: a tridiagonal W
    gives a tridiagonal one (real symmetric after a diagonal unitary similarity, ``stebz``).
    """
    n, M = W.shape[0], _ANGLES
    t = 2 * np.pi * np.arange(M // 2 + 1) / M
    h = np.full(t.size, np.nan)
    kd = max(kl, ku)
    bipartite = _couples_opposite_parities(W)  # then K(t + pi) = -K(t) = D K(t) D: h(t + pi) = h(t)
    for k, tk in enumerate(t):
        if bipartite and k > M // 4:
            h[k] = h[k - M // 2] if k >= M // 2 else h[M // 2 - k]  # h(t) = h(t - pi) = h(pi - t)
            continue
        e_m, e_p = np.exp(-1j * tk) / 2, np.exp(1j * tk) / 2
        if kd <= 1:
            off = np.abs(e_m * np.diag(W, 1) + e_p * np.diag(W, -1))
            h[k] = scipy.linalg.eigvalsh_tridiagonal(np.cos(tk) * np.diag(W), off, select="i",
                                                     select_range=(n - 1, n - 1), lapack_driver="stebz")[0]
        else:
            band = np.zeros((kd + 1, n), dtype=np.complex128)  # upper storage: band[kd + i - j, j] = K[i, j]
            for o in range(kd + 1):
                cols = np.arange(o, n)
                band[kd - o, cols] = e_m * W[cols - o, cols] + e_p * W[cols, cols - o]
            h[k] = scipy.linalg.eig_banded(band, eigvals_only=True, select="i", select_range=(n - 1, n - 1))[0]
    return np.concatenate([t, 2 * np.pi - t[1 : M // 2][::-1]]), np.concatenate([h, h[1 : M // 2][::-1]])


def _fov_bound(W: np.ndarray, kl: int, ku: int, z: np.ndarray, norm: float) -> np.ndarray:
    """A lower bound on ``sigma_min(zI - W)``: the larger of ``|z| - ||W||_2`` and the distance from z
    to the polygon P (64 sides) that the support lines of W's field of values F cut out.

    For a unit x, ``||(zI - W) x|| >= |x^H (zI - W) x| >= dist(z, F) >= dist(z, P)`` (F lies in P).
    ``norm`` must be ``>= ||W||_2``.
    """
    t, h = _support(W, kl, ku)
    e = np.exp(1j * t)
    dt = np.diff(np.append(t, 2 * np.pi))  # vertex j: lines j and j + 1 meet
    vert = e * (h + 1j * (np.roll(h, -1) - h * np.cos(dt)) / np.sin(dt))
    a, ab = np.roll(vert, 1), vert - np.roll(vert, 1)  # side j: from vertex j - 1 to vertex j
    bound = np.maximum(np.abs(z) - norm, 0.0)
    out = np.flatnonzero(np.max(z.real[:, None] * e.real + z.imag[:, None] * e.imag - h, axis=1) > 0)
    zz = z[out, None] - a
    s = np.clip((zz.real * ab.real + zz.imag * ab.imag) / np.maximum(ab.real**2 + ab.imag**2, 1e-300), 0.0, 1.0)
    bound[out] = np.maximum(bound[out], np.min(np.abs(zz - s * ab), axis=1))
    return bound


class _HermitianBandShifts:
    """``A_g^H A_g - mu_g I`` (banded, positive definite) Cholesky-factored for all g in one call.

    Upper band storage ``ab[kd - m, g, j] = H_g[j - m, j]``; ``zpttrf`` (LDL^H) when tridiagonal, else
    ``zpbtrf``. A block that is not positive definite to rounding is dropped (``failed``) and the
    others are refactored.
    """

    def __init__(self, ab: np.ndarray) -> None:
        self.kd, G, self.n = ab.shape
        self.kd -= 1
        live = np.arange(G)
        self.failed = np.zeros(G, dtype=bool)
        while live.size:
            info = self._factor(ab if live.size == G else ab[:, live])
            if info == 0:
                break
            bad = live[(info - 1) // self.n]  # the block whose leading minor failed
            self.failed[bad] = True
            live = live[live != bad]
            if np.sum(self.failed) > 8:  # something is wrong with the shifts: inverse iteration for all
                self.failed[:] = True
                live = live[:0]
        self.live = live

    def _factor(self, ab: np.ndarray) -> int:
        if self.kd == 1:
            d, e, info = scipy.linalg.lapack.zpttrf(ab[1].real.ravel(), ab[0].ravel()[1:].conj())
            self.parts = [_blocks(d, d.size // self.n, self.n), _blocks(e, d.size // self.n, self.n)]
        else:
            c, info = scipy.linalg.lapack.zpbtrf(ab.reshape(self.kd + 1, -1), lower=0)
            self.parts = [c.reshape(ab.shape)]
        return info

    def keep(self, mask: np.ndarray) -> None:
        self.parts = [p[mask] for p in self.parts] if self.kd == 1 else [self.parts[0][:, mask]]

    def solve(self, X: np.ndarray) -> np.ndarray:
        b = X.reshape(-1, 1)
        if self.kd == 1:
            d, e = self.parts
            x, _ = scipy.linalg.lapack.zpttrs(d.ravel(), e.ravel()[:-1], b, lower=1)
        else:
            c = self.parts[0]
            x, _ = scipy.linalg.lapack.zpbtrs(c.reshape(self.kd + 1, -1), b, lower=0)
        return x.reshape(X.shape)


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


def _norm2(W: np.ndarray, kl: int, ku: int) -> float:
    """``||W||_2`` of banded W: the top eigenvalue of the banded ``W^T W`` (LAPACK ``dsbevx``, no
    multithreaded BLAS: on a busy machine a threaded SVD of a 100 x 100 matrix can take 30 ms)."""
    n, kd = W.shape[0], kl + ku
    band = np.zeros((kd + 1, n))  # upper storage: band[kd + i - j, j] = (W^T W)[i, j]
    for o in range(min(kd, n - 1) + 1):
        band[kd - o, o:] = np.sum(W[:, : n - o] * W[:, o:], axis=0)
    lam = scipy.linalg.eig_banded(band[kd - min(kd, n - 1):], eigvals_only=True, select="i",
                                  select_range=(n - 1, n - 1))
    return float(np.sqrt(max(lam[0], 0.0)))


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


def _axis(lo: float, hi: float, n: int) -> np.ndarray:
    """``np.linspace(lo, hi, n)``, exactly symmetric about 0 when ``lo == -hi`` (it is to within an ulp).

    :func:`sigma_min` computes each value of sigma_min once per symmetry class (z, conj z and,
    for W coupling only opposite parities, -z); a grid that is symmetric to the last bit has
    four (or two) points per class instead of one.
    """
    x = np.linspace(lo, hi, n)
    return (x - x[::-1]) / 2 if lo == -hi else x


def pseudospectrum(
    W: Any,
    extent: float | tuple[float, float, float, float] | None = None,
    n_grid: int = 80,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 300,
) -> Pseudospectrum:
    """``sigma_min(zI - W)`` on an ``n_grid x n_grid`` grid (epsilon-pseudospectra by contouring).

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
    extent : float, (re_min, re_max, im_min, im_max) or None
        A float R means the square ``[-R, R]^2``. ``None``: ``R = 1.15 max(1, ||W||_2)``,
        which holds the unit circle and every epsilon-pseudospectrum with
        ``eps < 0.15 max(1, ||W||_2)`` (they lie in the disc of radius ``||W||_2 + eps``).
    n_grid : int
        Points per axis (>= 2).
    method, tol, max_iter :
        As in :func:`sigma_min`.

    Returns
    -------
    Pseudospectrum
        ``re`` (n_grid,), ``im`` (n_grid,), ``sigma`` (n_grid, n_grid), ``eigenvalues`` (N,).

    See chapter 4.
    """
    W = square_matrix(W, "W")
    n_grid = positive_int(n_grid, "n_grid")
    if n_grid < 2:
        raise ValueError(f"n_grid must be >= 2, got {n_grid}")
    if extent is None:
        kl, ku = _bandwidths(W)
        norm = _norm2(W, kl, ku) if kl + ku <= W.shape[0] // 4 else float(np.linalg.norm(W, 2))
        R = 1.15 * max(1.0, norm)
        box = (-R, R, -R, R)
    elif isinstance(extent, numbers.Real) and not isinstance(extent, bool):
        R = finite_float(extent, "extent")
        if R <= 0:
            raise ValueError(f"extent must be > 0, got {extent!r}")
        box = (-R, R, -R, R)
    else:
        try:
            box = tuple(finite_float(x, "extent") for x in extent)  # type: ignore[union-attr]
        except TypeError:
            raise ValueError(f"extent must be a float or (re_min, re_max, im_min, im_max), got {extent!r}") from None
        if len(box) != 4 or box[0] >= box[1] or box[2] >= box[3]:
            raise ValueError(f"extent must be (re_min, re_max, im_min, im_max) with min < max, got {extent!r}")
    re, im = _axis(box[0], box[1], n_grid), _axis(box[2], box[3], n_grid)
    Z = re[None, :] + 1j * im[:, None]  # (n_im, n_re)
    sigma = sigma_min(W, Z, method=method, tol=tol, max_iter=max_iter)
    return Pseudospectrum(re, im, sigma, eigenvalues(W))


def pseudospectral_radius(ps: Pseudospectrum, eps: float) -> float:
    """Largest ``|z|`` on the grid inside the epsilon-pseudospectrum (``sigma_min < eps``).

    A grid estimate (to the grid spacing) of ``max{|z| : sigma_min(zI - W) < eps}``;
    ``eps + rho(W)`` for normal W, far larger than the spectral radius for chains.

    Parameters
    ----------
    ps : Pseudospectrum
        From :func:`pseudospectrum`.
    eps : float
        > 0.

    Returns
    -------
    float
        NaN if no grid point has ``sigma < eps``.

    See chapter 4.
    """
    eps = finite_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    Z = ps.re[None, :] + 1j * ps.im[:, None]
    inside = ps.sigma < eps
    return float(np.max(np.abs(Z[inside]))) if np.any(inside) else float("nan")



class PseudospectrumExplorerData(NamedTuple):
    """What chapter 4's pseudospectrum explorer shows for one initialiser (see :func:`pseudospectrum_explorer_data`).

    Attributes
    ----------
    kind : str
        One of :data:`nnrnn_edu.connectivity.KINDS`.
    n : int
        Network size N.
    alpha, beta, lam : float
        Chain forward gain, chain feedback, scale of the normal networks (as passed).
    eps : float
        The highlighted epsilon.
    pseudospectrum : Pseudospectrum
        ``sigma_min(zI - W)`` on the grid, with the eigenvalues.
    spectral_radius : float
        Largest eigenvalue modulus.
    pseudospectral_radius : float
        Grid estimate of the epsilon-pseudospectral radius (:func:`pseudospectral_radius`).
    henrici : float
        Henrici index ``d(W)``.

    See chapter 4.
    """

    kind: str
    n: int
    alpha: float
    beta: float
    lam: float
    eps: float
    pseudospectrum: Pseudospectrum
    spectral_radius: float
    pseudospectral_radius: float
    henrici: float


def pseudospectrum_explorer_data(
    kind: str = "chain",
    n: int = 100,
    alpha: float = 1.0,
    beta: float = 0.04,
    lam: float = 1.0,
    eps: float = 1e-2,
    n_grid: int = 80,
    seed: int = 0,
) -> PseudospectrumExplorerData:
    """Eigenvalues, epsilon-pseudospectra and their radii of one initialiser (chapter 4's explorer).

    Builds W with :func:`nnrnn_edu.connectivity.memory_network` (``alpha`` the chain's
    forward gain, also for ``"fbchain"``; ``beta`` its feedback) and computes
    ``sigma_min(zI - W)`` on an ``n_grid x n_grid`` grid (:func:`pseudospectrum`; about 0.03-0.05 s
    at N = 100, 80 x 80). A call with the same W and grid as the last one (only ``eps`` moved, or a
    parameter the kind ignores) reuses its grid: the returned arrays are read-only.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int
        Network size N.
    alpha, beta : float
        Chain forward gain and feedback weight.
    lam : float
        Scale of the normal networks.
    eps : float
        The highlighted epsilon (> 0).
    n_grid : int
        Grid points per axis.
    seed : int
        Seed of the random orthogonal matrix.

    Returns
    -------
    PseudospectrumExplorerData
        ``pseudospectrum.sigma`` has shape (n_grid, n_grid).

    See chapter 4.
    """
    eps = finite_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    # all three checked, also those the kind ignores: the data records them (and the plot shows them)
    alpha, beta, lam = (finite_float(x, name) for x, name in ((alpha, "alpha"), (beta, "beta"), (lam, "lam")))
    # One BLAS thread: the products and factorisations are small (N <= 200), and multi-threaded
    # OpenBLAS made the orthogonal network's move take 3 s instead of 0.04 s while another process
    # held a core (its QR, Schur form and norm).
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        W, _ = memory_network(kind, n, alpha=alpha, beta=beta, lam=lam, seed=seed)
        key = (W.tobytes(), W.shape, positive_int(n_grid, "n_grid"))
        if _EXPLORER_LAST.get("key") != key:  # the epsilon slider (and a control the kind ignores) reuses the grid
            ps = pseudospectrum(W, n_grid=n_grid)
            for a in ps:
                a.flags.writeable = False  # shared with the next call's data
            _EXPLORER_LAST.update(key=key, ps=ps, henrici=henrici_index(W))
    ps = _EXPLORER_LAST["ps"]
    return PseudospectrumExplorerData(
        kind=kind, n=n, alpha=alpha, beta=beta, lam=lam, eps=eps, pseudospectrum=ps,
        spectral_radius=float(np.max(np.abs(ps.eigenvalues))),
        pseudospectral_radius=pseudospectral_radius(ps, eps),
        henrici=_EXPLORER_LAST["henrici"],
    )


_EXPLORER_LAST: dict[str, Any] = {}
"""The last grid :func:`pseudospectrum_explorer_data` computed, by W and n_grid (read-only arrays)."""


__all__ = [
    "PSEUDOSPECTRUM_METHODS",
    "Pseudospectrum",
    "PseudospectrumExplorerData",
    "pseudospectral_radius",
    "pseudospectrum",
    "pseudospectrum_explorer_data",
    "sigma_min",
]

"""Solves with ``zI - W`` at many shifts z at once: the structured kernels behind :func:`~nnrnn_edu.analysis.sigma_min`.

Triangular and banded ``W`` (chains, trained networks in their Schur or band form) are solved by stacked
banded LU, Hermitian banded ``A^H A - mu I`` by stacked ``dpbsv``-style solves, and the field of values by
its support function. Everything here is private to the analysis package. See chapter 4.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

_ANGLES = 64  # supporting lines of the field of values


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

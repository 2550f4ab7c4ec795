"""epsilon-pseudospectra of recurrent matrices (Trefethen & Embree; on trained RNNs: Sengupta & Friston).

``sigma_min(zI - W)`` on a grid of the complex plane (:func:`sigma_min`,
:func:`pseudospectrum`); its level sets ``sigma_min < eps`` are the
epsilon-pseudospectra, and :func:`pseudospectral_radius` their reach. For
non-normal W (chains) they are far larger than the eigenvalues suggest.
:func:`pseudospectrum_explorer_data` is the computation behind chapter 4's
explorer. Importing this module imports neither torch nor matplotlib. See chapter 4.
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
"""``"auto"``: exact distances for normal W, else ``"lanczos"``; ``"svd"``: batched dense SVD (reference)."""


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


def _solve_upper(T: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``(strict_upper(T) + diag(d[:, g])) x[:, g] = b[:, g]`` for all columns g at once."""
    n = T.shape[0]
    x = np.empty_like(b)
    x[n - 1] = b[n - 1] / d[n - 1]
    for i in range(n - 2, -1, -1):  # row i: a (1, n-i-1) @ (n-i-1, G) product per step
        x[i] = (b[i] - T[i, i + 1 :] @ x[i + 1 :]) / d[i]
    return x


def _solve_lower(L: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``(strict_lower(L) + diag(d[:, g])) y[:, g] = b[:, g]`` for all columns g at once."""
    n = L.shape[0]
    y = np.empty_like(b)
    y[0] = b[0] / d[0]
    for i in range(1, n):
        y[i] = (b[i] - L[i, :i] @ y[:i]) / d[i]
    return y


def _sigma_min_lanczos(T: np.ndarray, z: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Inverse Lanczos (Trefethen's ``psa`` scheme), vectorised over grid points.

    Lanczos on ``B = (A^H A)^{-1}``, ``A = T - zI``, one column per z; each step
    costs two triangular solves, O(N^2) per z. ``1 / sqrt(lambda_max(B))`` is
    ``sigma_min(A)``. Columns leave the active set once the largest Ritz value
    changes by less than ``tol`` (relative) between checks.
    """
    n = T.shape[0]
    out = np.empty(z.size)
    diag_all = np.diag(T)[:, None] - z[None, :]  # (N, G): diagonal of A per grid point
    exact_zero = np.any(diag_all == 0, axis=0)  # z is an eigenvalue (a diagonal entry of T)
    out[exact_zero] = 0.0
    idx = np.flatnonzero(~exact_zero)
    d, dh = diag_all[:, idx], diag_all[:, idx].conj()
    L = np.ascontiguousarray(T.conj().T)  # A^H = L - conj(z) I is lower triangular
    rng = np.random.default_rng(0)  # fixed start vector: same grid, same picture
    q0 = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    q = np.repeat((q0 / np.linalg.norm(q0))[:, None], idx.size, axis=1)  # (N, G)
    q_prev = np.zeros_like(q)
    beta_prev = np.zeros(idx.size)
    alphas: list[np.ndarray] = []
    betas: list[np.ndarray] = []
    theta_old = np.zeros(idx.size)
    next_check = 2
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(1, max_iter + 1):
            w = _solve_upper(T, d, _solve_lower(L, dh, q))  # B q
            alpha = np.real(np.einsum("ig,ig->g", q.conj(), w))
            w -= alpha * q + beta_prev * q_prev
            beta = np.linalg.norm(w, axis=0)
            alphas.append(alpha)
            betas.append(beta)
            overflow = ~(np.isfinite(alpha) & np.isfinite(beta))  # sigma_min below ~1e-150
            breakdown = beta <= 1e-13 * np.abs(alpha)  # invariant subspace: Ritz value exact
            if k >= next_check or k == max_iter or np.any(overflow) or np.all(breakdown):
                next_check = k + max(1, k // 2)
                a = np.stack(alphas, axis=1)  # (G_active, k)
                bt = np.stack(betas, axis=1)[:, :-1]
                scale = np.where(np.isfinite(a[:, :1]) & (a[:, :1] > 0), a[:, :1], 1.0)
                M = np.zeros((idx.size, k, k))
                i = np.arange(k)
                M[:, i, i] = a / scale
                M[:, i[:-1], i[1:]] = bt / scale
                M[:, i[1:], i[:-1]] = bt / scale
                M = np.nan_to_num(M, nan=0.0, posinf=0.0, neginf=0.0)
                theta = np.linalg.eigvalsh(M)[:, -1] * scale[:, 0]
                done = (np.abs(theta - theta_old) <= tol * theta) | breakdown | (k == max_iter)
                out[idx[done]] = 1.0 / np.sqrt(theta[done])
                out[idx[overflow]] = 0.0
                done |= overflow
                keep = ~done
                if not np.any(keep):
                    break
                idx, d, dh, w = idx[keep], d[:, keep], dh[:, keep], w[:, keep]
                q, beta = q[:, keep], beta[keep]
                alphas = [x[keep] for x in alphas]
                betas = [x[keep] for x in betas]
                theta_old = theta[keep]
                breakdown = breakdown[keep]
                # q_prev is replaced below; beta_prev too
            q_prev = q
            q = np.where(breakdown, 0.0, w / np.where(beta > 0, beta, 1.0))
            beta_prev = np.where(breakdown, 0.0, beta)
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


def sigma_min(
    W: Any,
    z: Any,
    method: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 100,
) -> np.ndarray:
    """Smallest singular value of ``zI - W`` for every point z (the pseudospectrum's function).

    Methods (measured at N = 100 on an 80 x 80 grid, 2 CPU cores: see chapter 4):

    - ``"auto"``: if the Schur form of W is diagonal to rounding (W normal), the
      exact ``min_i |z - lambda_i|`` (milliseconds); otherwise ``"lanczos"``.
    - ``"lanczos"``: triangular form once (W itself if triangular, else complex
      Schur), then inverse Lanczos on ``((T - zI)^H (T - zI))^{-1}`` for all grid
      points at once, two O(N^2) triangular solves per step (~0.3-1 s).
      Relative accuracy about ``tol``.
    - ``"svd"``: batched dense SVD of every ``zI - W`` (exact to rounding, ~8 s).

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
        Real matrix (float32 and tensors are converted to float64).
    z : complex array_like, any shape
    method : {"auto", "lanczos", "svd"}
    tol : float
        Relative convergence tolerance of the Lanczos iteration, in (0, 0.1].
    max_iter : int
        Lanczos steps at most.

    Returns
    -------
    ndarray, same shape as z, float64
        ``sigma_min(zI - W) >= 0``. Values below ~1e-150 (deep inside the
        pseudospectrum of a long chain, where ``(zI - W)^{-1}`` overflows) are
        returned as 0.

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
    T = _triangular_form(W)
    if method == "auto":
        off = np.linalg.norm(np.triu(T, 1))
        if off <= 1e-13 * max(1.0, float(np.linalg.norm(W))):  # normal: sigma_min = distance to spectrum
            dist = np.abs(flat[:, None] - np.diag(T)[None, :])  # (G, N)
            return dist.min(axis=1).reshape(zz.shape)
    chunk = max(256, 2_000_000 // W.shape[0])  # bounds the (N, G) work arrays
    out = np.empty(flat.size)
    for lo in range(0, flat.size, chunk):
        out[lo : lo + chunk] = _sigma_min_lanczos(T, flat[lo : lo + chunk], tol, max_iter)
    return out.reshape(zz.shape)


def pseudospectrum(
    W: Any,
    extent: float | tuple[float, float, float, float] | None = None,
    n_grid: int = 80,
    method: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 100,
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
        R = 1.15 * max(1.0, float(np.linalg.norm(W, 2)))
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
    re = np.linspace(box[0], box[1], n_grid)
    im = np.linspace(box[2], box[3], n_grid)
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
    ``sigma_min(zI - W)`` on an ``n_grid x n_grid`` grid (:func:`pseudospectrum`;
    about 0.4 s at N = 100, 80 x 80).

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
    W, _ = memory_network(kind, n, alpha=alpha, beta=beta, lam=lam, seed=seed)
    ps = pseudospectrum(W, n_grid=n_grid)
    return PseudospectrumExplorerData(
        kind=kind, n=n, alpha=alpha, beta=beta, lam=lam, eps=eps, pseudospectrum=ps,
        spectral_radius=float(np.max(np.abs(ps.eigenvalues))),
        pseudospectral_radius=pseudospectral_radius(ps, eps),
        henrici=henrici_index(W),
    )


__all__ = [
    "PSEUDOSPECTRUM_METHODS",
    "Pseudospectrum",
    "PseudospectrumExplorerData",
    "pseudospectral_radius",
    "pseudospectrum",
    "pseudospectrum_explorer_data",
    "sigma_min",
]

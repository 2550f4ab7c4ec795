"""Exact decoding curves: the linear network's population R^2 and the noiseless non-linear chain's, by quadrature.

See chapter 2.
"""

from __future__ import annotations

import numpy as np

from .._validate import finite_float, input_vector, positive_int, square_matrix
from ..memory import noise_covariance
from ..nonlinearities import apply, check_nonlinearity
from ._checks import _n_quad, _noise_std

DEFAULT_N_QUAD = 200

_QUAD_HALF_WIDTH = 12.0  # P(|s| > 12) ~ 2e-33: the Gaussian tail beyond is below rounding


def _signal_columns(W: np.ndarray, v: np.ndarray, L: int) -> np.ndarray:
    """``K = [v, W v, ..., W^{L-1} v]``, shape (N, L)."""
    K = np.empty((W.shape[0], L))
    u = v
    for k in range(L):
        K[:, k] = u
        u = W @ u
    return K


def population_r2_curve(
    W: np.ndarray, v: np.ndarray, seq_len: int, noise_std: float = 0.0
) -> np.ndarray:
    """Exact decoding curve of the linear network (infinitely many sequences).

    ``h_L = K s + noise`` with ``K = [x_0 ... x_{L-1}]``, ``x_k = W^k v`` and noise
    covariance ``Sigma = sigma^2 C_L``, ``C_L = sum_{k<L} W^k W^kT`` (from
    ``h_0 = 0``; :func:`nnrnn_edu.memory.noise_covariance` with ``horizon=L``).
    The best linear decoder of ``s_{L-k}`` (variance 1) explains

        R^2(k) = x_k^T (K K^T + Sigma)^+ x_k.

    Computed without inverting anything ill-conditioned: whiten by ``Sigma``
    (``C_L >= I``, so its ``eigh`` is benign), ``A = Sigma^{-1/2} K = U diag(s) V^T``,
    then ``R^2(k) = sum_i V_ki^2 s_i^2 / (s_i^2 + 1)``. Without noise this is
    the diagonal of the projector onto K's row space (singular values below
    ``max(N, L) eps s_max`` dropped, as ``pinv`` does).

    Parameters
    ----------
    W : array_like, shape (N, N)
    v : array_like, shape (N,)
        Its scale matters when ``noise_std > 0`` (signal-to-noise ratio).
    seq_len : int
        L >= 1.
    noise_std : float
        sigma >= 0.

    Returns
    -------
    ndarray, shape (seq_len,), float64
        In [0, 1]. Chain ``alpha = 1``, ``v = e_1``, ``L <= N``:
        ``R^2(k) = 1 / (1 + (k + 1) sigma^2)``. Noiseless with K of full column
        rank (``L <= N``): all ones.

    See chapter 2, section 2.
    """
    W = square_matrix(W, "W")
    n = W.shape[0]
    v = input_vector(v, n, "v")
    L = positive_int(seq_len, "seq_len")
    sigma = _noise_std(noise_std)
    K = _signal_columns(W, v, L)  # (N, L)
    if not np.all(np.isfinite(K)):
        raise ValueError("W^k v overflows float64 within seq_len steps; reduce the gain or seq_len")
    if sigma > 0:
        C = noise_covariance(W, horizon=L)  # (N, N), C >= I
        mu, Q = np.linalg.eigh(C)
        A = (Q.T @ K) / (sigma * np.sqrt(mu))[:, None]  # (N, L): Sigma^{-1/2} K in C's eigenbasis
        _, s, Vt = np.linalg.svd(A, full_matrices=False)
        weight = s * s / (s * s + 1.0)
    else:
        _, s, Vt = np.linalg.svd(K, full_matrices=False)
        weight = (s > max(n, L) * np.finfo(np.float64).eps * s[0]).astype(np.float64)
    r2 = np.sum(Vt * Vt * weight[:, None], axis=0)  # (L,)
    return np.clip(r2, 0.0, 1.0)


def iterated_nonlinearity_r2(
    nonlinearity: str,
    depth: int,
    alpha: float = 1.0,
    input_scale: float = 1.0,
    n_quad: int = DEFAULT_N_QUAD,
) -> np.ndarray:
    """``corr(s, g_k(s))^2`` for ``g_0(s) = f(c s)``, ``g_k(s) = f(alpha g_{k-1}(s))``, ``s ~ N(0, 1)``.

    In the noiseless non-linear chain ``W = alpha * chain``, ``v = c e_1``, unit k
    at time L holds ``g_k(s_{L-k})`` and nothing else, and the units are
    independent; the best linear decoder of ``s_{L-k}`` therefore uses unit k
    alone and explains ``corr(s, g_k(s))^2`` (k < N). For f = elu this tends to
    ``corr(s, relu(s))^2 = 1 / (2 - 2/pi) = 0.733`` as k grows: iterated elu
    squashes the negative half to 0 and keeps the positive half.

    The Gaussian expectations use Gauss-Legendre quadrature on each half line
    ``[-12, 0]`` and ``[0, 12]``, not Gauss-Hermite: every f here has its kink
    (or is smooth) at 0 and ``g_k`` keeps the kink at ``s = 0``, where
    Gauss-Hermite converges only algebraically (error 2e-3 at k = 99 with 201
    nodes); split at 0 the integrands are smooth and 200 nodes per half give
    ~1e-14 at k = 99 (~1e-9 at k = 999).

    Parameters
    ----------
    nonlinearity : {"linear", "identity", "elu", "relu", "tanh"}
    depth : int
        Number of lags; returns k = 0 .. depth-1.
    alpha : float
        Chain gain.
    input_scale : float
        c, the input weight of the source unit.
    n_quad : int
        Quadrature nodes per half line (>= 8).

    Returns
    -------
    ndarray, shape (depth,), float64
        In [0, 1]; 0 where ``g_k`` is constant (e.g. relu with ``alpha < 0``).

    See chapter 2, section 3.
    """
    f = check_nonlinearity(nonlinearity)
    depth = positive_int(depth, "depth")
    alpha = finite_float(alpha, "alpha")
    c = finite_float(input_scale, "input_scale")
    if c == 0:
        raise ValueError("input_scale must be non-zero; the signal never enters the network")
    n_quad = _n_quad(n_quad)

    x, w = np.polynomial.legendre.leggauss(n_quad)  # nodes and weights on [-1, 1]
    half = (x + 1.0) * (_QUAD_HALF_WIDTH / 2.0)  # (n_quad,) nodes on [0, R]
    s = np.concatenate([-half, half])  # (2 n_quad,) nodes on [-R, R], split at the kink
    p = np.concatenate([w, w]) * (_QUAD_HALF_WIDTH / 2.0) * np.exp(-0.5 * s * s) / np.sqrt(2 * np.pi)
    p /= p.sum()  # weights of N(0, 1); the sum is 1 - 2e-33 before normalising

    out = np.empty(depth)
    with np.errstate(over="ignore", invalid="ignore"):
        g = apply(f, c * s)  # (2 n_quad,): g_0 at the nodes
        for k in range(depth):
            if k > 0:
                g = apply(f, alpha * g)
            if not np.all(np.isfinite(g)):
                raise ValueError(
                    f"g_k overflows float64 at k={k}; reduce alpha or input_scale (or depth)"
                )
            m = p @ g
            var = p @ (g - m) ** 2
            cov = p @ (s * (g - m))
            scale = max(1.0, float(np.max(np.abs(g))))
            out[k] = 0.0 if var <= (1e-14 * scale) ** 2 else min(1.0, cov * cov / var)
    return out


def elu_chain_r2_curve(
    seq_len: int,
    n: int | None = None,
    alpha: float = 1.0,
    input_scale: float = 1.0,
    n_quad: int = DEFAULT_N_QUAD,
) -> np.ndarray:
    """Exact decoding curve of the noiseless elu chain (``W = chain(N, alpha)``, ``v = c e_1``).

    ``R^2(k) = corr(s, elu^(k+1)(s))^2`` at ``alpha = c = 1``; see
    :func:`iterated_nonlinearity_r2` for the general case and the quadrature.

    Parameters
    ----------
    seq_len : int
        L >= 1.
    n : int or None
        Network size N. The formula needs ``L <= N`` (every input of the
        sequence still in the chain); ``None`` assumes it holds.
    alpha, input_scale : float
        Chain gain and input weight c.
    n_quad : int
        Quadrature nodes per half line.

    Returns
    -------
    ndarray, shape (seq_len,), float64
        0.937 at k = 0, 0.893 at k = 1, 0.791 at k = 9, 0.740 at k = 99 (alpha = c = 1),
        tending to ``1 / (2 - 2/pi) = 0.733``.

    Raises
    ------
    ValueError
        If ``seq_len > n``.

    See chapter 2, section 3.
    """
    L = positive_int(seq_len, "seq_len")
    if n is not None:
        n = positive_int(n, "n")
        if L > n:
            raise ValueError(
                f"seq_len={L} > n={n}: the closed form holds for L <= N only (inputs older than "
                f"N - 1 steps have left the chain, and their R^2 is 0)"
            )
    return iterated_nonlinearity_r2("elu", L, alpha=alpha, input_scale=input_scale, n_quad=n_quad)

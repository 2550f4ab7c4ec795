"""Linear decoding of past inputs from the current state (paper section 2.2, Figure 2).

A network driven by an i.i.d. scalar signal ``s_t ~ N(0, 1)`` from ``h_0 = 0``,

    h_t = f(W h_{t-1} + v s_t + sigma z_t),    z_t ~ N(0, I),

is run for ``L`` steps, and a linear (ridge) decoder reads ``s_{L-k}`` out of
the final state ``h_L`` for every lag ``k = 0 .. L-1``. Its held-out R^2 as a
function of k is the decoding curve of Figure 2: (a) noiseless linear networks
decode everything, (b) with noise the chain beats the orthogonal network at
every lag, (c) with a non-linearity and no noise the chain wins at long lags
(and, honestly, the orthogonal network wins at short ones - see chapter 2).

Three ways to get a curve, each checked against the others in the tests:

- :func:`r2_curve` - Monte Carlo: simulate train and test sequences
  (:func:`simulate`, vectorised over sequences, a loop over time), fit one
  ridge decoder for all L lags at once (one SVD), score R^2 on held-out data.
- :func:`population_r2_curve` - exact for linear networks:
  ``R^2(k) = x_k^T (K K^T + Sigma)^+ x_k`` with ``x_k = W^k v``.
- :func:`iterated_nonlinearity_r2` / :func:`elu_chain_r2_curve` - exact for the
  noiseless non-linear chain, whose unit k holds ``f(alpha f(... f(c s)))``
  (k + 1 applications of f) of a single past input, by quadrature.

The noise enters with the input, *before* the non-linearity, so states stay in
the range of f; for the linear network this is the paper's eq. (1) with noise
``sigma z_t``. Numerics only, with literal defaults: chapter 2's presets and
the Figure-2 computation are in :mod:`nnrnn_edu.chapters.ch02`. See chapter 2.
"""

from __future__ import annotations

import numpy as np

from ._validate import (finite_float, input_vector, nonnegative_float, positive_int, real_array, seed_or_generator,
                        square_matrix)
from .memory import noise_covariance
from .nonlinearities import apply, apply_, check_nonlinearity

# --------------------------------------------------------------------------- constants

DEFAULT_N_TRAIN = 5000
"""Training sequences of a Monte Carlo curve (bias about (1 - R^2) (N + 1) / 5000 = 0.02 (1 - R^2) at N = 100)."""

DEFAULT_N_TEST = 2000
"""Held-out sequences of a Monte Carlo curve (s.d. at most 2 (1 - R^2) sqrt(1 / 2000) = 0.045 (1 - R^2))."""

DEFAULT_RIDGE = 1e-8
"""Relative ridge penalty of the decoder: a numerical safeguard, not a prior."""

DEFAULT_N_QUAD = 200

_QUAD_HALF_WIDTH = 12.0  # P(|s| > 12) ~ 2e-33: the Gaussian tail beyond is below rounding


# --------------------------------------------------------------------------- validation


def _noise_std(noise_std: object) -> float:
    return nonnegative_float(noise_std, "noise_std")


def _signals(signals: object) -> np.ndarray:
    S = real_array(signals, "signals", "array of shape (batch, L)")
    if S.ndim != 2 or S.shape[0] < 1 or S.shape[1] < 1:
        raise ValueError(f"signals must have shape (batch, L) with batch, L >= 1, got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError("signals contains NaN or infinite entries")
    return S


def _n_train(n_train: object, n: int) -> int:
    # The decoder has N + 1 parameters (N weights and an intercept). With
    # n_train <= N + 1 training sequences the centred training states have rank
    # <= n_train - 1 < N, so the fit interpolates noise and the held-out R^2 is
    # meaningless; the expected held-out error of least squares,
    # (1 - R^2)(1 + (N + 1)/(n_train - N - 2)), is finite only for n_train > N + 2.
    n_train = positive_int(n_train, "n_train")
    if n_train < n + 3:
        raise ValueError(
            f"n_train={n_train} is too few training sequences for a decoder with N + 1 = {n + 1} "
            f"parameters: need n_train >= N + 3 = {n + 3}, and n_train >> N for an accurate curve "
            f"(held-out R^2 is biased down by about (1 - R^2) (N + 1) / n_train)"
        )
    return n_train


def _n_test(n_test: object) -> int:
    n_test = positive_int(n_test, "n_test")
    if n_test < 2:
        raise ValueError(f"n_test must be >= 2 (R^2 needs the held-out variance), got {n_test!r}")
    return n_test


def _n_quad(n_quad: object) -> int:
    n_quad = positive_int(n_quad, "n_quad")
    if n_quad < 8:
        raise ValueError(f"n_quad must be >= 8 quadrature nodes per half line, got {n_quad!r}")
    return n_quad


# --------------------------------------------------------------------------- simulation


def simulate(
    W: np.ndarray,
    v: np.ndarray,
    signals: np.ndarray,
    noise_std: float = 0.0,
    nonlinearity: str = "linear",
    rng: int | np.random.Generator | None = None,
    return_all: bool = False,
) -> np.ndarray:
    """Run ``h_t = f(W h_{t-1} + v s_t + sigma z_t)`` from ``h_0 = 0`` for a batch of sequences.

    All sequences advance together (one ``(batch, N) @ (N, N)`` product per
    step); the only Python loop is over time.

    Parameters
    ----------
    W : array_like, shape (N, N)
        Recurrent matrix (column convention, as in :mod:`nnrnn_edu.connectivity`).
    v : array_like, shape (N,)
        Input vector.
    signals : array_like, shape (batch, L)
        Scalar input sequences; ``signals[:, t-1]`` is ``s_t``.
    noise_std : float
        sigma >= 0; fresh noise ``sigma z_t``, ``z_t ~ N(0, I)``, at every step.
    nonlinearity : {"linear", "identity", "elu", "relu", "tanh"}
        f (``"identity"`` is a synonym of ``"linear"``).
    rng : int, numpy Generator or None
        Source of the noise (unused when ``noise_std == 0``). Pass a seeded
        Generator for reproducible noisy runs.
    return_all : bool
        Return every state instead of the final one (memory: ``8 batch L N`` bytes).

    Returns
    -------
    ndarray, float64
        shape (batch, N): the final states ``h_L``; with ``return_all``,
        shape (batch, L, N) with ``out[:, t-1] = h_t``.

    Raises
    ------
    ValueError
        On bad input, or if the states overflow float64.

    See chapter 2, section 1.
    """
    W = square_matrix(W, "W")
    n = W.shape[0]
    v = input_vector(v, n, "v")
    S = _signals(signals)
    sigma = _noise_std(noise_std)
    f = check_nonlinearity(nonlinearity)
    rng = seed_or_generator(rng, "rng") if sigma > 0 else None
    batch, L = S.shape

    WT = np.ascontiguousarray(W.T)  # h @ W^T is W h for each row h
    ST = np.ascontiguousarray(S.T)  # (L, batch): s_t for all sequences, contiguous
    # Preallocated buffers: fresh 8 MB arrays per step page-fault on glibc (perf notes).
    h = np.zeros((batch, n))
    a = np.empty((batch, n))
    tmp = np.empty((batch, n))
    out = np.empty((batch, L, n)) if return_all else None
    with np.errstate(over="ignore", invalid="ignore"):  # blow-up is reported below
        for t in range(L):
            np.matmul(h, WT, out=a)  # (batch, N): W h_{t-1}
            np.multiply(ST[t][:, None], v[None, :], out=tmp)  # (batch, N): v s_t
            a += tmp
            if sigma > 0:
                rng.standard_normal(out=tmp)
                tmp *= sigma
                a += tmp
            apply_(f, a, tmp)
            h, a = a, h  # h is now h_t; the old buffer is reused next step
            if out is not None:
                out[:, t] = h
    if not np.all(np.isfinite(h)):
        raise ValueError(
            "the states overflow float64 (the network blows up); reduce the gain of W, "
            "the input scale or seq_len"
        )
    return out if out is not None else h


def lagged_targets(signals: np.ndarray) -> np.ndarray:
    """Decoding targets by lag: column k is ``s_{L-k}``, the input k steps before ``h_L``.

    Parameters
    ----------
    signals : array_like, shape (batch, L)

    Returns
    -------
    ndarray, shape (batch, L)
        ``signals[:, ::-1]``; column 0 is ``s_L``, column L-1 is ``s_1``.

    See chapter 2, section 1.
    """
    return _signals(signals)[:, ::-1]


# --------------------------------------------------------------------------- decoder


def fit_ridge_decoder(
    states: np.ndarray, targets: np.ndarray, ridge: float = DEFAULT_RIDGE
) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression with intercept for many targets at once (one SVD).

    Each unit is centred and scaled to unit training variance before the
    penalty is applied, so the penalty ``ridge * n_samples`` means the same for
    every unit whatever its scale (chain units grow like ``alpha^k``). Units that
    never vary (e.g. dead relu units) get weight 0. The solve uses the SVD of the
    standardised states, ``B = V diag(s / (s^2 + lambda)) U^T Y``, never the
    normal equations, so noiseless networks whose states are nearly collinear
    are still decoded to R^2 ~ 1.

    Parameters
    ----------
    states : array_like, shape (n_samples, N)
        Predictors (network states).
    targets : array_like, shape (n_samples, L)
        One column per target (lag).
    ridge : float
        Relative penalty >= 0 (``1e-8``: a numerical safeguard, not a prior).

    Returns
    -------
    coef : ndarray, shape (N, L)
    intercept : ndarray, shape (L,)
        Predictions are ``states @ coef + intercept``.

    See chapter 2, section 1.
    """
    X = real_array(states, "states", "array of shape (n_samples, N)")
    Y = real_array(targets, "targets", "array of shape (n_samples, L)")
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"states (n_samples, N) and targets (n_samples, L) must share n_samples, "
            f"got shapes {X.shape} and {Y.shape}"
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
        raise ValueError(
            "states or targets contain NaN or infinite entries (did the network blow up? "
            "reduce the gain or the input scale)"
        )
    lam = nonnegative_float(ridge, "ridge")
    n_samples = X.shape[0]
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    scale = X.std(axis=0)
    # a constant unit has a rounding-level std (~eps |mean|): treat it as dead
    live = (scale > 0) & (scale > 1e-12 * np.abs(x_mean))
    scale = np.where(live, scale, 1.0)
    Z = (X - x_mean) / scale  # (n_samples, N), unit variance per live unit
    Z[:, ~live] = 0.0
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)  # Z = U diag(s) Vt
    penalty = lam * n_samples
    keep = s > max(Z.shape) * np.finfo(np.float64).eps * s[0]  # rank cutoff, as in pinv
    gain = np.zeros_like(s)  # (r,): s / (s^2 + lambda) on the kept singular values
    gain[keep] = s[keep] / (s[keep] ** 2 + penalty)
    B = Vt.T @ (gain[:, None] * (U.T @ (Y - y_mean)))  # (N, L), standardised units
    coef = B / scale[:, None]
    return coef, y_mean - x_mean @ coef


def r2_score(targets: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Coefficient of determination ``1 - SSE/SST`` per column (SST about the column mean).

    Parameters
    ----------
    targets, predictions : array_like, shape (n_samples, L)

    Returns
    -------
    ndarray, shape (L,)
        1 for perfect predictions; 0 for predicting the mean; negative when worse.

    See chapter 2, section 1.
    """
    Y = real_array(targets, "targets", "array of shape (n_samples, L)")
    P = real_array(predictions, "predictions", "array of shape (n_samples, L)")
    if Y.shape != P.shape or Y.ndim != 2:
        raise ValueError(f"targets and predictions must have the same 2-D shape, got {Y.shape} and {P.shape}")
    sse = np.sum((Y - P) ** 2, axis=0)
    sst = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)
    if np.any(sst <= 0):
        raise ValueError("targets has a constant column; R^2 is undefined")
    return 1.0 - sse / sst


def r2_curve(
    W: np.ndarray,
    v: np.ndarray,
    seq_len: int,
    noise_std: float = 0.0,
    nonlinearity: str = "linear",
    n_train: int = DEFAULT_N_TRAIN,
    n_test: int = DEFAULT_N_TEST,
    seed: int | np.random.Generator | None = 0,
    ridge: float = DEFAULT_RIDGE,
) -> np.ndarray:
    """Monte Carlo decoding curve: held-out R^2 of ``s_{L-k}`` decoded linearly from ``h_L``.

    Simulates ``n_train + n_test`` independent sequences of length L (signals
    ``s_t ~ N(0, 1)``, then the noise, from one generator), fits one ridge
    decoder with intercept for all L lags on the training sequences
    (:func:`fit_ridge_decoder`) and scores it on the held-out ones.

    Accuracy: the held-out R^2 of a decoder with N + 1 parameters is biased down
    by about ``(1 - R^2)(N + 1)/n_train`` and has s.d. about
    ``2 (1 - R^2) sqrt(R^2 / n_test)`` (Gaussian states; chapter 2).

    Parameters
    ----------
    W : array_like, shape (N, N)
    v : array_like, shape (N,)
    seq_len : int
        L >= 1.
    noise_std : float
        sigma >= 0 (see :func:`simulate`).
    nonlinearity : {"linear", "identity", "elu", "relu", "tanh"}
    n_train : int
        Training sequences, at least N + 3 (the decoder has N + 1 parameters);
        thousands for an accurate curve at N = 100.
    n_test : int
        Held-out sequences, >= 2.
    seed : int, numpy Generator or None
        Same seed, bit-identical curve. Networks given the same seed see the same
        signals and noise, so their curves differ by the network only.
    ridge : float
        Relative ridge penalty >= 0.

    Returns
    -------
    ndarray, shape (seq_len,), float64
        ``R^2(k)`` for k = 0 .. L-1; k = 0 is ``s_L`` decoded from ``h_L``,
        k = L-1 is ``s_1``.

    See chapter 2, sections 1-3.
    """
    W = square_matrix(W, "W")
    n = W.shape[0]
    v = input_vector(v, n, "v")
    L = positive_int(seq_len, "seq_len")
    sigma = _noise_std(noise_std)
    f = check_nonlinearity(nonlinearity)
    n_train = _n_train(n_train, n)
    n_test = _n_test(n_test)
    lam = nonnegative_float(ridge, "ridge")
    rng = seed_or_generator(seed, "seed")

    S = rng.standard_normal((n_train + n_test, L))  # (batch, L)
    H = simulate(W, v, S, noise_std=sigma, nonlinearity=f, rng=rng)  # (batch, N)
    Y = S[:, ::-1]  # (batch, L): column k is s_{L-k}
    coef, intercept = fit_ridge_decoder(H[:n_train], Y[:n_train], lam)
    return r2_score(Y[n_train:], H[n_train:] @ coef + intercept)


# --------------------------------------------------------------------------- exact curves


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


def wins_from_lag(a: np.ndarray, b: np.ndarray) -> int | None:
    """First lag from which curve ``a`` is above curve ``b`` at every remaining lag.

    Parameters
    ----------
    a, b : array_like, shape (L,)
        Two decoding curves R^2(k) over the same lags.

    Returns
    -------
    int or None
        The smallest k with ``a[j] > b[j]`` for all ``j >= k``; ``None`` when
        ``a`` is not above ``b`` at the last lag.

    See chapter 2, section 3.
    """
    a = real_array(a, "a", "curve")
    b = real_array(b, "b", "curve")
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"a and b must be non-empty 1-D curves of the same length, got shapes {a.shape} and {b.shape}")
    not_above = np.flatnonzero(~(a > b))
    if not_above.size == 0:
        return 0
    last = int(not_above[-1])
    return None if last == a.size - 1 else last + 1


__all__ = [
    "DEFAULT_N_QUAD",
    "DEFAULT_N_TEST",
    "DEFAULT_N_TRAIN",
    "DEFAULT_RIDGE",
    "elu_chain_r2_curve",
    "fit_ridge_decoder",
    "iterated_nonlinearity_r2",
    "lagged_targets",
    "population_r2_curve",
    "r2_curve",
    "r2_score",
    "simulate",
    "wins_from_lag",
]

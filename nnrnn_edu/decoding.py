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
  :func:`r2_curves` does it for several networks on one set of signals and noise
  (:func:`monte_carlo_draws` keeps them for reuse), optionally in single precision
  and scored leave-one-out (:func:`loo_r2_score`): chapter 2's explorer.
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

import numbers
from collections.abc import Mapping
from typing import NamedTuple

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
    step); the only Python loop is over time. A chain (W non-zero only on the
    sub-diagonal) is shifted instead of multiplied, and for ``h_L`` alone only the
    units whose values reach ``h_L`` are updated: the same numbers, bit for bit,
    at a fraction of the cost.

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
    out = np.empty((batch, L, n)) if return_all else None
    (h,) = _run(((W, v),), S, sigma, f, rng, np.float64, record=out)
    if not np.all(np.isfinite(h)):
        raise ValueError(_OVERFLOW)
    return out if out is not None else h


_OVERFLOW = ("the states overflow float64 (the network blows up); reduce the gain of W, "
             "the input scale or seq_len")


def _sub_diagonal(W: np.ndarray) -> np.ndarray | None:
    """``W``'s sub-diagonal if W is zero everywhere else (a chain), else None."""
    n = W.shape[0]
    if n < 2:
        return None
    d = np.diagonal(W, -1)
    return d.copy() if np.count_nonzero(W) == np.count_nonzero(d) else None


def _run(
    networks,
    S: np.ndarray,
    sigma: float,
    f: str,
    noise,
    dtype,
    record: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Final states ``h_L`` of every ``(W, v)`` in ``networks``, all driven by the same signals and noise.

    The one simulation loop of this module (:func:`simulate`, :func:`r2_curves`). ``noise`` is
    None (``sigma == 0``), a Generator (``z_t`` drawn step by step, shape (batch, N) each, shared
    by all networks: the stream :func:`simulate` has always drawn) or an array of shape
    (L, batch, N) holding ``z_1 .. z_L`` drawn beforehand (:func:`monte_carlo_draws`).
    ``dtype`` float32 runs the recurrence in single precision (``sigma z_t`` computed as
    ``float32(sigma) * float32(z_t)`` either way). ``record`` (one network only), shape
    (batch, L, N): every state is stored there. Each network's operations are those of the
    textbook loop ``h = f(h @ W.T + s_t v + sigma z_t)`` (a chain's product is a shift, zero
    columns of v add nothing), so its final state does not depend on the other networks.
    States are returned in ``dtype``; the caller checks them for overflow.
    """
    batch, L = S.shape
    n = networks[0][0].shape[0]
    ST = np.ascontiguousarray(S.T, dtype=dtype)  # (L, batch): s_t for all sequences, contiguous
    sig = dtype(sigma)
    nets = []
    for W, v in networks:
        sub = _sub_diagonal(W)
        nz = np.flatnonzero(v)
        # A chain is stored unit by unit, (N, batch), so that "units 0 .. m-1" is a contiguous block;
        # any other W sequence by sequence, (batch, N), for the product h @ W^T (as it always was).
        shape = (n, batch) if sub is not None else (batch, n)
        nets.append({
            "WT": None if sub is not None else np.ascontiguousarray(W.T, dtype=dtype),  # h @ W^T is W h per row
            "sub": None if sub is None else sub.astype(dtype)[:, None],  # (N-1, 1)
            "v": v.astype(dtype),
            "nz": nz if nz.size <= n // 4 else None,  # input into a few units: add only there
            "vnz": v[nz].astype(dtype),
            # Preallocated buffers: fresh 8 MB arrays per step page-fault on glibc (perf notes).
            "h": np.zeros(shape, dtype),
            "a": np.empty(shape, dtype),
            "tmp": np.empty(shape, dtype),
        })
    z = None
    if isinstance(noise, np.random.Generator):
        z64 = np.empty((batch, n))
        z = z64 if dtype == np.float64 else np.empty((batch, n), dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # blow-up is reported by the caller
        for t in range(L):
            if isinstance(noise, np.random.Generator):
                noise.standard_normal(out=z64)  # drawn even when no unit needs it: the stream stays the same
                if z is not z64:
                    np.copyto(z, z64)
            elif noise is not None:
                z = noise[t]  # (batch, N)
            for net in nets:
                h, a, tmp = net["h"], net["a"], net["tmp"]
                if net["sub"] is not None:
                    # a chain, (N, batch): unit i takes unit i-1. Only units i <= N - L + t reach h_L
                    # (the others leave the chain first), so without a record the others are not computed.
                    m = n if record is not None else min(n, n - L + t + 1)
                    if m <= 0:
                        continue
                    np.multiply(h[: m - 1], net["sub"][: m - 1], out=a[1:m])
                    a[0] = 0.0
                    am, tm = a[:m], tmp[:m]
                    if net["nz"] is not None:
                        cols = net["nz"][net["nz"] < m]
                        am[cols] += net["vnz"][: cols.size, None] * ST[t][None, :]  # v s_t where v is non-zero
                    else:
                        np.multiply(net["v"][:m, None], ST[t][None, :], out=tm)
                        am += tm
                    if sigma > 0:
                        np.multiply(z.T[:m], sig, out=tm)
                        am += tm
                else:
                    np.matmul(h, net["WT"], out=a)  # (batch, N): W h_{t-1}
                    am, tm = a, tmp
                    if net["nz"] is not None:
                        am[:, net["nz"]] += ST[t][:, None] * net["vnz"]  # v s_t where v is non-zero
                    else:
                        np.multiply(ST[t][:, None], net["v"][None, :], out=tm)  # (batch, N): v s_t
                        am += tm
                    if sigma > 0:
                        np.multiply(z, sig, out=tm)
                        am += tm
                _apply(f, am, tm)
                net["h"], net["a"] = a, h  # h is now h_t; the old buffer is reused next step
                if record is not None:
                    record[:, t] = a.T if net["sub"] is not None else a
    return [np.ascontiguousarray(net["h"].T) if net["sub"] is not None else net["h"] for net in nets]


def _apply(f: str, a: np.ndarray, tmp: np.ndarray) -> None:
    """``a = f(a)`` in place: :func:`nnrnn_edu.nonlinearities.apply_`, with elu in three passes
    instead of four: ``max(a, expm1(min(a, 0)))`` is ``max(a, 0) + expm1(min(a, 0))``, value for
    value (``expm1(x) >= x``), and the simulation's most frequent non-linearity."""
    if f == "elu":
        np.minimum(a, 0.0, out=tmp)
        np.expm1(tmp, out=tmp)
        np.maximum(a, tmp, out=a)
    else:
        apply_(f, a, tmp)


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
    X, Y = _checked_states_targets(states, targets)
    lam = nonnegative_float(ridge, "ridge")
    U, s, Vt, keep, penalty, scale, x_mean, y_mean = _standardised_svd(X, Y, lam)
    gain = np.zeros_like(s)  # (r,): s / (s^2 + lambda) on the kept singular values
    gain[keep] = s[keep] / (s[keep] ** 2 + penalty)
    B = Vt.T @ (gain[:, None] * (U.T @ (Y - y_mean)))  # (N, L), standardised units
    coef = B / scale[:, None]
    return coef, y_mean - x_mean @ coef


def _checked_states_targets(states: object, targets: object) -> tuple[np.ndarray, np.ndarray]:
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
    return X, Y


def _standardised_svd(X: np.ndarray, Y: np.ndarray, lam: float):
    """The SVD of the standardised states behind the ridge decoder (see :func:`fit_ridge_decoder`).

    Returns ``U, s, Vt, keep, penalty, scale, x_mean, y_mean``: ``Z = U diag(s) Vt`` for the
    centred states divided by ``scale`` (dead units zeroed), ``keep`` the singular values above
    the rank cutoff, ``penalty = lam * n_samples``.
    """
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
    return U, s, Vt, keep, penalty, scale, x_mean, y_mean


def loo_r2_score(states: np.ndarray, targets: np.ndarray, ridge: float = DEFAULT_RIDGE) -> np.ndarray:
    """Leave-one-out R^2 of the ridge decoder: every sample predicted by the decoder fitted on the others.

    The decoder of :func:`fit_ridge_decoder` is linear in the targets, ``fitted = H targets`` with
    the hat matrix ``H`` (intercept included), so the prediction of sample i by the decoder fitted
    without it is ``y_i - e_i / (1 - H_ii)`` (``e_i`` its residual in the fit on all samples): one
    fit, not n. R^2 is ``1 - PRESS / PRESS_0`` per column, ``PRESS_0`` the same for predicting the
    mean of the other samples. It estimates what :func:`r2_score` on fresh samples estimates for a
    decoder fitted on ``n_samples - 1``: the same bias, and the scatter of ``n_samples`` held-out
    samples instead of a separate test set's. Exact for ``ridge = 0`` (least squares does not
    depend on the standardisation); with the default relative penalty 1e-8 the fit without
    sample i would see a penalty and standardisation of the other ``n_samples - 1``, a change of
    order 1e-8 / n_samples.

    Parameters
    ----------
    states : array_like, shape (n_samples, N)
    targets : array_like, shape (n_samples, L)
    ridge : float
        Relative penalty >= 0, as in :func:`fit_ridge_decoder`.

    Returns
    -------
    ndarray, shape (L,)
        NaN for a column where some sample has leverage 1 (the others cannot predict it at all).

    See chapter 2, section 4 (the explorer).
    """
    X, Y = _checked_states_targets(states, targets)
    lam = nonnegative_float(ridge, "ridge")
    n = X.shape[0]
    if n < 3:
        raise ValueError(f"states must have at least 3 samples for leave-one-out R^2, got {n}")
    U, s, _, keep, penalty, _, _, y_mean = _standardised_svd(X, Y, lam)
    Uk = U[:, keep]  # (n, r)
    shrink = s[keep] ** 2 / (s[keep] ** 2 + penalty)  # (r,): 1 for least squares
    Yc = Y - y_mean  # (n, L)
    resid = Yc - Uk @ (shrink[:, None] * (Uk.T @ Yc))  # (n, L): residuals of the fit on all samples
    leverage = 1.0 / n + (Uk * Uk) @ shrink  # (n,): H_ii, the intercept's 1/n included
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = resid / (1.0 - leverage)[:, None]  # (n, L): y_i minus its prediction without sample i
    press0 = np.sum(Yc * Yc, axis=0) * (n / (n - 1.0)) ** 2  # y_i minus the mean of the others
    if np.any(press0 <= 0):
        raise ValueError("targets has a constant column; R^2 is undefined")
    return 1.0 - np.sum(loo * loo, axis=0) / press0


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


class Draws(NamedTuple):
    """Signals and noise of one seed, drawn beforehand (see :func:`monte_carlo_draws`).

    Attributes
    ----------
    signals : ndarray, shape (batch, L), float64
    noise : ndarray, shape (L, batch, N), or None
        ``noise[t-1]`` is ``z_t``; float64, or float32 for single-precision runs; None without noise.
    seed : int
    """

    signals: np.ndarray
    noise: np.ndarray | None
    seed: int


def monte_carlo_draws(
    batch: int, seq_len: int, n: int, seed: int = 0, noise: bool = True, single_precision: bool = False
) -> Draws:
    """The signals and noise that :func:`r2_curve` draws for ``seed``, drawn once to be reused.

    :func:`r2_curve` draws the signals (batch, L) first, then ``z_1 .. z_L`` (batch, N each),
    from one Generator; these are the same numbers. Pass them to :func:`r2_curves` to
    compute curves for other networks, noise levels or non-linearities without drawing again
    (the noise does not depend on sigma: it is ``sigma z_t``).

    Parameters
    ----------
    batch : int
        Sequences (``n_train + n_test``).
    seq_len, n : int
        L and N.
    seed : int
        Non-negative.
    noise : bool
        Draw the noise too (needed when ``noise_std > 0``).
    single_precision : bool
        Keep the noise as float32 (half the memory), for single-precision runs.

    Returns
    -------
    Draws
        The noise takes ``8 batch L N`` bytes (4 in single precision): 121 MB (60 MB) for
        1510 sequences at N = L = 100.

    See chapter 2, section 4 (the explorer keeps its draws between slider moves).
    """
    batch, L, n = positive_int(batch, "batch"), positive_int(seq_len, "seq_len"), positive_int(n, "n")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    S = rng.standard_normal((batch, L))  # (batch, L)
    Z = None
    if noise:
        Z = np.empty((L, batch, n), dtype=np.float32 if single_precision else np.float64)
        z = np.empty((batch, n))
        for t in range(L):  # step by step, as the simulation draws them
            rng.standard_normal(out=z)
            Z[t] = z
    return Draws(S, Z, int(seed))


def r2_curves(
    networks,
    seq_len: int,
    noise_std: float = 0.0,
    nonlinearity: str = "linear",
    n_train: int = DEFAULT_N_TRAIN,
    n_test: int | None = DEFAULT_N_TEST,
    seed: int | np.random.Generator | None = 0,
    ridge: float = DEFAULT_RIDGE,
    single_precision: bool = False,
    draws: Draws | None = None,
    leave_one_out: bool = False,
) -> dict[str, np.ndarray]:
    """Monte Carlo decoding curves of several networks that see the same signals and noise.

    Network by network this is :func:`r2_curve` with the same ``seed``, bit for bit, but the
    signals and the noise are drawn once for all networks (drawing the noise costs as much as
    a network's simulation), or not at all when ``draws`` holds them. With ``leave_one_out``
    it is another estimate of the same curve (see there).

    Parameters
    ----------
    networks : mapping of name -> (W, v)
        W of shape (N, N), v of shape (N,); the same N for all.
    seq_len, noise_std, nonlinearity, n_train, n_test, seed, ridge :
        As in :func:`r2_curve`.
    single_precision : bool
        Run the recurrence in float32 (the decoder is still fitted in float64): about twice as
        fast. With noise this changes R^2 by float32 rounding only, far below the Monte Carlo
        error (the tests bound it by 1e-5); without noise double precision is needed to decode
        inputs that have decayed below 1e-7 of the state, so use it only when
        ``noise_std > 0``. A run that overflows float32 is redone in float64.
    draws : Draws or None
        Signals and noise from :func:`monte_carlo_draws` (batch ``n_train + n_test``, or
        ``n_train + 1`` with ``leave_one_out``; L; N), used instead of drawing from ``seed``.
    leave_one_out : bool
        Simulate ``n_train + 1`` sequences and score each with the decoder fitted on the other
        ``n_train`` (:func:`loo_r2_score`; ``n_test`` must be None): the estimate of
        :func:`r2_curve`'s held-out R^2 with the same bias, ``(1 - R^2)(N + 1)/n_train``, and
        less scatter, ``2 (1 - R^2) sqrt(R^2 / (n_train + 1))``, from fewer sequences.

    Returns
    -------
    dict of name -> ndarray, shape (seq_len,)

    Raises
    ------
    ValueError
        On bad input, or if the states overflow float64.

    See chapter 2, section 4.
    """
    if not isinstance(networks, Mapping) or not networks:
        raise ValueError("networks must be a non-empty mapping of name -> (W, v)")
    checked = {}
    for name, pair in networks.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"networks[{name!r}] must be a pair (W, v)")
        W = square_matrix(pair[0], f"networks[{name!r}][0]")
        checked[name] = (W, input_vector(pair[1], W.shape[0], f"networks[{name!r}][1]"))
    n = next(iter(checked.values()))[0].shape[0]
    if any(W.shape[0] != n for W, _ in checked.values()):
        raise ValueError("networks must all have the same size N")
    L = positive_int(seq_len, "seq_len")
    sigma = _noise_std(noise_std)
    f = check_nonlinearity(nonlinearity)
    n_train = _n_train(n_train, n)
    if not isinstance(leave_one_out, (bool, np.bool_)):
        raise ValueError(f"leave_one_out must be True or False, got {leave_one_out!r}")
    if leave_one_out:
        if n_test is not None:
            raise ValueError("n_test must be None with leave_one_out: each of the n_train + 1 sequences is "
                             "scored once, by the decoder fitted on the other n_train")
        batch = n_train + 1
    else:
        batch = n_train + _n_test(n_test)
    lam = nonnegative_float(ridge, "ridge")
    if draws is not None:
        if not isinstance(draws, Draws):
            raise ValueError(f"draws must come from monte_carlo_draws, got {type(draws).__name__}")
        if draws.signals.shape != (batch, L):
            raise ValueError(f"draws hold signals of shape {draws.signals.shape}, need (sequences, L) = "
                             f"{(batch, L)}")
        if sigma > 0 and (draws.noise is None or draws.noise.shape != (L, batch, n)):
            got = None if draws.noise is None else draws.noise.shape
            raise ValueError(f"draws hold noise of shape {got}, need (L, sequences, N) = {(L, batch, n)}")
        S, noise = draws.signals, (draws.noise if sigma > 0 else None)
    else:
        rng = seed_or_generator(seed, "seed")
        S = rng.standard_normal((batch, L))  # (batch, L)
        noise = rng if sigma > 0 else None
    if not isinstance(single_precision, (bool, np.bool_)):
        raise ValueError(f"single_precision must be True or False, got {single_precision!r}")
    pairs = tuple(checked.values())
    states = None
    if single_precision:
        if isinstance(noise, np.ndarray) and noise.dtype != np.float32:
            noise = noise.astype(np.float32)
        resume = noise.bit_generator.state if isinstance(noise, np.random.Generator) else None
        states = _run(pairs, S, sigma, f, noise, np.float32)
        if all(np.all(np.isfinite(h)) for h in states):
            states = [h.astype(np.float64) for h in states]
        else:  # beyond float32's range: redo in double precision, with the same noise
            if resume is not None:
                noise.bit_generator.state = resume
            states = None
    if states is None:
        if isinstance(noise, np.ndarray) and noise.dtype != np.float64:
            noise = noise.astype(np.float64)
        states = _run(pairs, S, sigma, f, noise, np.float64)
    if not all(np.all(np.isfinite(h)) for h in states):
        raise ValueError(_OVERFLOW)
    Y = S[:, ::-1]  # (batch, L): column k is s_{L-k}
    out = {}
    for name, H in zip(checked, states):
        if leave_one_out:
            out[name] = loo_r2_score(H, Y, lam)
        else:
            coef, intercept = fit_ridge_decoder(H[:n_train], Y[:n_train], lam)
            out[name] = r2_score(Y[n_train:], H[n_train:] @ coef + intercept)
    return out


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
    "Draws",
    "DEFAULT_N_TEST",
    "DEFAULT_N_TRAIN",
    "DEFAULT_RIDGE",
    "elu_chain_r2_curve",
    "fit_ridge_decoder",
    "iterated_nonlinearity_r2",
    "lagged_targets",
    "loo_r2_score",
    "monte_carlo_draws",
    "population_r2_curve",
    "r2_curve",
    "r2_curves",
    "r2_score",
    "simulate",
    "wins_from_lag",
]

"""Monte Carlo decoding curves: simulate train and test sequences, fit, score (one network or several).

See chapter 2.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .._validate import input_vector, nonnegative_float, positive_int, seed_or_generator, square_matrix
from ..nonlinearities import check_nonlinearity
from ._checks import _n_test, _n_train, _noise_std
from .readout import DEFAULT_RIDGE, fit_ridge_decoder, loo_r2_score, r2_score
from .simulation import _OVERFLOW, _run, simulate

DEFAULT_N_TRAIN = 5000
"""Training sequences of a Monte Carlo curve (bias about (1 - R^2) (N + 1) / 5000 = 0.02 (1 - R^2) at N = 100)."""

DEFAULT_N_TEST = 2000
"""Held-out sequences of a Monte Carlo curve (s.d. at most 2 (1 - R^2) sqrt(1 / 2000) = 0.045 (1 - R^2))."""


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

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

from .exact import DEFAULT_N_QUAD, elu_chain_r2_curve, iterated_nonlinearity_r2, population_r2_curve
from .monte_carlo import DEFAULT_N_TEST, DEFAULT_N_TRAIN, Draws, monte_carlo_draws, r2_curve, r2_curves
from .readout import DEFAULT_RIDGE, fit_ridge_decoder, loo_r2_score, r2_score, wins_from_lag
from .simulation import lagged_targets, simulate

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

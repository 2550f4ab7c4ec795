"""Linear read-outs: the ridge decoder of every lag at once, held-out and leave-one-out R^2, comparing curves.

See chapter 2.
"""

from __future__ import annotations

import numpy as np

from .._validate import nonnegative_float, real_array

DEFAULT_RIDGE = 1e-8
"""Relative ridge penalty of the decoder: a numerical safeguard, not a prior."""


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

"""Argument checks shared by the decoding modules (each raises a ValueError naming the argument)."""

from __future__ import annotations

import numpy as np

from .._validate import nonnegative_float, positive_int, real_array

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

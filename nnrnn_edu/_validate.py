"""Input checks shared by the public API.

Every public function validates its arguments here so that bad input raises a
``ValueError`` naming the argument, never a traceback from deep inside numpy.
"""

from __future__ import annotations

import numbers

import numpy as np


def positive_int(value: object, name: str) -> int:
    """``value`` as a Python int >= 1, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def finite_float(value: object, name: str) -> float:
    """``value`` as a finite float, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def nonnegative_float(value: object, name: str) -> float:
    """``value`` as a finite float >= 0 (a standard deviation, a penalty), or a ValueError naming ``name``."""
    out = finite_float(value, name)
    if out < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return out


def square_matrix(W: object, name: str = "W") -> np.ndarray:
    """``W`` as a finite, square, non-empty float64 array."""
    try:
        arr = np.asarray(W, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real square matrix: {exc}") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square 2-D matrix, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row (N >= 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def input_vector(v: object, n: int, name: str = "v") -> np.ndarray:
    """``v`` as a finite, non-zero float64 vector of length ``n`` (an (n, 1) column is accepted)."""
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real vector: {exc}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of length N={n}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if not np.any(arr):
        raise ValueError(f"{name} is the zero vector; the signal never enters the network")
    return arr


def optional_horizon(horizon: object) -> int | None:
    """``None`` or a positive int."""
    if horizon is None:
        return None
    return positive_int(horizon, "horizon")


def seed_or_generator(seed: object, name: str = "seed") -> np.random.Generator:
    """A NumPy Generator from ``None``, a non-negative int, or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{name} must be None, a non-negative integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))

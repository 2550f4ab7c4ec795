"""Input checks shared by the public API.

Every public function validates its arguments here so that bad input raises a
``ValueError`` naming the argument, never a traceback from deep inside numpy.
Arrays go through :func:`real_array` (behind :func:`square_matrix` and
:func:`input_vector`): complex input raises instead of being silently cut to its
real part, and torch tensors (any device, with or without grad) become float64.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning  # np.exceptions from numpy 1.25

COMPLEX_UNSUPPORTED = "the library's networks are real (complex-valued recurrences are not supported here)"
"""Why complex input is rejected, the end of every such error message."""


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


def _is_tensor(x: object) -> bool:
    """Whether ``x`` is a torch tensor (recognised by its methods: torch is never imported here)."""
    return hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "is_complex")


def _complex_error(name: str, what: str) -> ValueError:
    return ValueError(f"{name} must be real; got a complex {what}: {COMPLEX_UNSUPPORTED}")


def _holds_complex(x: object) -> bool:
    """Whether a Python object (an entry of an object array) is a complex number or holds one."""
    if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        return True  # Python complex, numpy complex scalars
    if _is_tensor(x):
        return bool(x.is_complex())
    return isinstance(x, np.ndarray) and (np.iscomplexobj(x) or (x.dtype == object and any(map(_holds_complex, x.flat))))


def real_array(x: object, name: str, what: str = "array") -> np.ndarray:
    """``x`` as a float64 ndarray, refusing complex input instead of dropping its imaginary part.

    numpy's own ``np.asarray(x, dtype=float)`` keeps only the real part of complex
    input (with a ``ComplexWarning`` that is easy to miss), so a complex matrix
    would give a silently wrong answer. Here complex input of any form - a complex
    dtype (even with zero imaginary parts), an object array holding complex
    numbers, a complex torch tensor - raises instead.

    Parameters
    ----------
    x : array_like or torch Tensor
        Torch tensors (any device, with or without grad, any real dtype including
        bfloat16) are detached, moved to the CPU and converted to float64.
    name : str
        The argument's name, for the error message.
    what : str
        What ``x`` should be ("square matrix", "vector", ...), for the message when
        ``x`` cannot be converted to numbers at all.

    Returns
    -------
    ndarray, float64
        Any shape; the caller checks it.

    Raises
    ------
    ValueError
        Naming ``name``: if ``x`` is complex or not convertible to real numbers.
    """
    if _is_tensor(x):
        t = x.detach().cpu()
        if t.is_complex():
            raise _complex_error(name, "tensor")
        return t.double().numpy()  # float32 / bfloat16 / float16 -> float64 (bfloat16 has no numpy dtype)
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError, RuntimeError) as exc:  # ragged lists, tensors needing grad in a list
        raise ValueError(f"{name} must be a real {what}: {exc}") from None
    if arr.dtype.kind == "c":
        raise _complex_error(name, "array")
    if arr.dtype == object and any(map(_holds_complex, arr.flat)):
        raise _complex_error(name, "array (complex entries)")
    try:
        if arr.dtype != object:
            return arr.astype(np.float64, copy=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error", _ComplexWarning)  # a complex entry _holds_complex missed
            return arr.astype(np.float64)
    except _ComplexWarning:
        raise _complex_error(name, "array (complex entries)") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real {what}: {exc}") from None


def square_matrix(W: object, name: str = "W") -> np.ndarray:
    """``W`` as a finite, square, non-empty float64 array; complex input raises.

    Torch tensors are converted (see :func:`real_array`).
    """
    arr = real_array(W, name, "square matrix")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square 2-D matrix, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row (N >= 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def input_vector(v: object, n: int, name: str = "v", allow_zero: bool = False, role: str = "signal") -> np.ndarray:
    """``v`` as a finite float64 vector of length ``n`` (an (n, 1) column is accepted); complex input raises.

    Non-zero unless ``allow_zero`` (a bias may be zero, an input vector may not:
    the ``role``, "signal" or "pulse", never enters the network). Torch tensors are
    converted (see :func:`real_array`).
    """
    arr = real_array(v, name, "vector")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of length N={n}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if not allow_zero and not np.any(arr):
        raise ValueError(f"{name} is the zero vector; the {role} never enters the network")
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

"""The one table of hidden non-linearities, and the numpy versions the linear-theory code uses.

Every part of the library names a non-linearity from :data:`NONLINEARITIES`:
the decoding simulations of chapter 2 and the pulse responses of chapter 4 run
all four in numpy (:func:`apply`, :func:`apply_`); the trained models of
chapter 3 run the ones in :data:`TRAINABLE` in torch (a trained network needs a
non-linearity, so ``"linear"`` is not among them). ``"identity"`` is accepted
as a synonym of ``"linear"`` (:data:`ALIASES`).

Importing this module imports neither torch nor matplotlib.
"""

from __future__ import annotations

import numpy as np

from ._validate import COMPLEX_UNSUPPORTED, real_array

NONLINEARITIES: tuple[str, ...] = ("linear", "elu", "relu", "tanh")
"""Every non-linearity of the library, by its canonical name."""

TRAINABLE: tuple[str, ...] = ("elu", "relu", "tanh")
"""The non-linearities of the trained recurrent models (chapter 3; the paper: elu for copy and psMNIST,
relu for addition)."""

ALIASES: dict[str, str] = {"identity": "linear"}
"""Accepted synonyms and the canonical name each stands for."""


def check_nonlinearity(name: object, allowed: tuple[str, ...] = NONLINEARITIES, arg: str = "nonlinearity") -> str:
    """The canonical name of a non-linearity, or a ValueError naming the argument.

    Parameters
    ----------
    name : object
        A name from :data:`NONLINEARITIES` or :data:`ALIASES`.
    allowed : tuple of str
        The canonical names the caller supports (default: all).
    arg : str
        The argument's name, for the error message.

    Returns
    -------
    str
        The canonical name (``"identity"`` becomes ``"linear"``).

    Raises
    ------
    ValueError
        If ``name`` is not a string naming one of ``allowed``.

    See chapter 2 (decoding with non-linear networks) and chapter 3 (trained models).
    """
    canonical = ALIASES.get(name, name) if isinstance(name, str) else name
    if not isinstance(canonical, str) or canonical not in allowed:
        raise ValueError(f"{arg} must be one of {allowed}, got {name!r}")
    return canonical


def apply_(name: str, a: np.ndarray, tmp: np.ndarray | None = None) -> np.ndarray:
    """Apply a non-linearity to a float array in place.

    Parameters
    ----------
    name : str
        A canonical name (see :func:`check_nonlinearity`).
    a : ndarray
        Overwritten with ``f(a)``.
    tmp : ndarray or None
        Scratch space of ``a``'s shape for elu (allocated when None), so that hot loops allocate nothing.

    Returns
    -------
    ndarray
        ``a`` itself.

    See chapter 2 (the simulations) and chapter 4 (pulse responses).
    """
    if np.iscomplexobj(a):
        raise ValueError(f"a must be real; got a complex array: {COMPLEX_UNSUPPORTED}")
    if name == "linear":
        return a
    if name == "relu":
        np.maximum(a, 0.0, out=a)
    elif name == "tanh":
        np.tanh(a, out=a)
    elif name == "elu":  # elu(x) = x for x > 0, exp(x) - 1 otherwise
        tmp = np.empty_like(a) if tmp is None else tmp
        np.minimum(a, 0.0, out=tmp)
        np.expm1(tmp, out=tmp)
        np.maximum(a, 0.0, out=a)
        a += tmp
    else:
        raise ValueError(f"name must be one of {NONLINEARITIES}, got {name!r}")
    return a


def apply(name: str, x: np.ndarray) -> np.ndarray:
    """``f(x)`` as a new float64 array (see :func:`apply_`).

    Parameters
    ----------
    name : str
        A canonical name.
    x : array_like

    Returns
    -------
    ndarray
        float64, the shape of ``x``.

    See chapter 2 (the quadrature of the non-linear chain) and chapter 4 (pulse responses).
    """
    return apply_(name, real_array(x, "x").copy())


__all__ = ["ALIASES", "NONLINEARITIES", "TRAINABLE", "apply", "apply_", "check_nonlinearity"]

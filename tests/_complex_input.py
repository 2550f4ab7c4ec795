"""Shared by the per-module tests of complex input: every public function that takes an array must
reject a complex one with a ValueError naming the argument, never drop the imaginary part.

Not a test module (no ``test_`` prefix); the test files import it (pytest puts tests/ on sys.path).
"""

import inspect
import re
import warnings

import numpy as np
import pytest
import torch

from nnrnn_edu._validate import COMPLEX_UNSUPPORTED

ARRAY_PARAMETERS = frozenset({
    "W", "v", "bias", "signals", "states", "targets", "predictions", "a", "b", "x", "matrices",
    "networks", "model", "order", "curves", "exact", "before", "after",
})
"""Parameter names that take an array (or a container of arrays) somewhere in the library."""

FORMS = {
    "numpy": lambda x: np.asarray(x) + 0.5j,
    "object": lambda x: (np.asarray(x) + 0.5j).astype(object),
    "torch": lambda x: torch.tensor(np.asarray(x) + 0.5j),
}
"""Complex versions of a real array (the full list of forms is in tests/test_validate.py)."""


def array_functions(module) -> set[str]:
    """Names of the public functions of ``module`` (its ``__all__``) with a parameter in :data:`ARRAY_PARAMETERS`."""
    out = set()
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) and ARRAY_PARAMETERS & set(inspect.signature(obj).parameters):
            out.add(name)
    return out


def assert_rejects_complex(call, name: str, message: str | None = None) -> None:
    """``call()`` raises a ValueError whose message starts with ``name`` and emits no warning (no ComplexWarning).

    ``message``: the regex after the name (default: the complex-input message of
    :mod:`nnrnn_edu._validate`, which also says why).
    """
    pattern = rf"^{re.escape(name)} " + (message or "must be real; got a complex")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning would surface instead of the ValueError
        with pytest.raises(ValueError, match=pattern) as info:
            call()
    if message is None:
        assert COMPLEX_UNSUPPORTED in str(info.value)

"""The one table of non-linearities (nnrnn_edu.nonlinearities) and its numpy implementations."""

import numpy as np
import pytest

from nnrnn_edu import nonlinearities as nl

X = np.array([-np.inf, -30.0, -1.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 2.0, np.inf])


def _reference(name, x):
    with np.errstate(over="ignore", invalid="ignore"):
        return {
            "linear": x,
            "relu": np.where(x > 0, x, 0.0),
            "tanh": np.tanh(x),
            "elu": np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),  # the textbook definition
        }[name]


@pytest.mark.parametrize("name", nl.NONLINEARITIES)
def test_apply_matches_the_definition_bitwise(name):
    out = nl.apply(name, X)
    assert out.dtype == np.float64 and out.shape == X.shape
    assert np.array_equal(out, _reference(name, X))
    assert np.array_equal(nl.apply(name, [[0.5, -2.0]]), _reference(name, np.array([[0.5, -2.0]])))


@pytest.mark.parametrize("name", nl.NONLINEARITIES)
def test_apply_in_place_returns_its_argument_and_apply_copies(name):
    a = X.copy()
    tmp = np.empty_like(a)
    assert nl.apply_(name, a, tmp) is a
    assert np.array_equal(a, _reference(name, X))
    x = np.array([-1.0, 1.0])
    nl.apply(name, x)
    assert np.array_equal(x, [-1.0, 1.0])  # apply leaves its input alone


def test_check_nonlinearity_canonical_names_and_errors():
    assert nl.check_nonlinearity("identity") == "linear" and nl.check_nonlinearity("elu") == "elu"
    assert set(nl.TRAINABLE) < set(nl.NONLINEARITIES) and "linear" not in nl.TRAINABLE
    assert all(nl.ALIASES[a] in nl.NONLINEARITIES for a in nl.ALIASES)
    with pytest.raises(ValueError, match=r"\bnonlinearity\b"):
        nl.check_nonlinearity("sigmoid")
    with pytest.raises(ValueError, match=r"\bnonlinearity\b"):
        nl.check_nonlinearity(None)
    with pytest.raises(ValueError, match=r"\bf\b"):
        nl.check_nonlinearity("linear", allowed=nl.TRAINABLE, arg="f")
    with pytest.raises(ValueError, match=r"\bname\b"):
        nl.apply_("softplus", np.zeros(2))


# --------------------------------------------------------------------------- complex input

from _complex_input import FORMS, array_functions, assert_rejects_complex  # noqa: E402


def test_complex_cases_cover_every_public_function_that_takes_an_array():
    assert array_functions(nl) == {"apply", "apply_"}


@pytest.mark.parametrize("name", nl.NONLINEARITIES)
@pytest.mark.parametrize("form", FORMS)
def test_apply_rejects_complex_input(name, form):
    x = np.array([-1.0, 0.0, 2.0])
    assert np.array_equal(nl.apply(name, x), nl.apply(name, x.tolist()))  # the real input works
    assert_rejects_complex(lambda: nl.apply(name, FORMS[form](x)), "x")


@pytest.mark.parametrize("name", nl.NONLINEARITIES)
def test_apply_in_place_rejects_complex_arrays_and_leaves_them_alone(name):
    a = np.array([-1.0, 2.0]) + 0.5j
    assert_rejects_complex(lambda: nl.apply_(name, a), "a")
    assert np.array_equal(a, np.array([-1.0, 2.0]) + 0.5j)

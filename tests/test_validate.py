"""The shared input checks (nnrnn_edu._validate): real arrays only, torch tensors converted, errors name the argument."""

import re
import warnings

import numpy as np
import pytest
import torch

from nnrnn_edu._validate import COMPLEX_UNSUPPORTED, input_vector, real_array, square_matrix

A = np.array([[0.5, 1.0], [0.0, 0.25]])

COMPLEX_FORMS = {
    "complex128": lambda x: np.asarray(x) + 0.5j,
    "complex64": lambda x: (np.asarray(x) + 0.5j).astype(np.complex64),
    "zero imaginary part": lambda x: np.asarray(x).astype(np.complex128),
    "nested list": lambda x: (np.asarray(x) + 0.5j).tolist(),
    "object array of complex": lambda x: (np.asarray(x) + 0.5j).astype(object),
    "object array of numpy complex": lambda x: np.array(
        [np.complex64(e) for e in np.ravel(x)], dtype=object).reshape(np.shape(x)),
    "one complex entry among reals": lambda x: np.where(
        np.arange(np.size(x)).reshape(np.shape(x)) == 0, np.asarray(x, dtype=object) + 1j, np.asarray(x, dtype=object)),
    "torch complex64": lambda x: torch.tensor(np.asarray(x) + 0.5j, dtype=torch.complex64),
    "torch complex128, requires grad": lambda x: torch.tensor(np.asarray(x) + 0.5j).requires_grad_(),
}


def _raises_complex_error(call, name):
    """``call`` raises the ValueError for complex input naming ``name``, and emits no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning would surface here instead of the ValueError
        with pytest.raises(ValueError, match=rf"^{re.escape(name)} must be real; got a complex") as info:
            call()
    assert COMPLEX_UNSUPPORTED in str(info.value)


@pytest.mark.parametrize("form", COMPLEX_FORMS)
def test_square_matrix_rejects_every_complex_form(form):
    _raises_complex_error(lambda: square_matrix(COMPLEX_FORMS[form](A), "W"), "W")


@pytest.mark.parametrize("form", COMPLEX_FORMS)
def test_input_vector_and_real_array_reject_every_complex_form(form):
    _raises_complex_error(lambda: input_vector(COMPLEX_FORMS[form](A[0]), 2, "v"), "v")
    _raises_complex_error(lambda: real_array(COMPLEX_FORMS[form](A), "signals"), "signals")


def test_numpy_itself_drops_the_imaginary_part_which_is_why_we_check():
    with pytest.warns(getattr(np, "exceptions", np).ComplexWarning):
        assert np.array_equal(np.asarray(0.5j * np.eye(2), dtype=np.float64), np.zeros((2, 2)))


@pytest.mark.parametrize(
    "tensor",
    [
        torch.tensor(A, dtype=torch.float32),
        torch.tensor(A, dtype=torch.float64),
        torch.tensor(A, dtype=torch.bfloat16),
        torch.tensor(A, dtype=torch.float32, requires_grad=True),
        torch.tensor(A, dtype=torch.float16),
    ],
    ids=["float32", "float64", "bfloat16", "float32-grad", "float16"],
)
def test_real_torch_tensors_become_float64_arrays(tensor):
    W = square_matrix(tensor, "W")
    assert isinstance(W, np.ndarray) and W.dtype == np.float64
    assert np.allclose(W, A, atol=1e-2)
    v = input_vector(tensor[0], 2, "v")
    assert v.dtype == np.float64 and np.allclose(v, A[0], atol=1e-2)


def test_real_input_of_other_dtypes_is_converted_unchanged():
    assert square_matrix([[1, 2], [3, 4]]).dtype == np.float64
    assert np.array_equal(square_matrix(np.array([[True, False], [False, True]])), np.eye(2))
    assert np.array_equal(square_matrix(np.array([[1, 2], [3, 4]], dtype=object)), [[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(input_vector(np.array([[1.0], [2.0]], dtype=np.float32), 2), [1.0, 2.0])
    W = np.eye(3)
    assert square_matrix(W) is W  # no copy of float64 input, as before


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: square_matrix([[1, 2], [3, "a"]], "W"), r"^W must be a real square matrix"),
        (lambda: square_matrix([[1, 2], [3]], "W"), r"^W must be a real square matrix"),
        (lambda: square_matrix(np.array([[None, 1.0], [1.0, 1.0]]), "W"), r"^W contains NaN"),  # None -> NaN, as numpy
        (lambda: square_matrix([torch.ones(2, requires_grad=True)] * 2, "W"), r"^W must be a real square matrix"),
        (lambda: square_matrix(np.ones((2, 3)), "W"), r"^W must be a square 2-D matrix"),
        (lambda: square_matrix(np.zeros((0, 0)), "W"), r"^W must have at least one row"),
        (lambda: square_matrix([[np.inf]], "W"), r"^W contains NaN"),
        (lambda: input_vector(np.zeros(3), 3, "v"), r"^v is the zero vector; the signal never"),
        (lambda: input_vector(np.zeros(3), 3, "v", role="pulse"), r"^v is the zero vector; the pulse never"),
        (lambda: input_vector(np.ones(4), 3, "v"), r"^v must be a vector of length N=3"),
        (lambda: input_vector("abc", 3, "bias"), r"^bias must be a real vector"),
    ],
)
def test_bad_real_input_messages_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_zero_bias_is_allowed_where_asked():
    assert np.array_equal(input_vector(np.zeros(3), 3, "bias", allow_zero=True), np.zeros(3))

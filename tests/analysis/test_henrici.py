"""Henrici index of trained-like matrices (nnrnn_edu.analysis.henrici; chapter 4, paper Table 2)."""

import mpmath
import numpy as np
import pytest
import torch

from nnrnn_edu import analysis as an
from nnrnn_edu import connectivity as cx
from nnrnn_edu.analysis import henrici


def test_henrici_is_the_foundation_function():
    assert an.henrici_index is henrici.henrici_index is cx.henrici_index


@pytest.mark.parametrize("n,alpha", [(100, 1.0), (100, 1.02), (30, 2.0)])
def test_henrici_chain_closed_form(n, alpha):
    assert an.henrici_index(cx.chain(n, alpha)) == pytest.approx(alpha * np.sqrt(n - 1), rel=1e-14)


@pytest.mark.parametrize("alpha,beta", [(0.99, 0.01), (0.99, 0.04), (0.99, 0.07), (1.5, 0.3)])
def test_henrici_fbchain_closed_form(alpha, beta):
    W = cx.chain_with_feedback(100, alpha, beta)
    assert an.henrici_index(W) == pytest.approx(abs(alpha - beta) * np.sqrt(99), rel=1e-13)


@pytest.mark.parametrize("kind", ["identity", "orthogonal"])
def test_henrici_normal_is_zero(kind):
    W = cx.recurrent_matrix(kind, 100, 0.97, seed=2)
    assert an.henrici_index(W) < 1e-10
    assert an.henrici_index(W, normalized=True) < 1e-12
    # a symmetric dense matrix is normal too
    A = np.random.default_rng(0).standard_normal((60, 60))
    assert an.henrici_index(A + A.T) < 1e-10


def test_henrici_dense_against_mpmath():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((12, 12)) / np.sqrt(12)
    mpmath.mp.dps = 40
    lam = mpmath.eig(mpmath.matrix(W.tolist()), left=False, right=False)
    d2 = sum(mpmath.mpf(x) ** 2 for x in W.ravel()) - sum(abs(x) ** 2 for x in lam)
    assert an.henrici_index(W) == pytest.approx(float(mpmath.sqrt(d2)), rel=1e-11)


def test_henrici_dense_known_structure_and_unitary_invariance():
    # W = Q T Q^T with T upper triangular: d = ||strict upper part of T||_F exactly
    rng = np.random.default_rng(1)
    T = np.triu(rng.standard_normal((40, 40)), 1) * 0.3 + np.diag(rng.uniform(-0.9, 0.9, 40))
    Q = cx.random_orthogonal(40, seed=3)
    W = Q @ T @ Q.T
    exact = np.linalg.norm(np.triu(T, 1))
    assert an.henrici_index(W) == pytest.approx(exact, rel=1e-9)


def test_henrici_block_triangular_uses_exact_blocks():
    # two chains-with-feedback coupled one way: exact through the strongly connected blocks
    F1, F2 = cx.chain_with_feedback(50, 0.99, 0.04), cx.chain_with_feedback(50, 0.99, 0.07)
    C = np.random.default_rng(0).standard_normal((50, 50)) * 0.1
    W = np.block([[F1, np.zeros((50, 50))], [C, F2]])
    exact = np.sqrt(np.sum(C**2) + 0.95**2 * 49 + 0.92**2 * 49)
    assert an.henrici_index(W) == pytest.approx(exact, rel=1e-12)
    T = __import__("scipy.linalg").linalg.schur(W, output="complex")[0]
    assert np.linalg.norm(np.triu(T, 1)) < 0.97 * exact  # the plain Schur value is off


def test_henrici_torch_float32_and_normalisation():
    W = cx.chain_with_feedback(100, 0.99, 0.04)
    t = torch.tensor(W, dtype=torch.float32, requires_grad=True)
    assert an.henrici_index(t) == pytest.approx(0.95 * np.sqrt(99), rel=1e-6)
    assert an.henrici_index(t.detach().numpy()) == pytest.approx(0.95 * np.sqrt(99), rel=1e-6)
    dn = an.henrici_index(W, normalized=True)
    assert dn == pytest.approx(0.95 * np.sqrt(99) / np.linalg.norm(W), rel=1e-12)
    assert an.henrici_index(np.zeros((3, 3)), normalized=True) == 0.0
    stack = torch.stack([torch.tensor(cx.chain(20, a)) for a in (1.0, 2.0)])
    assert np.allclose(an.henrici_indices(stack), [np.sqrt(19), 2 * np.sqrt(19)])


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: an.henrici_index(np.ones((2, 3))), "W"),
        (lambda: an.henrici_index(np.eye(2) * 1j), "W"),
        (lambda: an.henrici_index(torch.ones(2, 2, dtype=torch.complex64)), "W"),
        (lambda: an.henrici_indices(np.ones((2, 2))), "matrices"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# --------------------------------------------------------------------------- complex input

from _complex_input import FORMS, array_functions, assert_rejects_complex  # noqa: E402


def test_complex_cases_cover_every_public_function_that_takes_an_array():
    assert array_functions(henrici) == {"henrici_index", "henrici_indices"}


@pytest.mark.parametrize("form", FORMS)
def test_complex_input_raises_naming_the_argument(form):
    W = cx.chain(4, 0.9)
    assert an.henrici_index(W) > 0 and an.henrici_indices([W, W]).shape == (2,)  # the real input works
    assert_rejects_complex(lambda: an.henrici_index(FORMS[form](W)), "W")
    assert_rejects_complex(lambda: an.henrici_indices([W, FORMS[form](W)]), "matrices[1]")
    stack = np.stack([W, W])
    assert_rejects_complex(lambda: an.henrici_indices(FORMS[form](stack)), "matrices[0]")

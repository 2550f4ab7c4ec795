"""Initialisers, exact spectra and the Henrici index against closed forms."""

import numpy as np
import pytest

from nnrnn_edu import connectivity as cx


@pytest.mark.parametrize("n", [1, 2, 5, 100])
def test_chain_is_subdiagonal_and_moves_signal_to_last_unit(n):
    W = cx.chain(n, alpha=1.3)
    assert W.shape == (n, n) and W.dtype == np.float64
    assert np.array_equal(W, np.diag(np.full(n - 1, 1.3), -1))
    h = np.zeros(n)
    h[0] = 1.0
    for _ in range(n - 1):
        h = W @ h
    assert h[-1] == pytest.approx(1.3 ** (n - 1)) and np.count_nonzero(h) == 1


def test_chain_with_feedback_layout():
    W = cx.chain_with_feedback(6, alpha=0.99, beta=0.04)
    assert np.array_equal(np.diag(W, -1), np.full(5, 0.99))
    assert np.array_equal(np.diag(W, 1), np.full(5, 0.04))
    assert np.count_nonzero(W) == 10


def test_scaled_identity_and_orthogonal():
    assert np.array_equal(cx.scaled_identity(4, 0.5), 0.5 * np.eye(4))
    Q = cx.random_orthogonal(50, lam=1.0, seed=3)
    assert np.allclose(Q @ Q.T, np.eye(50), atol=1e-12)
    Q2 = cx.random_orthogonal(50, lam=0.9, seed=3)
    assert np.allclose(Q2, 0.9 * Q)


def test_orthogonal_seed_reproducible_and_distinct():
    a = cx.random_orthogonal(30, seed=7)
    assert np.array_equal(a, cx.random_orthogonal(30, seed=7))
    assert not np.allclose(a, cx.random_orthogonal(30, seed=8))
    rng = np.random.default_rng(7)
    assert np.array_equal(a, cx.random_orthogonal(30, seed=rng))


def test_orthogonal_is_haar_not_biased():
    # Haar: the mean of Q[0, 0] over draws is 0 (QR without the sign fix is biased positive)
    vals = [cx.random_orthogonal(3, seed=s)[0, 0] for s in range(2000)]
    assert abs(np.mean(vals)) < 0.05


def test_input_matrices():
    V = cx.chain_input(10, 3)
    assert np.array_equal(V, 0.9 * np.eye(10, 3))
    G = cx.gaussian_input(400, 50, seed=0)
    assert G.shape == (400, 50)
    assert np.std(G) == pytest.approx(0.9 / np.sqrt(400), rel=0.02)
    assert np.array_equal(cx.input_matrix("fbchain", 10, 3), V)
    assert np.array_equal(cx.input_matrix("orthogonal", 400, 50, seed=0), G)


def test_recurrent_matrix_by_kind():
    assert np.array_equal(cx.recurrent_matrix("chain", 5, 1.02), cx.chain(5, 1.02))
    assert np.array_equal(cx.recurrent_matrix("fbchain", 5, 0.07), cx.chain_with_feedback(5, 0.99, 0.07))
    assert np.array_equal(cx.recurrent_matrix("identity", 5, 0.96), 0.96 * np.eye(5))
    assert np.array_equal(cx.recurrent_matrix("orthogonal", 5, 1.0, seed=1), cx.random_orthogonal(5, 1.0, seed=1))


def test_fbchain_defaults_are_the_paper_initialiser():
    # alpha is the forward gain and beta the feedback everywhere; the defaults are the named constants
    assert (cx.FBCHAIN_FORWARD, cx.FBCHAIN_FEEDBACK) == (0.99, 0.04)
    paper = cx.chain_with_feedback(6, 0.99, 0.04)
    assert np.array_equal(cx.chain_with_feedback(6), paper)
    assert np.array_equal(cx.recurrent_matrix("fbchain", 6), paper)
    W, _ = cx.memory_network("fbchain", 6, alpha=0.99)
    assert np.array_equal(W, paper)
    W, _ = cx.memory_network("fbchain", 6, alpha=1.5, beta=0.2)
    assert np.all(np.diag(W, -1) == 1.5) and np.all(np.diag(W, 1) == 0.2)


def test_memory_network_unit_inputs():
    for kind in cx.KINDS:
        W, v = cx.memory_network(kind, 20)
        assert W.shape == (20, 20) and np.linalg.norm(v) == pytest.approx(1.0)
    W, v = cx.memory_network("chain", 20)
    assert v[0] == 1.0


@pytest.mark.parametrize("n,alpha", [(100, 1.0), (100, 1.02), (37, 2.0)])
def test_chain_spectrum_and_henrici_closed_form(n, alpha):
    W = cx.chain(n, alpha)
    assert cx.spectral_radius(W) == 0.0
    assert cx.henrici_index(W) == pytest.approx(alpha * np.sqrt(n - 1), rel=1e-14)


@pytest.mark.parametrize("n,alpha,beta", [(100, 0.99, 0.01), (100, 0.99, 0.04), (100, 0.99, 0.07), (60, 1.5, 0.1)])
def test_fbchain_spectrum_and_henrici_closed_form(n, alpha, beta):
    W = cx.chain_with_feedback(n, alpha, beta)
    exact = 2 * np.sqrt(alpha * beta) * np.cos(np.pi * np.arange(1, n + 1) / (n + 1))
    lam = np.sort(cx.eigenvalues(W).real)
    assert np.allclose(lam, np.sort(exact), atol=1e-13)
    assert cx.spectral_radius(W) == pytest.approx(2 * np.sqrt(alpha * beta) * np.cos(np.pi / (n + 1)), rel=1e-13)
    assert cx.henrici_index(W) == pytest.approx(abs(alpha - beta) * np.sqrt(n - 1), rel=1e-13)


def test_plain_eigvals_is_wrong_on_fbchain_but_we_are_not():
    # the pitfall this module exists for (reference values: 0.74 vs exact 0.40)
    W = cx.chain_with_feedback(100, 0.99, 0.04)
    naive = np.max(np.abs(np.linalg.eigvals(W)))
    assert naive > 0.5
    assert cx.spectral_radius(W) == pytest.approx(0.3978, abs=1e-4)
    assert cx.henrici_index(W) == pytest.approx(9.45, abs=0.01)


@pytest.mark.parametrize("kind", ["identity", "orthogonal"])
def test_normal_matrices_have_zero_henrici(kind):
    W = cx.recurrent_matrix(kind, 100, 1.03, seed=0)
    assert cx.henrici_index(W) < 1e-10
    assert cx.spectral_radius(W) == pytest.approx(1.03, rel=1e-12)


def test_dense_nonnormal_henrici_matches_definition():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((30, 30)) / np.sqrt(30)
    lam = np.linalg.eigvals(W)
    d = np.sqrt(np.linalg.norm(W) ** 2 - np.sum(np.abs(lam) ** 2))
    assert cx.henrici_index(W) == pytest.approx(d, rel=1e-8)
    # invariant under orthogonal similarity
    Q = cx.random_orthogonal(30, seed=1)
    assert cx.henrici_index(Q @ W @ Q.T) == pytest.approx(d, rel=1e-8)


def test_tridiagonal_with_negative_products_falls_back_to_schur():
    W = cx.chain_with_feedback(20, 0.5, -0.2)
    lam = np.linalg.eigvals(W)  # small and well-conditioned enough here
    assert cx.spectral_radius(W) == pytest.approx(np.max(np.abs(lam)), rel=1e-6)
    d = np.sqrt(np.linalg.norm(W) ** 2 - np.sum(np.abs(lam) ** 2))
    assert cx.henrici_index(W) == pytest.approx(d, rel=1e-6)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: cx.chain(0), "n"),
        (lambda: cx.chain(-3), "n"),
        (lambda: cx.chain(2.5), "n"),
        (lambda: cx.chain(5, alpha=float("nan")), "alpha"),
        (lambda: cx.chain_with_feedback(5, beta=float("inf")), "beta"),
        (lambda: cx.scaled_identity(5, lam="x"), "lam"),
        (lambda: cx.random_orthogonal(5, seed=-1), "seed"),
        (lambda: cx.random_orthogonal(5, seed=1.5), "seed"),
        (lambda: cx.chain_input(3, 4), "d"),
        (lambda: cx.recurrent_matrix("ring", 5), "kind"),
        (lambda: cx.spectral_radius(np.ones((2, 3))), "W"),
        (lambda: cx.henrici_index(np.array([[np.nan]])), "W"),
        (lambda: cx.henrici_index(np.zeros((0, 0))), "W"),
        (lambda: cx.eigenvalues([[1, 2], [3, "a"]]), "W"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


@pytest.mark.parametrize("module", ["connectivity", "memory", "decoding", "analysis", "nonlinearities"])
def test_numerical_modules_import_neither_torch_nor_matplotlib(module):
    import subprocess
    import sys

    code = (f"import sys, nnrnn_edu.{module}; "
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------- complex input

from _complex_input import FORMS, array_functions, assert_rejects_complex  # noqa: E402

# function, keyword arguments (real and valid), the argument made complex
COMPLEX_CASES = [
    (cx.eigenvalues, {"W": 0.5 * np.eye(3)}, "W"),
    (cx.spectral_radius, {"W": 0.5 * np.eye(3)}, "W"),
    (cx.henrici_index, {"W": cx.chain(3)}, "W"),
]


def test_complex_cases_cover_every_public_function_that_takes_an_array():
    assert array_functions(cx) == {f.__name__ for f, _, _ in COMPLEX_CASES}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("func, kwargs, arg", COMPLEX_CASES, ids=[f.__name__ for f, _, _ in COMPLEX_CASES])
def test_complex_input_raises_naming_the_argument(func, kwargs, arg, form):
    func(**kwargs)  # the real input works
    bad = {**kwargs, arg: FORMS[form](kwargs[arg])}
    assert_rejects_complex(lambda: func(**bad), arg)


def test_complex_matrix_was_silently_wrong_and_now_raises():
    # numpy alone: eigenvalues of 0.5j I would come out as 0 (the imaginary part dropped)
    with pytest.raises(ValueError, match="W must be real"):
        cx.spectral_radius(0.5j * np.eye(3))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: cx.chain(3, alpha=0.5j), "alpha"),
        (lambda: cx.chain_with_feedback(3, beta=np.complex128(0.1)), "beta"),
        (lambda: cx.scaled_identity(3, lam=1j), "lam"),
        (lambda: cx.random_orthogonal(3, lam=1 + 0j), "lam"),
        (lambda: cx.recurrent_matrix("chain", 3, scale=1j), "alpha"),
        (lambda: cx.memory_network("fbchain", 3, beta=0.1j), "beta"),
        (lambda: cx.chain(3 + 0j), "n"),
    ],
)
def test_complex_scalars_raise_naming_the_argument(call, name):
    assert_rejects_complex(call, name, "must be a (finite real number|positive integer)")


def test_torch_tensors_work_with_or_without_grad():
    import torch

    W = cx.chain_with_feedback(20, 0.99, 0.04)
    for t in (torch.tensor(W, dtype=torch.float32), torch.tensor(W, dtype=torch.float32, requires_grad=True)):
        assert cx.spectral_radius(t) == pytest.approx(cx.spectral_radius(W), rel=1e-6)
        assert cx.henrici_index(t) == pytest.approx(cx.henrici_index(W), rel=1e-6)

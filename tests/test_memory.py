"""Fisher memory against closed forms and invariants (paper eqs. 3-4, Ganguli et al. 2008)."""

import numpy as np
import pytest

from nnrnn_edu import connectivity as cx
from nnrnn_edu.memory import (
    IllConditionedError,
    curve_and_total,
    fisher_memory_curve,
    noise_covariance,
    total_fisher_memory,
    transient_amplification,
)


def _e1(n):
    v = np.zeros(n)
    v[0] = 1.0
    return v


def _chain_closed_form(alpha, n, k_max):
    k = np.arange(k_max)
    A = alpha**2
    J = np.where(k < n, A**k / np.array([np.sum(A ** np.arange(j + 1)) for j in k]), 0.0)
    return J


@pytest.mark.parametrize("alpha", [0.5, 0.95, 1.0, 1.02, 1.05, 1.5, 2.0])
def test_chain_curve_closed_form(alpha):
    n = 100
    J = fisher_memory_curve(cx.chain(n, alpha), _e1(n), 130)
    assert np.allclose(J, _chain_closed_form(alpha, n, 130), rtol=1e-10, atol=1e-14)
    assert np.all(J[n:] == 0)


def test_chain_alpha_one_is_harmonic():
    n = 100
    J = fisher_memory_curve(cx.chain(n, 1.0), _e1(n), n)
    assert np.allclose(J, 1.0 / (np.arange(n) + 1.0), rtol=1e-12)
    assert total_fisher_memory(cx.chain(n, 1.0), _e1(n)) == pytest.approx(np.sum(1 / np.arange(1, n + 1)), rel=1e-12)


@pytest.mark.parametrize("alpha,expected", [(0.95, 3.033), (1.0, 5.187), (1.02, 7.606), (1.05, 12.087), (2.0, 75.316)])
def test_chain_total_memory_reference_values(alpha, expected):
    assert total_fisher_memory(cx.chain(100, alpha), _e1(100)) == pytest.approx(expected, abs=1e-3)


def test_large_gain_chain_is_exact_where_lyapunov_fails():
    # alpha = 2: cond(C) ~ 4^(N-1); a Lyapunov solver returns a non-PD C, the finite sum does not
    n = 100
    C = noise_covariance(cx.chain(n, 2.0))
    assert np.allclose(np.diag(C), (4.0 ** (np.arange(n) + 1) - 1) / 3, rtol=1e-12)
    assert np.count_nonzero(C - np.diag(np.diag(C))) == 0
    jt = total_fisher_memory(cx.chain(1000, 1.05), _e1(1000))
    assert jt == pytest.approx(95.761, abs=1e-3)


@pytest.mark.parametrize("kind", ["identity", "orthogonal"])
@pytest.mark.parametrize("lam", [0.5, 0.9, 0.99])
def test_normal_networks(kind, lam):
    W, v = cx.memory_network(kind, 100, lam=lam, seed=4)
    J = fisher_memory_curve(W, v, 50)
    k = np.arange(50)
    assert np.allclose(J, lam ** (2 * k) * (1 - lam**2), rtol=1e-9, atol=1e-15)
    assert total_fisher_memory(W, v) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("lam", [1.0, 1.03])
def test_normal_networks_finite_horizon(lam):
    W, v = cx.memory_network("orthogonal", 60, lam=lam, seed=1)
    assert total_fisher_memory(W, v, horizon=500) == pytest.approx(1.0, abs=1e-9)
    J = fisher_memory_curve(W, v, 40, horizon=30)
    assert np.all(J[30:] == 0) and np.all(J[:30] > 0)
    assert np.sum(J) == pytest.approx(1.0, abs=1e-9)


def test_total_memory_at_most_n_and_curve_sums_to_total():
    rng = np.random.default_rng(0)
    n = 40
    for trial in range(5):
        W = rng.standard_normal((n, n)) * 0.8 / np.sqrt(n)
        v = rng.standard_normal(n)
        v /= np.linalg.norm(v)
        jt = total_fisher_memory(W, v)
        assert 0 < jt <= n + 1e-9
        J = fisher_memory_curve(W, v, 3000)
        assert np.sum(J) == pytest.approx(jt, rel=1e-8)
        assert np.all(J >= 0)


def test_fbchain_reference_values_and_consistency():
    v = _e1(100)
    for beta, expected in [(0.01, 4.46), (0.04, 5.35), (0.07, 6.81)]:
        W = cx.chain_with_feedback(100, 0.99, beta)
        jt = total_fisher_memory(W, v)
        assert jt == pytest.approx(expected, abs=0.01)
        J, jt2 = curve_and_total(W, v, 3000)
        assert jt2 == pytest.approx(jt, rel=1e-12)
        assert np.sum(J) == pytest.approx(jt, rel=1e-8)


def test_finite_horizon_matches_direct_sum():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((8, 8)) * 0.6
    for T in [1, 2, 3, 7, 13, 64]:
        direct = sum(np.linalg.matrix_power(W, k) @ np.linalg.matrix_power(W, k).T for k in range(T))
        assert np.allclose(noise_covariance(W, horizon=T), direct, rtol=1e-10)


def test_transient_amplification():
    n = 30
    amp = transient_amplification(cx.chain(n, 1.1), _e1(n), 40)
    k = np.arange(40)
    assert np.allclose(amp, np.where(k < n, 1.1 ** (2 * k), 0.0))
    W, v = cx.memory_network("orthogonal", n, lam=0.9)
    assert np.allclose(transient_amplification(W, v, 10), 0.81 ** np.arange(10))


def test_unstable_without_horizon_raises_clear_error():
    W, v = cx.memory_network("orthogonal", 20, lam=1.0)
    with pytest.raises(ValueError, match="spectral radius.*horizon"):
        fisher_memory_curve(W, v, 10)
    with pytest.raises(ValueError, match="horizon"):
        total_fisher_memory(W, v)


def test_ill_conditioned_covariance_is_reported():
    # N = 100 (refused before the square-root formulation) is now computed; N = 200 is beyond
    # even the factor: cond(L) ~ 1e17 with rows scaled, and the error says how far beyond
    W, v = cx.memory_network("fbchain", 200, alpha=1.5, beta=0.1)
    with pytest.raises(IllConditionedError, match=r"singular.*factor.*condition number \d.*e\+\d+.*times beyond"):
        total_fisher_memory(W, v)
    with pytest.raises(IllConditionedError):
        fisher_memory_curve(W, v, 10)
    assert 0 < total_fisher_memory(*cx.memory_network("fbchain", 100, alpha=1.5, beta=0.1)) <= 100


def test_triangular_banded_beyond_the_limit_is_refused_before_the_factor_is_finished():
    # 0.2 I + 1.5 (sub-diagonal), N = 300: Hammarling's method sees cond(L) > 1/eps in the leading
    # 128 x 128 block already and stops there (a lower bound, so "or more")
    n = 300
    W = 0.2 * np.eye(n) + np.diag(np.full(n - 1, 1.5), -1)
    with pytest.raises(IllConditionedError, match=r"condition number \d\.\de\+\d+ or more.*at least about .* times beyond"):
        fisher_memory_curve(W, _e1(n), 10)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: fisher_memory_curve(np.eye(3), np.ones(4), 5), "v"),
        (lambda: fisher_memory_curve(np.eye(3), np.zeros(3), 5), "v"),
        (lambda: fisher_memory_curve(np.eye(3) * 0.5, [1, np.nan, 0], 5), "v"),
        (lambda: fisher_memory_curve(np.ones((3, 2)), np.ones(3), 5), "W"),
        (lambda: fisher_memory_curve(np.full((2, 2), np.inf), np.ones(2), 5), "W"),
        (lambda: fisher_memory_curve(np.eye(3) * 0.5, np.ones(3), 0), "k_max"),
        (lambda: fisher_memory_curve(np.eye(3) * 0.5, np.ones(3), 5, horizon=0), "horizon"),
        (lambda: total_fisher_memory(np.eye(3) * 0.5, np.ones((3, 2))), "v"),
        (lambda: transient_amplification(np.eye(2), np.ones(2), -1), "k_max"),
        (lambda: noise_covariance(np.zeros((0, 0))), "W"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_overflowing_chain_gives_clear_error():
    with pytest.raises(ValueError, match="overflow"):
        total_fisher_memory(cx.chain(1100, 2.0), _e1(1100))


# --------------------------------------------------------------------------- complex input

from _complex_input import FORMS, array_functions, assert_rejects_complex  # noqa: E402

from nnrnn_edu import memory  # noqa: E402

W3, V3 = 0.5 * np.eye(3), _e1(3)
# function, keyword arguments (real and valid), the argument made complex
COMPLEX_CASES = [
    (noise_covariance, {"W": W3}, "W"),
    (transient_amplification, {"W": W3, "v": V3, "k_max": 3}, "W"),
    (transient_amplification, {"W": W3, "v": V3, "k_max": 3}, "v"),
    (fisher_memory_curve, {"W": W3, "v": V3, "k_max": 3}, "W"),
    (fisher_memory_curve, {"W": W3, "v": V3, "k_max": 3}, "v"),
    (curve_and_total, {"W": W3, "v": V3, "k_max": 3}, "W"),
    (curve_and_total, {"W": W3, "v": V3, "k_max": 3}, "v"),
    (total_fisher_memory, {"W": W3, "v": V3}, "W"),
    (total_fisher_memory, {"W": W3, "v": V3}, "v"),
]


def test_complex_cases_cover_every_public_function_that_takes_an_array():
    assert array_functions(memory) == {f.__name__ for f, _, _ in COMPLEX_CASES}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("func, kwargs, arg", COMPLEX_CASES,
                         ids=[f"{f.__name__}-{a}" for f, _, a in COMPLEX_CASES])
def test_complex_input_raises_naming_the_argument(func, kwargs, arg, form):
    func(**kwargs)  # the real input works
    bad = {**kwargs, arg: FORMS[form](kwargs[arg])}
    assert_rejects_complex(lambda: func(**bad), arg)


def test_the_reported_complex_example_no_longer_returns_a_wrong_curve():
    # before: [1, 0, 0] with a ComplexWarning (0.5j I read as the zero matrix)
    with pytest.raises(ValueError, match="W must be real; got a complex array"):
        fisher_memory_curve(0.5j * np.eye(3), _e1(3), 3)


def test_float32_torch_tensors_give_the_float64_answer():
    import torch

    W, v = cx.memory_network("fbchain", 30, alpha=0.9, beta=0.05)
    J = fisher_memory_curve(W, v, 40)
    Jt = fisher_memory_curve(torch.tensor(W, dtype=torch.float32), torch.tensor(v, dtype=torch.float32), 40)
    assert np.allclose(Jt, J, rtol=1e-5, atol=1e-9)


def test_float64_overflow_is_beyond_double_precision_too():
    # the chain with alpha = 1.2 at N = 2000: its last unit's noise variance ~ 1.2^(2N) > 1e308
    with pytest.raises(memory.Float64OverflowError, match="overflow"):
        total_fisher_memory(cx.chain(2000, 1.2), _e1(2000))
    assert issubclass(memory.Float64OverflowError, memory.IllConditionedError)


@pytest.mark.parametrize("n", [10, 64, 100])
def test_zero_recurrence_has_memory_only_at_lag_zero(n):
    # W = 0 (e.g. the explorer's random orthogonal network at lambda = 0): C = I, J(0) = ||v||^2, J(k > 0) = 0
    W, v = np.zeros((n, n)), np.eye(n)[0]
    J, total = memory.curve_and_total(W, v, n)
    np.testing.assert_array_equal(J, np.r_[1.0, np.zeros(n - 1)])
    assert total == 1.0
    np.testing.assert_array_equal(memory.fisher_memory_curve(W, v, 5), [1, 0, 0, 0, 0])
    assert memory.transient_amplification(W, v, 3).tolist() == [1.0, 0.0, 0.0]

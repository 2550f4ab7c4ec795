"""Chapter 1's module (nnrnn_edu.chapters.ch01): its presets and the memory explorer's data."""

import numpy as np
import pytest

from nnrnn_edu import config
from nnrnn_edu import connectivity as cx
from nnrnn_edu.chapters import ch01
from nnrnn_edu.memory import fisher_memory_curve, total_fisher_memory, transient_amplification


def test_presets_follow_quick_mode(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")
    quick = ch01.fisher_memory_preset()
    monkeypatch.setenv(config.QUICK_ENV_VAR, "0")
    full = ch01.fisher_memory_preset()
    assert quick.quick and not full.quick
    assert max(quick.sizes) < max(full.sizes) and quick.n == full.n == 100
    assert ch01.fisher_memory_preset(quick=True) == quick and ch01.fisher_memory_preset(False) == full
    with pytest.raises(ValueError, match="quick"):
        ch01.fisher_memory_preset("yes")


@pytest.mark.parametrize("kind", cx.KINDS)
def test_explorer_data_are_the_library_curves(kind):
    d = ch01.memory_explorer_data(kind=kind, n=40, alpha=1.2, beta=0.05, lam=0.9, k_max=60)
    W, v = cx.memory_network(kind, 40, alpha=1.2, beta=0.05, lam=0.9, seed=0)
    assert d.error is None and d.horizon is None and d.J.shape == d.amplification.shape == (60,)
    np.testing.assert_allclose(d.J, fisher_memory_curve(W, v, 60), rtol=1e-12, atol=1e-15)
    assert d.J_tot == pytest.approx(total_fisher_memory(W, v), rel=1e-10)
    np.testing.assert_allclose(d.amplification, transient_amplification(W, v, 60), rtol=1e-12)
    assert d.spectral_radius == cx.spectral_radius(W) and d.henrici == cx.henrici_index(W)
    assert np.array_equal(d.reference[:40], 1.0 / np.arange(1, 41)) and np.all(d.reference[40:] == 0)


def test_explorer_data_default_lags_and_finite_horizon_when_unstable():
    d = ch01.memory_explorer_data(kind="orthogonal", n=30, lam=1.0)
    assert d.J.shape == (60,) and d.horizon == 60  # spectral radius 1: C_T with T = 2 N
    assert d.J_tot == pytest.approx(1.0, abs=1e-9)
    chain = ch01.memory_explorer_data(kind="chain", n=30, alpha=2.0)
    assert chain.horizon is None  # the nilpotent chain always has its finite stationary C


def test_explorer_data_report_ill_conditioned_networks():
    d = ch01.memory_explorer_data(kind="fbchain", n=100, alpha=1.5, beta=0.3)
    assert d.J is None and d.amplification is None and np.isnan(d.J_tot)
    assert "singular" in d.error


@pytest.mark.parametrize(
    "kw,name",
    [({"kind": "ring"}, "kind"), ({"n": 0}, "n"), ({"alpha": float("nan")}, "alpha"), ({"k_max": 0}, "k_max")],
)
def test_explorer_data_bad_input_names_argument(kw, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        ch01.memory_explorer_data(**kw)


@pytest.mark.parametrize("name", ["alpha", "beta", "lam"])
@pytest.mark.parametrize("kind", cx.KINDS)
def test_explorer_data_rejects_complex_and_nan_parameters_even_those_the_kind_ignores(name, kind):
    import warnings

    for bad in (0.5j, np.complex128(0.5), float("nan")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ComplexWarning
            with pytest.raises(ValueError, match=rf"^{name} must be"):
                ch01.memory_explorer_data(kind=kind, n=10, **{name: bad})


# --------------------------------------------------------------------------- the numerical pitfall (issue 15)


def test_high_precision_curve_matches_the_chain_closed_form_and_the_library():
    J = ch01.high_precision_curve(0.0, 1.0, 12, 15)
    assert np.allclose(J, np.where(np.arange(15) < 12, 1.0 / np.arange(1, 16), 0.0), rtol=1e-15, atol=0)
    W, v = ch01.kerg_network(30, 0.2, 1.05)
    np.testing.assert_allclose(fisher_memory_curve(W, v, 40), ch01.high_precision_curve(0.2, 1.05, 30, 40), rtol=1e-9)


def test_pitfall_table_at_small_n():
    rows = ch01.numerical_pitfall_table(30, lags=45)
    assert [(r.d, r.alpha) for r in rows] == list(ch01.KERG_ET_AL_TOTALS)
    for r in rows:
        assert r.ours == pytest.approx(r.high_precision, rel=1e-10) and r.ours_max_rel_error < 1e-9
        assert r.kerg == ch01.KERG_ET_AL_TOTALS[(r.d, r.alpha)]
        assert r.ours_untruncated >= r.ours - 1e-12
    assert all(r.cond_C < 1.5 for r in rows if r.d == 0) and all(r.cond_C > 1e3 for r in rows if r.d == 0.2)


def test_formed_covariance_curve_is_the_textbook_algorithm():
    W, v = ch01.kerg_network(20, 0.2, 0.9)
    np.testing.assert_allclose(ch01.formed_covariance_curve(W, v, 25), fisher_memory_curve(W, v, 25), rtol=1e-9)


def test_total_memory_against_n_stops_where_the_factor_is_beyond_double_precision():
    ns, jt, refused = ch01.total_memory_against_n("chain", [10, 20], alpha=1.0)
    assert list(ns) == [10, 20] and refused is None and jt[1] == pytest.approx(np.sum(1 / np.arange(1, 21)))
    ns, jt, refused = ch01.total_memory_against_n("fbchain", [50, 200, 300], alpha=1.5, beta=0.1)
    assert list(ns) == [50] and refused == 200


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: ch01.kerg_network(0, 0.2, 1.0), "n"),
        (lambda: ch01.kerg_network(10, float("nan"), 1.0), "d"),
        (lambda: ch01.high_precision_curve(1.0, 1.0, 10, 5), "d"),
        (lambda: ch01.high_precision_curve(0.2, 1.0, 10, 5, dps=10), "dps"),
        (lambda: ch01.high_precision_curve(0.2, 1.0, 10, 0), "k_max"),
        (lambda: ch01.numerical_pitfall_table(0), "n"),
    ],
)
def test_pitfall_functions_name_bad_arguments(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_total_memory_against_n_stops_where_float64_overflows():
    ns, totals, refused = ch01.total_memory_against_n("chain", [100, 1000, 2000], alpha=1.2)
    assert list(ns) == [100, 1000] and refused == 2000 and totals[-1] > 0.25 * 1000


def test_memory_explorer_at_lambda_zero():
    # the lambda slider reaches 0: a zero recurrent matrix (no band) must not crash the explorer
    d = ch01.memory_explorer_data(kind="orthogonal", n=100, lam=0.0)
    assert d.J[0] == pytest.approx(1.0) and not d.J[1:].any()

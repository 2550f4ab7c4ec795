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

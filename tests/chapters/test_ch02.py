"""Chapter 2's module (nnrnn_edu.chapters.ch02): presets, the Figure-2 computation, the decoding explorer's data."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from nnrnn_edu import config
from nnrnn_edu import connectivity as cx
from nnrnn_edu import decoding as dec
from nnrnn_edu.chapters import ch02


def _e1(n):
    v = np.zeros(n)
    v[0] = 1.0
    return v


def test_presets(monkeypatch):
    full, quick = ch02.decoding_preset(False), ch02.decoding_preset(True)
    assert (full.n, full.seq_len, full.noise_std) == (100, 100, 0.1)
    assert (quick.n, quick.seq_len) == (full.n, full.seq_len)  # same lags
    assert quick.n_train < full.n_train and quick.quick and not full.quick
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")
    assert ch02.decoding_preset() is quick
    monkeypatch.setenv(config.QUICK_ENV_VAR, "0")
    assert ch02.decoding_preset() is full
    with pytest.raises(ValueError, match="quick"):
        ch02.decoding_preset("yes")


def test_quick_preset_keeps_the_qualitative_result():
    p = ch02.decoding_preset(quick=True)
    res = ch02.figure2_curves(p)
    sim, exact = res["simulated"], res["exact"]
    assert set(sim) == set(ch02.PANELS) and set(sim["linear"]) == set(p.kinds)
    assert all(c.shape == (p.seq_len,) for panel in sim.values() for c in panel.values())
    # (a) all lags decoded, (b) chain above orthogonal, (c) chain wins late, orthogonal early
    for kind in ("chain", "orthogonal"):
        assert sim["linear"][kind].min() > 0.99
    assert np.all(exact["noisy"]["chain"] - exact["noisy"]["orthogonal"] > 0.1)
    lags = [0, 9, 24, 49, 74, 99]
    # smallest margins over 5 networks x 5 seeds of the quick preset: noisy MC gap 0.089,
    # elu chain - orth 0.50 for k >= 40, orth - chain 0.055 for k <= 10 (crossing at k = 24-26)
    assert np.all(sim["noisy"]["chain"][lags] - sim["noisy"]["orthogonal"][lags] > 0.04)
    diff = sim["nonlinear"]["chain"] - sim["nonlinear"]["orthogonal"]
    assert np.all(diff[40:] > 0.2) and np.all(diff[:11] < -0.02)
    assert set(exact["nonlinear"]) == {"chain"}


def test_figure2_networks_are_the_papers():
    p = ch02.DecodingPreset(n=12, kinds=("chain", "fbchain", "orthogonal"), alpha=1.1, beta=0.05)
    nets = ch02.figure2_networks(p)
    assert list(nets) == ["chain", "fbchain", "orthogonal"]
    assert np.array_equal(nets["chain"][0], cx.chain(12, 1.1)) and np.array_equal(nets["chain"][1], _e1(12))
    # fbchain keeps the paper's forward gain whatever the chain's alpha; beta is the feedback
    assert np.array_equal(nets["fbchain"][0], cx.chain_with_feedback(12, cx.FBCHAIN_FORWARD, 0.05))
    W, v = nets["orthogonal"]
    assert np.allclose(W @ W.T, np.eye(12)) and np.linalg.norm(v) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="kinds"):
        ch02.figure2_networks(ch02.DecodingPreset(kinds=("ring",)))


def test_figure2_curves_small_preset_shapes_and_exact_curves():
    p = ch02.DecodingPreset(n=20, seq_len=20, n_train=200, n_test=100, quick=True)
    res = ch02.figure2_curves(p)
    assert set(res["simulated"]) == set(ch02.PANELS)
    nets = ch02.figure2_networks(p)
    W, v = nets["chain"]
    assert np.array_equal(res["exact"]["noisy"]["chain"], dec.population_r2_curve(W, v, 20, p.noise_std))
    assert np.array_equal(res["simulated"]["nonlinear"]["orthogonal"],
                          dec.r2_curve(*nets["orthogonal"], 20, nonlinearity="elu", n_train=200, n_test=100,
                                       seed=p.seed, ridge=p.ridge))


# --------------------------------------------------------------------------- the explorer's data


def test_explorer_data_are_leave_one_out_r2_curves_with_the_explorer_sizes():
    d = ch02.decoding_explorer_data(noise_std=0.5, nonlinearity="identity", n=30, seq_len=30, quick=True)
    p = ch02.decoding_preset(True)
    assert d.error is None and d.nonlinearity == "linear"
    assert (d.n_train, d.n_test) == (max(p.explorer_n_train, 10 * 31), max(p.explorer_n_train, 10 * 31) + 1)
    W_orth, v_orth = cx.memory_network("orthogonal", 30, seed=0)
    nets = {"chain": (cx.chain(30), _e1(30)), "orthogonal": (W_orth, v_orth)}
    expected = dec.r2_curves(nets, 30, 0.5, "linear", n_train=d.n_train, n_test=None, leave_one_out=True, seed=0)
    for kind in nets:
        # with noise the explorer simulates in single precision: the same curve to float32 rounding
        np.testing.assert_allclose(d.simulated[kind], expected[kind], rtol=0, atol=1e-5)
    assert set(d.exact) == {"chain", "orthogonal"}  # linear: both exact population curves
    # without noise in double precision: bit for bit
    d0 = ch02.decoding_explorer_data(noise_std=0.0, nonlinearity="tanh", alpha=1.1, n=30, seq_len=40, quick=True)
    with threadpool_limits(limits=1, user_api="blas"):  # as the explorer computes: BLAS threads change rounding
        expected = dec.r2_curves({"chain": (1.1 * cx.chain(30), _e1(30))}, 40, 0.0, "tanh", n_train=d.n_train,
                                 n_test=None, leave_one_out=True, seed=0)
    assert np.array_equal(d0.simulated["chain"], expected["chain"])


def test_explorer_keeps_its_draws_between_calls_and_the_curves_do_not_depend_on_them(monkeypatch):
    ch02._kept_draws.clear()
    first = ch02.decoding_explorer_data(n=30, seq_len=30, quick=True)
    kept = ch02._kept_draws[0]
    assert kept.noise.shape == (30, first.n_test, 30) and kept.noise.dtype == np.float32
    second = ch02.decoding_explorer_data(noise_std=0.3, alpha=0.9, n=30, seq_len=30, quick=True)
    assert ch02._kept_draws[0] is kept  # a move of sigma or alpha draws nothing
    ch02.decoding_explorer_data(noise_std=0.0, n=30, seq_len=30, quick=True)
    assert ch02._kept_draws[0] is kept  # noiseless: the kept draws serve too
    monkeypatch.setattr(ch02, "EXPLORER_DRAWS_LIMIT", 0)  # nothing kept: drawn while simulating
    for d in (first, second):
        again = ch02.decoding_explorer_data(noise_std=d.noise_std, alpha=d.alpha, n=30, seq_len=30, quick=True)
        assert all(np.array_equal(again.simulated[k], d.simulated[k]) for k in d.simulated)
    ch02.decoding_explorer_data(n=40, seq_len=30, quick=True)
    assert ch02._kept_draws[0] is kept  # too big to keep: the last kept draws stay


def test_explorer_data_exact_curves_by_setting():
    noisy_elu = ch02.decoding_explorer_data(n=30, seq_len=30, quick=True)  # elu, sigma = 0.1: none exact
    assert set(noisy_elu.simulated) == {"chain", "orthogonal"} and noisy_elu.exact == {}
    d = ch02.decoding_explorer_data(noise_std=0.0, n=30, seq_len=40, input_scale=2.0, quick=True)
    chain_exact = d.exact["chain"]
    assert set(d.exact) == {"chain"} and chain_exact.shape == (40,)
    assert np.all(chain_exact[30:] == 0)  # inputs older than N - 1 steps have left the chain
    np.testing.assert_array_equal(chain_exact[:30], dec.iterated_nonlinearity_r2("elu", 30, input_scale=2.0))


def test_explorer_data_report_overflow_instead_of_raising():
    d = ch02.decoding_explorer_data(nonlinearity="linear", alpha=1e20, n=20, seq_len=20, quick=True)
    assert d.simulated == {} and d.exact == {} and "overflow" in d.error


@pytest.mark.parametrize(
    "kw,name",
    [
        ({"noise_std": -1.0}, "noise_std"),
        ({"nonlinearity": "sin"}, "nonlinearity"),
        ({"n": 0}, "n"),
        ({"seq_len": 0}, "seq_len"),
        ({"input_scale": 0.0}, "input_scale"),
        ({"quick": "yes"}, "quick"),
    ],
)
def test_explorer_data_bad_input_names_argument(kw, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        ch02.decoding_explorer_data(**kw)


@pytest.mark.parametrize("name", ["noise_std", "input_scale", "alpha", "lam"])
def test_explorer_data_rejects_complex_parameters(name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning
        with pytest.raises(ValueError, match=rf"^{name} must be a finite real number"):
            ch02.decoding_explorer_data(n=10, seq_len=5, quick=True, **{name: 0.5j})


def test_figure2_networks_reject_a_preset_with_complex_gains():
    import dataclasses

    p = dataclasses.replace(ch02.decoding_preset(quick=True), n=5, alpha=1j)
    with pytest.raises(ValueError, match="^alpha must be a finite real number"):
        ch02.figure2_networks(p)


def test_input_scale_curves_repeat_panel_c_at_each_scale():
    from nnrnn_edu import decoding

    p = ch02.DecodingPreset(n=20, seq_len=20, n_train=200, n_test=100, quick=True)
    out = ch02.input_scale_curves(p, scales=(0.5, 3.0))
    assert list(out) == [0.5, 3.0]
    W, v = ch02.figure2_networks(p)["orthogonal"]
    same = decoding.r2_curve(W, 3.0 * v, p.seq_len, nonlinearity="elu", n_train=200, n_test=100, seed=p.seed)
    np.testing.assert_array_equal(out[3.0]["simulated"]["orthogonal"], same)
    chain, orth = out[3.0]["simulated"]["chain"], out[3.0]["simulated"]["orthogonal"]
    assert out[3.0]["better"] == int(np.sum(chain > orth))
    assert out[3.0]["wins_from"] == decoding.wins_from_lag(chain, orth)
    np.testing.assert_allclose(out[0.5]["exact"]["chain"],
                               decoding.iterated_nonlinearity_r2("elu", p.seq_len, alpha=p.alpha, input_scale=0.5))
    for bad in ((), (0.0,), 1.0):
        with pytest.raises(ValueError, match="scales"):
            ch02.input_scale_curves(p, scales=bad)
    with pytest.raises(ValueError, match="kinds"):
        ch02.input_scale_curves(p, kinds=("chain",))

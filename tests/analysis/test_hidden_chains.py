"""Hidden chains: pulse responses, peak-time ordering, weight profiles (nnrnn_edu.analysis.hidden_chains;
chapter 4, paper Figure 5)."""

import numpy as np
import pytest

from nnrnn_edu import analysis as an
from nnrnn_edu import connectivity as cx


def test_pulse_response_of_chain_moves_down_the_chain():
    W = cx.chain(10, 1.0)
    v = 0.9 * np.eye(10)[0]
    H = an.pulse_response(W, v, n_steps=12)
    assert H.shape == (13, 10)
    assert np.allclose(H[:10], 0.9 * np.eye(10))
    assert np.allclose(H[10:], 0.0)


@pytest.mark.parametrize("nonlinearity", ["elu", "relu", "tanh", "linear"])
def test_chain_profile_is_a_single_spike_at_plus_one(nonlinearity):
    n, alpha = 60, 1.0
    W = cx.chain(n, alpha)
    lags, profile = an.hidden_chain_profile(W, np.eye(n)[0], nonlinearity=nonlinearity)
    assert lags[0] == -(n - 1) and lags[-1] == n - 1 and profile.shape == (2 * n - 1,)
    assert profile[lags == 1][0] == pytest.approx(alpha)
    assert np.allclose(profile[lags != 1], 0.0)


def test_shuffled_chain_is_recovered_by_peak_ordering():
    n = 40
    p = np.random.default_rng(3).permutation(n)
    W = cx.chain(n, 1.0)[np.ix_(p, p)]  # unit p[k] now sits at position k of the chain
    v = np.zeros(n)
    v[np.argsort(p)[0]] = 1.0
    order = an.peak_time_order(W, v)
    assert np.array_equal(p[order], np.arange(n))
    lags, profile = an.weight_profile(W, order)
    assert profile[lags == 1][0] == pytest.approx(1.0)


def test_orthogonal_has_no_chain_bump_on_average():
    profiles = []
    for s in range(8):
        W, v = cx.memory_network("orthogonal", 100, lam=1.0, seed=s)
        profiles.append(an.PulseNetwork(W, v, np.zeros(100), "elu"))
    prof = an.mean_weight_profile(profiles, seed=0)
    assert prof.n_networks == 8 and prof.mean.shape == prof.sem.shape == (199,)
    assert abs(prof.mean[prof.lags == 1][0]) < 0.05  # the chain gives 1.0 there
    assert np.max(np.abs(prof.mean)) < 0.1


def test_ordering_reproducible_under_seed_and_jitter_breaks_ties():
    W = np.eye(30)  # identity: every unit peaks at t = 0, the order is all tie-breaking
    v = np.ones(30)
    a = an.peak_time_order(W, v, seed=4)
    assert np.array_equal(a, an.peak_time_order(W, v, seed=4))
    assert not np.array_equal(a, an.peak_time_order(W, v, seed=5))
    assert np.array_equal(np.sort(a), np.arange(30))


def test_silent_units_go_last():
    W = cx.chain(5, 1.0)
    W[:, 3:] = 0.0
    W[3:, :] = 0.0  # units 3, 4 never activate
    times = an.peak_times(an.pulse_response(W, np.eye(5)[0], n_steps=6))
    assert np.array_equal(times, [0, 1, 2, 7, 7])


def test_networks_from_rnn_and_channel_choice():
    from nnrnn_edu.models import EnsembleRNN, VanillaRNN

    model = VanillaRNN(2, 20, 1, nonlinearity="tanh", init="chain", seed=0)
    (net,) = an.networks_from_rnn(model)
    assert net.nonlinearity == "tanh" and net.W.dtype == np.float64
    assert np.allclose(net.W, cx.chain(20, 1.0)) and np.allclose(net.v, 0.9 * np.eye(20)[1])
    (net0,) = an.networks_from_rnn(model, input_channel=0)
    assert np.allclose(net0.v, 0.9 * np.eye(20)[0])
    ens = EnsembleRNN.from_models([model, VanillaRNN(2, 20, 1, nonlinearity="tanh", init="chain", seed=1)])
    assert len(an.networks_from_rnn(ens)) == 2
    prof = an.mean_weight_profile([model, model], seed=0)
    # the signal enters unit 1: unit 0 stays silent and is ordered last, 18 of 19 links at +1
    assert prof.n_networks == 2 and prof.mean[prof.lags == 1][0] == pytest.approx(18 / 19, rel=1e-6)
    with pytest.raises(ValueError, match="input_channel"):
        an.networks_from_rnn(VanillaRNN(10, 20, 9, init="chain", seed=0))
    with pytest.raises(ValueError, match="input_channel"):
        an.networks_from_rnn(model, input_channel=2)


def test_profile_asymmetry():
    lags, p = an.weight_profile(cx.chain(20, 1.0), np.arange(20))
    prof = an.WeightProfile(lags, p, np.zeros_like(p), 1)
    assert an.profile_asymmetry(prof, max_lag=5) == pytest.approx(1.0 / 5)
    assert an.profile_asymmetry(prof, max_lag=1) == pytest.approx(1.0)
    S = np.random.default_rng(0).standard_normal((20, 20))
    lags, p = an.weight_profile(S + S.T, np.arange(20))
    assert an.profile_asymmetry(an.WeightProfile(lags, p, p, 1)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="profile"):
        an.profile_asymmetry((lags, p))
    with pytest.raises(ValueError, match="max_lag"):
        an.profile_asymmetry(prof, max_lag=0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: an.pulse_response(np.eye(3), np.zeros(3)), "v"),
        (lambda: an.pulse_response(np.eye(3), np.ones(4)), "v"),
        (lambda: an.pulse_response(np.eye(3), np.ones(3), bias=[1, np.nan, 0]), "bias"),
        (lambda: an.pulse_response(np.eye(3), np.ones(3), nonlinearity="sigmoid"), "nonlinearity"),
        (lambda: an.pulse_response(np.eye(3), np.ones(3), n_steps=0), "n_steps"),
        (lambda: an.peak_time_order(np.eye(3), np.ones(3), jitter=0.7), "jitter"),
        (lambda: an.peak_time_order(np.eye(3), np.ones(3), seed=-1), "seed"),
        (lambda: an.weight_profile(np.eye(3), [0, 0, 1]), "order"),
        (lambda: an.mean_weight_profile([]), "networks"),
        (lambda: an.mean_weight_profile([np.eye(3)]), "networks"),
        (lambda: an.networks_from_rnn(object()), "model"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# --------------------------------------------------------------------------- complex input

from types import SimpleNamespace  # noqa: E402

from _complex_input import FORMS, array_functions, assert_rejects_complex  # noqa: E402

from nnrnn_edu.analysis import hidden_chains  # noqa: E402

_W, _V, _B = cx.chain(4, 0.9), np.eye(4)[0], np.zeros(4)
_PULSE = {"W": _W, "v": _V, "bias": _B, "n_steps": 5}
# function, keyword arguments (real and valid), the argument made complex
COMPLEX_CASES = [
    (an.pulse_response, _PULSE, "W"),
    (an.pulse_response, _PULSE, "v"),
    (an.pulse_response, _PULSE, "bias"),
    (an.peak_time_order, _PULSE, "W"),
    (an.peak_time_order, _PULSE, "v"),
    (an.peak_time_order, _PULSE, "bias"),
    (an.hidden_chain_profile, _PULSE, "W"),
    (an.hidden_chain_profile, _PULSE, "v"),
    (an.hidden_chain_profile, _PULSE, "bias"),
    (an.peak_times, {"states": np.eye(4)}, "states"),
    (an.weight_profile, {"W": _W, "order": np.arange(4)}, "W"),
]


def test_complex_cases_cover_every_public_function_that_takes_an_array():
    covered = {f.__name__ for f, _, _ in COMPLEX_CASES} | {
        "weight_profile", "networks_from_rnn", "mean_weight_profile"}  # their own tests below
    assert array_functions(hidden_chains) == covered


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("func, kwargs, arg", COMPLEX_CASES,
                         ids=[f"{f.__name__}-{a}" for f, _, a in COMPLEX_CASES])
def test_complex_input_raises_naming_the_argument(func, kwargs, arg, form):
    func(**kwargs)  # the real input works
    bad = {**kwargs, arg: FORMS[form](kwargs[arg])}
    assert_rejects_complex(lambda: func(**bad), arg)


def test_complex_order_is_not_a_permutation():
    assert_rejects_complex(lambda: an.weight_profile(_W, np.arange(4) + 0j), "order", "must be a permutation")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("weight", ["weight_hh", "weight_ih", "bias"])
def test_complex_model_weights_and_networks_raise(form, weight):
    real = {"weight_hh": _W, "weight_ih": _V[:, None], "bias": _B}
    assert len(an.networks_from_rnn(SimpleNamespace(**real, nonlinearity="elu"))) == 1  # the real model works
    model = SimpleNamespace(**{**real, weight: FORMS[form](real[weight])}, nonlinearity="elu")
    assert_rejects_complex(lambda: an.networks_from_rnn(model), f"model.{weight}")
    assert_rejects_complex(lambda: an.mean_weight_profile([model], n_steps=5), f"model.{weight}")
    tup = {"W": _W, "v": _V, "bias": _B}
    if weight != "weight_ih":
        arg = "W" if weight == "weight_hh" else "bias"
        net = an.PulseNetwork(**{**tup, arg: FORMS[form](tup[arg])}, nonlinearity="elu")
        assert_rejects_complex(lambda: an.mean_weight_profile([net], n_steps=5), arg)

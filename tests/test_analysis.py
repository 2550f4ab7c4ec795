"""Chapter 4 analysis: Henrici index on trained-like matrices, hidden-chain profiles, pseudospectra."""

import mpmath
import numpy as np
import pytest
import torch

from nnrnn_edu import analysis as an
from nnrnn_edu import connectivity as cx

# --------------------------------------------------------------------------- Henrici index


def test_henrici_is_the_foundation_function():
    assert an.henrici_index is cx.henrici_index


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


def test_paper_table2_values():
    assert an.PAPER_TABLE2["addition"]["orthogonal"] == (2.74, 0.07)
    assert an.PAPER_TABLE2["psmnist"]["identity"] == (1.01, 0.12)


# --------------------------------------------------------------------------- hidden chains


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


# --------------------------------------------------------------------------- pseudospectra


def test_pseudospectrum_of_normal_matrix_is_distance_to_spectrum():
    W = cx.random_orthogonal(40, 0.9, seed=0)
    ps = an.pseudospectrum(W, extent=1.2, n_grid=30)
    Z = ps.re[None, :] + 1j * ps.im[:, None]
    lam = np.linalg.eigvals(W)
    dist = np.min(np.abs(Z[..., None] - lam), axis=-1)
    assert ps.sigma.shape == (30, 30)
    assert np.allclose(ps.sigma, dist, atol=1e-12)
    # the Lanczos path agrees too (no normal shortcut)
    lz = an.sigma_min(W, Z[::3, ::3], method="lanczos", tol=1e-10, max_iter=300)
    assert np.allclose(lz, dist[::3, ::3], rtol=1e-5, atol=1e-12)
    # so the eps-pseudospectrum is the union of eps-discs around the eigenvalues
    assert an.pseudospectral_radius(ps, 0.1) <= 0.9 + 0.1 + 1e-12


def test_pseudospectrum_lanczos_matches_svd_on_dense_and_fbchain():
    rng = np.random.default_rng(2)
    z = rng.uniform(-1.2, 1.2, 60) + 1j * rng.uniform(-1.2, 1.2, 60)
    for W in (rng.standard_normal((50, 50)) / np.sqrt(50), cx.chain_with_feedback(50, 0.99, 0.04)):
        ref = an.sigma_min(W, z, method="svd")
        fast = an.sigma_min(W, z)
        assert np.allclose(fast, ref, rtol=1e-3, atol=1e-13)


def test_chain_pseudospectrum_shows_eigenvalues_mislead():
    n = 50
    W = cx.chain(n, 1.0)
    z = np.array([0.3, 0.5j, -0.7, 0.6 + 0.3j])
    s = an.sigma_min(W, z)
    # all eigenvalues are 0, so the distance to the spectrum is |z| ...
    assert np.all(s < 1e-3 * np.abs(z))
    # ... but sigma_min(zI - J) ~ |z|^N (1 - |z|^2): far inside every practical eps-pseudospectrum
    assert np.allclose(s, np.abs(z) ** n * (1 - np.abs(z) ** 2), rtol=0.05)
    assert np.allclose(s, an.sigma_min(W, z, method="svd"), rtol=1e-4, atol=1e-14)
    ps = an.pseudospectrum(W, n_grid=41)
    assert ps.sigma[20, 20] == 0.0  # z = 0 is the eigenvalue
    assert an.pseudospectral_radius(ps, 1e-3) > 0.8 > cx.spectral_radius(W)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: an.henrici_index(np.ones((2, 3))), "W"),
        (lambda: an.henrici_index(np.eye(2) * 1j), "W"),
        (lambda: an.henrici_index(torch.ones(2, 2, dtype=torch.complex64)), "W"),
        (lambda: an.henrici_indices(np.ones((2, 2))), "matrices"),
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
        (lambda: an.sigma_min(np.eye(3), [np.nan]), "z"),
        (lambda: an.sigma_min(np.eye(3), [0.5], method="qr"), "method"),
        (lambda: an.sigma_min(np.eye(3), [0.5], tol=0.0), "tol"),
        (lambda: an.pseudospectrum(np.eye(3), n_grid=1), "n_grid"),
        (lambda: an.pseudospectrum(np.eye(3), extent=(1, 0, -1, 1)), "extent"),
        (lambda: an.pseudospectrum(np.eye(3), extent=-1.0), "extent"),
        (lambda: an.pseudospectral_radius(an.pseudospectrum(np.eye(2), n_grid=3), 0.0), "eps"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# --------------------------------------------------------------------------- plotting and widget


def test_plot_pseudospectrum_axes_and_levels():
    from nnrnn_edu import plotting

    ps = an.pseudospectrum(cx.chain(30, 1.0), n_grid=30)
    fig = plotting.plot_pseudospectrum(ps, eps=(1e-1, 1e-3), highlight=1e-2)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Re z" and ax.get_ylabel() == "Im z"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "eigenvalues" in labels and "unit circle" in labels and any("0.001" in s for s in labels)
    eig_line = [ln for ln in ax.lines if ln.get_marker() == "o"][0]
    assert np.allclose(eig_line.get_xdata(), 0.0)
    with pytest.raises(ValueError, match="eps"):
        plotting.plot_pseudospectrum(ps, eps=-1.0)


def test_pseudospectrum_explorer_redraws_in_place():
    from nnrnn_edu import plotting

    fig = plotting.plot_pseudospectrum_explorer(kind="chain", n=30, n_grid=30)
    same = plotting.plot_pseudospectrum_explorer(kind="orthogonal", n=30, lam=0.9, n_grid=30, fig=fig)
    assert same is fig and len(fig.axes) == 1
    assert "random orthogonal" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_pseudospectrum_explorer(kind="ring")
    with pytest.raises(ValueError, match="eps"):
        plotting.plot_pseudospectrum_explorer(eps=0.0)


def test_plot_weight_profile_and_henrici_bars():
    from nnrnn_edu import plotting

    n = 20
    chain = an.mean_weight_profile([an.PulseNetwork(cx.chain(n, 1.0), np.eye(n)[0], np.zeros(n), "elu")] * 2)
    fig = plotting.plot_weight_profile({"chain": chain}, max_lag=5)
    ax = fig.axes[0]
    assert np.array_equal(ax.lines[0].get_xdata(), np.arange(-5, 6))
    assert ax.lines[0].get_ydata()[6] == pytest.approx(1.0) and ax.get_xlabel().startswith("order difference")
    assert len(ax.collections) == 1  # the s.e.m. band
    fig = plotting.plot_henrici_before_after(
        {"identity": [0.0, 0.0], "orthogonal": [0.0, 0.0, 0.0]},
        {"identity": [2.0, 2.6], "orthogonal": [2.7, 2.8, 2.75]},
        reference=an.PAPER_TABLE2["addition"],
    )
    ax = fig.axes[0]
    from matplotlib.container import BarContainer

    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 and len(bars[0]) == 2 and bars[1][1].get_height() == pytest.approx(2.75)
    with pytest.raises(ValueError, match="before"):
        plotting.plot_henrici_before_after({}, {"chain": [1.0]})


def test_pseudospectrum_widget_slider_moves_redraw_the_same_figure():
    from nnrnn_edu.widgets import PseudospectrumExplorer

    ex = PseudospectrumExplorer(kind="fbchain", n=30)
    fig = ex.figure
    before = fig.axes[0].get_title()
    ex.controls["beta"].value = 0.3  # what a slider drag does
    assert ex.figure is fig and fig.axes[0].get_title() != before and "β=0.3" in fig.axes[0].get_title()
    ex.update(kind="identity")
    assert ex.controls["alpha"].disabled and not ex.controls["lam"].disabled
    ex.controls["eps"].value = 1e-4
    assert "ε=0.0001" in fig.axes[0].get_title()


# --------------------------------------------------------------------------- chapter 4: trained runs, Table 2, Figure 5

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

from nnrnn_edu import sweep  # noqa: E402
from nnrnn_edu import train as _train  # noqa: E402

TINY4 = dict(hidden_size=8, batch_size=8, val_size=32, eval_batch_size=16, threads=1, max_updates=20, eval_every=10)


def _tiny_grid(task, quick=None, inits=an.CHAPTER4_INITS):
    extra = dict(seq_len=20) if task == "addition" else {}
    return sweep.grid(task, quick=True, inits=list(inits), scales={i: (1.0,) for i in inits},
                      lrs=(1e-3,), seeds=(1, 2), **TINY4, **extra)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """8 tiny trained runs (addition and psDigits, identity and orthogonal, 2 seeds), N = 8, 20 updates."""
    root = tmp_path_factory.mktemp("ch4")
    runs = []
    for task in an.CHAPTER4_TASKS:
        out = root / task
        sweep.run_sweep(_tiny_grid(task), str(out), progress=False)
        runs += sweep.load_results(str(out))
    return runs


def _with_success(runs):
    """Copies of the runs with the first seed of every group marked successful (tiny runs never succeed)."""
    out = []
    for r in runs:
        r = dict(r)
        r["success"] = r["seed"] == 1
        out.append(r)
    return out


def test_chapter4_grid_quick_and_cpu():
    for task in an.CHAPTER4_TASKS:
        q, f = an.chapter4_grid(task, quick=True), an.chapter4_grid(task, quick=False)
        assert len(q) == 12 and len(f) == 16
        for g, quick in ((q, True), (f, False)):
            assert dict(g.scales) == {"identity": (1.0,), "orthogonal": (1.0,)}
            assert g.lrs == an.CHAPTER4_LEARNING_RATES[task]
            assert g.base.max_updates == an.CHAPTER4_UPDATES[quick][task]
            assert not sweep.is_full_scale({"config": g.base.to_dict()})
    assert an.chapter4_grid("addition", quick=True).base.seq_len == 60
    assert an.chapter4_grid("psmnist", quick=True).base.data_source == "digits"


def test_trained_runs_trains_small_grid_once_then_reuses(tmp_path, monkeypatch):
    monkeypatch.setattr(an, "chapter4_grid", _tiny_grid)
    runs, source = an.trained_runs(tasks=("addition",), results_dir=str(tmp_path), quick=True, progress=False)
    assert len(runs) == 4 and {r["config"]["init"] for r in runs} == {"identity", "orthogonal"}
    assert source.startswith("addition: small CPU run (quick preset: T = 20, N = 8, 20 updates, 4 runs)")
    assert "not the paper's experiment" in source
    out = tmp_path / "quick" / "quick" / "chapter4" / "addition"
    files = sorted(out.glob("*.json"))
    assert len(files) == 4 and all(r.get("weights_file") for r in runs)
    stamps = [f.stat().st_mtime_ns for f in files]
    again, _ = an.trained_runs(tasks="addition", results_dir=str(tmp_path), quick=True, progress=False)
    assert [f.stat().st_mtime_ns for f in files] == stamps  # reused, not retrained
    assert [r["name"] for r in again] == [r["name"] for r in runs]
    _, cpu = an.trained_runs(tasks=("addition",), results_dir=str(tmp_path), quick=False, progress=False)
    assert "chapter preset" in cpu and (tmp_path / "quick" / "cpu" / "chapter4" / "addition").is_dir()


def test_trained_runs_prefers_successful_full_scale_results(tmp_path, tiny_runs, monkeypatch):
    full = _train.preset("addition", quick=False).to_dict()
    for r in tiny_runs:
        if r["config"]["task"] != "addition":
            continue
        rec = {k: v for k, v in r.items() if k != "path"}
        rec["config"] = {**rec["config"], **{k: full[k] for k in sweep._PROTOCOL_FIELDS}}
        rec["success"] = True
        (tmp_path / "gpu").mkdir(exist_ok=True)
        with open(tmp_path / "gpu" / (r["name"] + ".json"), "w") as fh:
            json.dump(rec, fh)
        shutil.copy(os.path.join(os.path.dirname(r["path"]), r["weights_file"]), tmp_path / "gpu")

    def no_training(*args, **kwargs):
        raise AssertionError("must not train when full-scale results exist")

    monkeypatch.setattr(an, "chapter4_grid", no_training)
    runs, source = an.trained_runs(tasks=("addition",), results_dir=str(tmp_path), progress=False)
    assert len(runs) == 4 and all(sweep.is_full_scale(r) for r in runs)
    assert source.startswith("addition: full-scale results (4 runs on cpu")
    table = an.henrici_table(runs)
    assert table["addition"]["identity"]["n"] == 2  # every full-scale success counts


def test_select_runs_success_fallback_and_labels():
    def rec(name, init, success, status="completed", weights=True):
        return {"name": name, "config": {"task": "addition", "init": init}, "status": status,
                "success": success, "weights_file": name + ".weights.pt" if weights else None}

    runs = [
        rec("a", "identity", True), rec("b", "identity", False), rec("c", "identity", True, "running"),
        rec("d", "orthogonal", False), rec("e", "orthogonal", False, "diverged", weights=False),
    ]
    sel = an.select_runs(runs)
    ident, orth = sel["addition"]["identity"], sel["addition"]["orthogonal"]
    assert [r["name"] for r in ident.runs] == ["a"] and ident.successful_only
    assert (ident.n_runs, ident.n_success, ident.label) == (2, 1, "1 of 2 runs successful")
    assert [r["name"] for r in orth.runs] == ["d"] and not orth.successful_only
    assert orth.label == "0 of 2 runs successful: all 1 trained runs shown"
    assert "orthogonal" not in an.select_runs(runs, fallback=False)["addition"]
    for bad in ("results", {"config": {}}, [1, 2]):
        with pytest.raises(ValueError, match="runs"):
            an.select_runs(bad)


def test_henrici_table_before_after_from_tiny_runs(tiny_runs):
    table = an.henrici_table(_with_success(tiny_runs))
    assert set(table) == {"addition", "psmnist"}
    for task, rows in table.items():
        assert set(rows) == {"identity", "orthogonal"}
        assert np.all(rows["identity"]["before"] == 0.0)  # float32 identity is exactly normal
        assert np.all(rows["orthogonal"]["before"] < 1e-6)  # float32 rounding only
        for init, row in rows.items():
            assert row["n"] == 1 and row["before"].shape == row["after"].shape == (1,)
            assert row["group"].label == "1 of 2 runs successful"
            assert row["paper"] == an.PAPER_TABLE2[task][init]
            assert row["after"][0] > row["before"][0]  # 20 updates already leave the normal matrices
            assert row["after_mean_sem"][0] == pytest.approx(row["after"][0]) and np.isnan(row["after_mean_sem"][1])
    # the fallback: with no success every trained run is used, and the label says so
    fallback = an.henrici_table(tiny_runs)
    assert fallback["addition"]["orthogonal"]["n"] == 2
    assert "0 of 2 runs successful" in fallback["addition"]["orthogonal"]["group"].label
    m, s = fallback["addition"]["orthogonal"]["after_mean_sem"]
    after = fallback["addition"]["orthogonal"]["after"]
    assert m == pytest.approx(after.mean()) and s == pytest.approx(after.std(ddof=1) / np.sqrt(2))
    norm = an.henrici_table(tiny_runs, normalized=True)
    assert np.all(norm["addition"]["orthogonal"]["after"] <= 1.0)
    text = an.henrici_table_text(table)
    assert "2.74 ± 0.07" in text and "1.01 ± 0.12" in text and text.count("\n") == 5
    with pytest.raises(ValueError, match="table"):
        an.henrici_table_text({})


def test_weight_profiles_from_tiny_runs(tiny_runs):
    sel = an.select_runs(_with_success(tiny_runs))
    prof = an.weight_profiles(sel)
    for task, rows in prof.items():
        for init, p in rows.items():
            for which in ("initial", "final"):
                wp = p[which]
                assert isinstance(wp, an.WeightProfile) and wp.n_networks == 1
                assert wp.lags.shape == wp.mean.shape == (15,)  # N = 8
            # the profile of the initial network is that of load_model(..., "initial")
            model = _train.load_model(p["group"].runs[0], "initial")
            ref = an.mean_weight_profile([model], seed=0)
            np.testing.assert_allclose(p["initial"].mean, ref.mean)
    ident = prof["addition"]["identity"]["initial"]
    np.testing.assert_allclose(ident.mean[ident.lags != 0], 0.0)  # lambda I: flat off the diagonal
    assert ident.mean[ident.lags == 0][0] == pytest.approx(1.0)
    # same selection, pulse on the mask instead of the signal: a different (valid) profile
    mask = an.weight_profiles(sel, input_channel=0)
    assert mask["addition"]["orthogonal"]["final"].mean.shape == (15,)
    with pytest.raises(ValueError, match="n_steps"):
        an.weight_profiles(sel, n_steps=0)


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
    "call,name",
    [
        (lambda: an.chapter4_grid("copyy"), "task"),
        (lambda: an.chapter4_grid("addition", inits=["chainz"]), "inits"),
        (lambda: an.chapter4_grid("addition", inits=[]), "inits"),
        (lambda: an.trained_runs(tasks=("mnist",)), "tasks"),
        (lambda: an.trained_runs(tasks=()), "tasks"),
        (lambda: an.trained_runs(inits=5), "inits"),
    ],
)
def test_chapter4_bad_input_names_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()

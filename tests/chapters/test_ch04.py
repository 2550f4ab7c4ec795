"""Chapter 4: trained runs, run selection, Table 2, weight profiles (nnrnn_edu.chapters.ch04)."""

import json
import os
import shutil

import numpy as np
import pytest

from nnrnn_edu import analysis as an
from nnrnn_edu import training
from nnrnn_edu.chapters import ch04
from nnrnn_edu.training import summary
from nnrnn_edu.training import identity, sweep


TINY4 = dict(hidden_size=8, batch_size=8, val_size=32, eval_batch_size=16, threads=1, max_updates=20, eval_every=10)


def _tiny_grid(task, inits=ch04.CHAPTER4_INITS):
    extra = dict(seq_len=20) if task == "addition" else {}
    return sweep.grid(task, quick=True, inits=list(inits), scales={i: (1.0,) for i in inits},
                      lrs=(1e-3,), seeds=(1, 2), **TINY4, **extra)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """8 tiny trained runs (addition and psDigits, identity and orthogonal, 2 seeds), N = 8, 20 updates."""
    root = tmp_path_factory.mktemp("ch4")
    runs = []
    for task in ch04.CHAPTER4_TASKS:
        out = root / task
        sweep.run_sweep(_tiny_grid(task), str(out), progress=False)
        runs += summary.load_results(str(out))
    return runs


def _with_success(runs):
    """Copies of the runs with the first seed of every group marked successful (tiny runs never succeed)."""
    out = []
    for r in runs:
        r = dict(r)
        r["success"] = r["seed"] == 1
        out.append(r)
    return out


def test_chapter4_grid_is_quick():
    for task in ch04.CHAPTER4_TASKS:
        q = ch04.chapter4_grid(task)
        assert len(q) == 12 and dict(q.scales) == {"identity": (1.0,), "orthogonal": (1.0,)}
        assert q.lrs == ch04.CHAPTER4_LEARNING_RATES[task] and q.seeds == ch04.CHAPTER4_SEEDS
        assert q.base.max_updates == ch04.CHAPTER4_UPDATES[task]
        assert identity.result_tier({"config": q.base.to_dict(), "dataset": {"name": "psDigits"}}) == "quick"
    assert ch04.chapter4_grid("addition").base.seq_len == 60
    assert ch04.chapter4_grid("psmnist").base.data_source == "digits"


def test_trained_runs_quick_trains_once_then_reuses(tmp_path, monkeypatch):
    monkeypatch.setattr(ch04, "chapter4_grid", _tiny_grid)
    runs, source = ch04.trained_runs(tasks=("addition",), results_dir=str(tmp_path), tier="quick", progress=False)
    assert len(runs) == 4 and {r["config"]["init"] for r in runs} == {"identity", "orthogonal"}
    assert str(source).startswith("addition: quick tier (a smoke run), T = 20, N = 8, 20 updates per run, "
                                  "2 initialisers x 1 learning rate x 2 seeds: all 4 runs")
    out = tmp_path / "quick" / "chapter4" / "addition"
    files = sorted(out.glob("addition-vanilla-T20-*/*.json"))
    assert len(files) == 4 and all(r.get("weights_file") for r in runs)
    stamps = [f.stat().st_mtime_ns for f in files]
    again, _ = ch04.trained_runs(tasks="addition", results_dir=str(tmp_path), tier="quick", progress=False)
    assert [f.stat().st_mtime_ns for f in files] == stamps  # reused, not retrained
    assert [r["name"] for r in again] == [r["name"] for r in runs]


def test_trained_runs_cpu_tier_reads_chapter3_runs(tmp_path, tiny_runs, monkeypatch):
    """At the cpu tier chapter 4 analyses the normal networks of chapter 3's committed grid, never training."""
    g = sweep.grid("addition", tier="cpu")
    wanted = {(c.init, c.lr, c.seed): c for c in g.configs()}
    for r in tiny_runs:
        if r["config"]["task"] != "addition":
            continue
        cfg = wanted[(r["config"]["init"], g.lrs[0], r["config"]["seed"])]
        rec = {k: v for k, v in r.items() if k != "path"}
        rec.update(config=cfg.to_dict(), name=cfg.run_name(), success=True)
        rec["weights_file"] = cfg.run_name() + ".weights.pt"
        d = tmp_path / "cpu" / "addition" / identity.protocol_id(cfg)
        d.mkdir(parents=True, exist_ok=True)
        with open(d / (cfg.run_name() + ".json"), "w") as fh:
            json.dump(rec, fh)
        shutil.copy(os.path.join(os.path.dirname(r["path"]), r["weights_file"]), d / rec["weights_file"])

    def no_training(*args, **kwargs):
        raise AssertionError("the cpu tier must not train")

    monkeypatch.setattr(ch04, "chapter4_grid", no_training)
    monkeypatch.setattr(sweep, "run_sweep", no_training)
    runs, source = ch04.trained_runs(tasks=("addition",), results_dir=str(tmp_path), tier="cpu", progress=False)
    assert len(runs) == 4 and source.tier == "cpu"
    assert (source["addition"].n_runs, source["addition"].n_grid) == (4, 16)  # identity and orthogonal: 2 x 8
    assert all(identity.result_tier(r) == "cpu" for r in runs)


def test_select_runs_success_fallback_and_labels():
    def rec(name, init, success, status="completed", weights=True):
        return {"name": name, "config": {"task": "addition", "init": init}, "status": status,
                "success": success, "weights_file": name + ".weights.pt" if weights else None,
                "final_val_loss": 0.05 if success else 0.15, "baseline_loss": 1 / 6}

    runs = [
        rec("a", "identity", True), rec("b", "identity", False), rec("c", "identity", True, "running"),
        rec("d", "orthogonal", False), rec("e", "orthogonal", False, "diverged", weights=False),
    ]
    sel = ch04.select_runs(runs)
    ident, orth = sel["addition"]["identity"], sel["addition"]["orthogonal"]
    assert [r["name"] for r in ident.runs] == ["a"] and ident.successful_only
    assert (ident.n_runs, ident.n_success, ident.label) == (2, 1, "1 of 2 runs successful")
    assert [r["name"] for r in orth.runs] == ["d"] and not orth.successful_only
    assert orth.label == "0 of 2 successful, 1 blew up: the other 1 shown"  # e diverged
    assert "orthogonal" not in ch04.select_runs(runs, fallback=False)["addition"]
    # the fallback leaves out networks that blew up: an exploded run (finite loss > 1000 x baseline) has weights
    blown = [dict(rec("f", "chain", False), final_val_loss=3e20, baseline_loss=1 / 6),
             dict(rec("g", "chain", False), final_val_loss=0.15, baseline_loss=1 / 6),
             dict(rec("h", "chain", False, "diverged", weights=False), final_val_loss=float("nan"), baseline_loss=1 / 6)]
    chain = ch04.select_runs(blown)["addition"]["chain"]
    assert [r["name"] for r in chain.runs] == ["g"] and not chain.successful_only
    assert chain.label == "0 of 3 successful, 2 blew up: the other 1 shown"
    assert ch04.select_runs(blown[:1]) == {}  # nothing left to show: the group is left out
    for bad in ("results", {"config": {}}, [1, 2]):
        with pytest.raises(ValueError, match="runs"):
            ch04.select_runs(bad)


def test_first_successful_task_prefers_successful_networks():
    G = ch04.RunGroup
    sel = {"addition": {"orthogonal": G([{}], 8, 0, False, "0 of 8")},
           "psmnist": {"orthogonal": G([{}], 8, 8, True, "8 of 8"), "identity": G([{}], 8, 8, True, "8 of 8")}}
    assert ch04.first_successful_task(sel, "orthogonal", prefer=("addition", "psmnist")) == "psmnist"
    sel["addition"]["orthogonal"] = G([{}], 8, 2, True, "2 of 8")
    assert ch04.first_successful_task(sel, "orthogonal", prefer=("addition", "psmnist")) == "addition"
    sel["psmnist"]["identity"] = G([{}], 8, 0, False, "0 of 8")
    assert ch04.first_successful_task(sel, "identity") == "psmnist"  # unsuccessful, but the only one
    with pytest.raises(ValueError, match="no 'chain' networks"):
        ch04.first_successful_task(sel, "chain")
    with pytest.raises(ValueError, match="selection"):
        ch04.first_successful_task({}, "orthogonal")


def test_henrici_table_before_after_from_tiny_runs(tiny_runs):
    table = ch04.henrici_table(_with_success(tiny_runs))
    assert set(table) == {"addition", "psmnist"}
    for task, rows in table.items():
        assert set(rows) == {"identity", "orthogonal"}
        assert np.all(rows["identity"]["before"] == 0.0)  # float32 identity is exactly normal
        assert np.all(rows["orthogonal"]["before"] < 1e-6)  # float32 rounding only
        for init, row in rows.items():
            assert row["n"] == 1 and row["before"].shape == row["after"].shape == (1,)
            assert row["group"].label == "1 of 2 runs successful"
            assert row["paper"] == ch04.PAPER_TABLE2[task][init]
            assert row["after"][0] > row["before"][0]  # 20 updates already leave the normal matrices
            assert row["after_mean_sem"][0] == pytest.approx(row["after"][0]) and np.isnan(row["after_mean_sem"][1])
    # the fallback: with no success every trained run is used, and the label says so
    fallback = ch04.henrici_table(tiny_runs)
    assert fallback["addition"]["orthogonal"]["n"] == 2
    assert "0 of 2 runs successful" in fallback["addition"]["orthogonal"]["group"].label
    m, s = fallback["addition"]["orthogonal"]["after_mean_sem"]
    after = fallback["addition"]["orthogonal"]["after"]
    assert m == pytest.approx(after.mean()) and s == pytest.approx(after.std(ddof=1) / np.sqrt(2))
    norm = ch04.henrici_table(tiny_runs, normalized=True)
    assert np.all(norm["addition"]["orthogonal"]["after"] <= 1.0)
    text = ch04.henrici_table_text(table)
    assert "2.74 ± 0.07" in text and "1.01 ± 0.12" in text and text.count("\n") == 5
    with pytest.raises(ValueError, match="table"):
        ch04.henrici_table_text({})


def test_weight_profiles_from_tiny_runs(tiny_runs):
    sel = ch04.select_runs(_with_success(tiny_runs))
    prof = ch04.weight_profiles(sel)
    for task, rows in prof.items():
        for init, p in rows.items():
            for which in ("initial", "final"):
                wp = p[which]
                assert isinstance(wp, an.WeightProfile) and wp.n_networks == 1
                assert wp.lags.shape == wp.mean.shape == (15,)  # N = 8
            # the profile of the initial network is that of load_model(..., "initial")
            model = training.load_model(p["group"].runs[0], "initial")
            ref = an.mean_weight_profile([model], seed=0)
            np.testing.assert_allclose(p["initial"].mean, ref.mean)
    ident = prof["addition"]["identity"]["initial"]
    np.testing.assert_allclose(ident.mean[ident.lags != 0], 0.0)  # lambda I: flat off the diagonal
    assert ident.mean[ident.lags == 0][0] == pytest.approx(1.0)
    # same selection, pulse on the mask instead of the signal: a different (valid) profile
    mask = ch04.weight_profiles(sel, input_channel=0)
    assert mask["addition"]["orthogonal"]["final"].mean.shape == (15,)
    with pytest.raises(ValueError, match="n_steps"):
        ch04.weight_profiles(sel, n_steps=0)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: ch04.chapter4_grid("copyy"), "task"),
        (lambda: ch04.chapter4_grid("addition", inits=["chainz"]), "inits"),
        (lambda: ch04.chapter4_grid("addition", inits=[]), "inits"),
        (lambda: ch04.trained_runs(tasks=("mnist",)), "tasks"),
        (lambda: ch04.trained_runs(tasks=()), "tasks"),
        (lambda: ch04.trained_runs(inits=5), "inits"),
    ],
)
def test_chapter4_bad_input_names_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_trained_runs_falls_back_to_quick_when_the_tier_has_no_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ch04, "chapter4_grid", _tiny_grid)
    runs, sources = ch04.trained_runs(tasks=("addition",), results_dir=str(tmp_path), tier="cpu", progress=False)
    assert len(runs) == 4 and sources["addition"].tier == "quick" and sources.tier == "quick"
    assert (tmp_path / "quick" / "chapter4" / "addition").is_dir()
    runs, sources = ch04.trained_runs(tasks=("addition",), results_dir=str(tmp_path / "x"), tier="cpu",
                                      progress=False, fallback=False)
    assert runs == [] and sources["addition"].tier == "cpu" and sources["addition"].n_runs == 0

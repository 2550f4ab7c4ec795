"""Chapter 3: Figure 3 at each tier, read from <results_dir>/<tier>/<task> (nnrnn_edu.chapters.ch03)."""

import os

import pytest

from _fake_results import fake_result

from nnrnn_edu import training
from nnrnn_edu.chapters import ch03
from nnrnn_edu.training import identity, sweep


def test_paper_copy_counts():
    assert ch03.PAPER_COPY_SUCCESS == {"identity": (0, 594), "orthogonal": (0, 594), "chain": (46, 462), "fbchain": (11, 462)}
    assert all(n == sweep.PAPER_RUNS_PER_MODEL[i] for i, (_, n) in ch03.PAPER_COPY_SUCCESS.items())


def test_quick_tier_trains_then_reuses(tmp_path):
    summary, sources = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), tier="quick", progress=False)
    s = sources["psmnist"]
    assert sources.tier == "quick" and s.complete and (s.n_runs, s.n_grid) == (8, 8)
    assert str(sources).startswith("psmnist: quick tier (a smoke run), psDigits, T = 64, N = 25, 400 updates per run, "
                                   "4 initialisers x 2 learning rates x 1 seed: all 8 runs")
    assert summary["psmnist"]["models"]["chain"]["n_runs"] == 2
    files = list((tmp_path / "quick" / "psmnist").glob("psmnist-vanilla-psDigits-*/*.json"))
    assert len(files) == 8
    stamps = sorted(f.stat().st_mtime_ns for f in files)
    again, _ = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), tier="quick", progress=False)
    assert sorted(f.stat().st_mtime_ns for f in files) == stamps  # reused, not retrained
    assert again["psmnist"]["models"]["chain"]["best"]["name"] == summary["psmnist"]["models"]["chain"]["best"]["name"]
    with pytest.raises(ValueError, match="tasks"):
        ch03.figure3_results(str(tmp_path), tasks="copy")
    with pytest.raises(ValueError, match="tier"):
        ch03.figure3_results(str(tmp_path), tier="medium")


def _write(root, cfg, loss, dataset=None, commit="abcdef123", machine="AMD EPYC, 2 cores"):
    r = fake_result(cfg.task, cfg.init, cfg.init_scale, cfg.lr, cfg.seed, loss)
    r.update(config=cfg.to_dict(), dataset={"name": dataset or cfg.task},
             provenance={"device": "cpu", "git_commit": commit, "machine": machine, "gpu": None})
    os.makedirs(root, exist_ok=True)
    training.write_json_atomic(os.path.join(root, r["name"] + ".json"), r)
    return r


def test_cpu_tier_reads_committed_runs_of_its_grid_only(tmp_path):
    g = sweep.grid("copy", tier="cpu")
    root = tmp_path / "cpu" / "copy" / identity.protocol_id(g.configs()[0])
    for cfg in g.configs()[:5]:
        _write(root, cfg, 0.01)
    _write(root, g.configs()[0].replace(lr=3e-4), 0.01)  # not in the grid: ignored
    summary, sources = ch03.figure3_results(str(tmp_path), tasks=("copy",), tier="cpu")  # never trains
    s = sources["copy"]
    assert (s.tier, s.n_runs, s.n_grid, s.seq_len, s.hidden_size, s.updates) == ("cpu", 5, 32, 500, 100, 20_000)
    assert str(s) == ("copy: cpu tier, T = 500, N = 100, 20 000 updates per run, 4 initialisers x 2 learning rates x 4 seeds: "
                      "5 of 32 runs finished (commit abcdef1 on AMD EPYC, 2 cores)")
    assert sum(m["n_runs"] for m in summary["copy"]["models"].values()) == 5
    # nothing yet for a task: said so, and no training
    summary, sources = ch03.figure3_results(str(tmp_path), tasks=("addition",), tier="cpu")
    assert summary == {} and f"none of 32 runs finished yet in {tmp_path / 'cpu' / 'addition'}" in str(sources)
    assert str(sources).endswith("(committed in the repository's results/cpu: clone it, or run make results-cpu)")
    assert not (tmp_path / "cpu" / "addition").exists()


def test_psmnist_prefers_mnist_then_fashion(tmp_path):
    g = sweep.grid("psmnist", tier="cpu")
    out = tmp_path / "cpu" / "psmnist"
    fashion = [c.replace(data_source="fashion") for c in g.configs()[:3]]
    for c in fashion:
        _write(out / identity.protocol_id(c), c, 0.5, dataset="psFashion-MNIST")
    _, sources = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), tier="cpu")
    assert sources["psmnist"].dataset == "psFashion-MNIST" and sources["psmnist"].n_runs == 3
    mnist = g.configs()[0].replace(data_source="mnist")
    _write(out / identity.protocol_id(mnist), mnist, 0.5, dataset="psMNIST")
    summary, sources = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), tier="cpu")
    assert sources["psmnist"].dataset == "psMNIST" and sources["psmnist"].n_runs == 1
    assert "psMNIST, T = 784, N = 25" in str(sources)


def test_pilot_grid_and_table():
    runs = [fake_result("copy", "chain", 1.02, 5e-5, 1, 0.039), fake_result("copy", "chain", 1.02, 3e-4, 1, 0.0416),
            fake_result("copy", "identity", 1.0, 5e-5, 1, 4.7e20), fake_result("copy", "identity", 1.0, 3e-4, 1, 0.0, "running")]
    diverged = fake_result("copy", "orthogonal", 1.0, 5e-5, 1, 0.0, "diverged")
    diverged.update(final_val_loss=None, best_val_loss=None)
    g = ch03.pilot_grid(runs + [diverged])
    assert set(g["copy"]) == {("chain", 5e-5), ("chain", 3e-4), ("identity", 5e-5), ("orthogonal", 5e-5)}  # running left out
    assert g["copy"][("chain", 5e-5)] == ch03.PilotCell("completed", 20, 0.039, 0.039)
    text = ch03.pilot_table_text(g).splitlines()
    assert text[0] == "copy: final validation loss after 20 updates (baseline 0.04159, success below 0.02079)"
    assert text[1].split() == ["lr", "0.0003", "lr", "5e-05"]
    assert text[2].split() == ["identity", "-", "exploded"] and text[3].split() == ["orthogonal", "-", "diverged"]
    assert text[4].split() == ["chain", "0.0416", "0.0390"]
    with pytest.raises(ValueError, match="two pilot runs"):
        ch03.pilot_grid(runs[:1] * 2)
    with pytest.raises(ValueError, match="no finished"):
        ch03.pilot_grid([])


def test_psmnist_without_results_names_the_data_set_this_machine_would_use(tmp_path, monkeypatch):
    from nnrnn_edu import data
    monkeypatch.setattr(data, "resolve_source", lambda source="auto": "fashion")
    _, sources = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), tier="cpu")
    assert sources["psmnist"].dataset == "psFashion-MNIST" and sources["psmnist"].seq_len == 784


def test_wilson_interval_and_success_table():
    lo, hi = ch03.wilson_interval(0, 8)
    assert lo == 0.0 and hi == pytest.approx(0.3244, abs=1e-4)  # 3 / (8 + 3.84) with z = 1.96
    lo, hi = ch03.wilson_interval(46, 462)
    assert lo == pytest.approx(0.0754, abs=1e-3) and hi == pytest.approx(0.1303, abs=1e-3)
    assert ch03.wilson_interval(8, 8)[1] == 1.0 and ch03.wilson_interval(4, 8)[0] == pytest.approx(1 - ch03.wilson_interval(4, 8)[1])
    for bad in [(9, 8), (-1, 8), (0, 0), (1.5, 8), (True, 8)]:
        with pytest.raises(ValueError):
            ch03.wilson_interval(*bad)
    models = {"identity": {"n_success": 0, "n_runs": 8}, "chain": {"n_success": 3, "n_runs": 8}}
    text = ch03.success_table(models, ch03.PAPER_COPY_SUCCESS).splitlines()
    assert text[1].split() == ["identity", "0/8", "0.0%", "0%-32%", "0/594", "0.0%"]
    assert text[2].split() == ["chain", "3/8", "37.5%", "14%-69%", "46/462", "10.0%"]


def test_readme_run_and_first_crossing(tmp_path):
    assert ch03.readme_run(str(tmp_path), tier="cpu") is None  # not trained yet
    g = sweep.grid("copy", tier="cpu")
    cfg = next(c for c in g.configs() if (c.init, c.init_scale, c.lr, c.seed) == ("chain", 1.02, 5e-5, 3))
    r = _write(tmp_path / "cpu" / "copy" / identity.protocol_id(cfg), cfg, 0.05)
    r["history"].update(update=[1000, 2000, 3000], val_loss=[0.05, 0.02, 0.01])
    training.write_json_atomic(str(tmp_path / "cpu" / "copy" / identity.protocol_id(cfg) / (r["name"] + ".json")), r)
    got = ch03.readme_run(str(tmp_path), tier="cpu")
    assert got["name"] == "copy_chain_1.02_5e-05_3"
    assert [r["name"] for r in ch03.grid_runs("copy", str(tmp_path), tier="cpu")] == ["copy_chain_1.02_5e-05_3"]
    with pytest.raises(ValueError, match="task"):
        ch03.grid_runs("mnist", str(tmp_path), tier="cpu")
    assert ch03.first_crossing({**got, "success_threshold": 0.0208}) == 2000
    assert ch03.first_crossing({**got, "success_threshold": 0.001}) is None
    assert ch03.readme_run(str(tmp_path), tier="quick") is None  # the quick grid has no such run
    with pytest.raises(ValueError, match="result"):
        ch03.first_crossing({"history": {}})


def test_sources_title_is_one_line(tmp_path):
    g = sweep.grid("copy", tier="cpu")
    for cfg in g.configs()[:3]:
        _write(tmp_path / "cpu" / "copy" / identity.protocol_id(cfg), cfg, 0.03)
    summary, sources = ch03.figure3_results(str(tmp_path), tasks=("copy", "addition"), tier="cpu")
    assert sources.title(summary) == "cpu tier, 20 000 updates per run: copy T = 500: 3 of 32 runs"
    assert sources.title().endswith("; addition T = 750: 0 of 32 runs")
    _, quick = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), tier="quick", progress=False)
    assert quick.title() == "quick tier, 400 updates per run: psDigits T = 64: 8 runs"

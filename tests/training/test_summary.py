"""Merging result files into Figure 3's tables (nnrnn_edu.training.summary)."""

import json
import os

import numpy as np
import pytest

from _fake_results import fake_result

from nnrnn_edu import training
from nnrnn_edu.training import summary


def test_summarize_synthetic_results(tmp_path):
    runs = [
        fake_result("copy", "chain", 1.0, 1e-3, 1, 0.05),
        fake_result("copy", "chain", 1.0, 1e-3, 2, 0.01),  # best chain run
        fake_result("copy", "chain", 1.05, 1e-4, 1, 0.5),
        fake_result("copy", "chain", 1.05, 1e-3, 1, float("nan"), status="diverged"),
        fake_result("copy", "identity", 1.0, 1e-3, 1, 0.3),
        fake_result("copy", "identity", 1.0, 1e-4, 1, 0.01, status="running"),
        fake_result("addition", "chain", 1.0, 1e-3, 1, 0.01),
    ]
    for i, r in enumerate(runs):
        sub = tmp_path / f"shard{i % 2}"
        sub.mkdir(exist_ok=True)
        training.write_json_atomic(str(sub / (r["name"] + ".json")), r)
    (tmp_path / "notes.json").write_text(json.dumps({"not": "a result"}))
    os.makedirs(tmp_path / "checkpoints", exist_ok=True)
    s = summary.summarize(str(tmp_path))
    assert set(s) == {"copy", "addition"}
    assert s.problems == [summary.Problem(str(tmp_path / "notes.json"), "not a result file (no 'config' and no 'status')")]
    copy = s["copy"]
    assert list(copy["models"]) == ["identity", "chain"]  # Figure 3 order
    chain = copy["models"]["chain"]
    assert (chain["n_runs"], chain["n_success"], chain["n_diverged"], chain["n_running"]) == (4, 2, 1, 0)
    assert chain["best"]["name"] == "copy_chain_1.0_0.001_2" and chain["best"]["seed"] == 2
    np.testing.assert_array_equal(chain["best"]["val_loss"], [1.0, 0.01])
    assert chain["scales"] == [1.0, 1.05] and chain["lrs"] == [1e-3, 1e-4]
    np.testing.assert_array_equal(chain["success_grid"], [[2, 0], [0, 0]])
    ident = copy["models"]["identity"]
    assert (ident["n_runs"], ident["n_success"], ident["n_running"]) == (1, 0, 1)
    assert copy["success_threshold"] == 0.1
    only = summary.summarize(runs, task="addition")
    assert set(only) == {"addition"} and only["addition"]["models"]["chain"]["n_success"] == 1
    table = summary.summary_table(s)
    assert "chain" in table and "2/4" in table and "notes.json: not a result file" in table
    assert summary.summarize([]) == {}


def test_exploded_runs_are_counted():
    """A finite loss above 1000 x the baseline (weights blown up, not NaN) is counted as exploded."""
    runs = [fake_result("copy", "chain", 1.02, 1e-4, 1, 4.7e20), fake_result("copy", "chain", 1.02, 1e-4, 2, 0.05),
            fake_result("copy", "chain", 1.02, 1e-4, 3, float("nan"), status="diverged")]
    row = summary.summarize(runs)["copy"]["models"]["chain"]
    assert (row["n_exploded"], row["n_diverged"], row["n_runs"]) == (1, 1, 3)
    assert summary.EXPLODED_FACTOR * runs[0]["baseline_loss"] < 4.7e20
    lines = summary.summary_table(summary.summarize(runs)).splitlines()
    assert lines[1].split()[:5] == ["model", "success", "diverged", "exploded", "running"]
    assert lines[2].split()[:5] == ["chain", "1/3", "1", "1", "0"]
    assert [summary.blown_up(r) for r in runs] == [True, False, True]
    with pytest.raises(ValueError, match="r must be a result record"):
        summary.blown_up({"name": "x"})


def test_best_setting_is_averaged_over_seeds():
    runs = [
        fake_result("copy", "chain", 1.0, 1e-3, 1, 0.05),
        fake_result("copy", "chain", 1.0, 1e-3, 2, 0.01),  # mean 0.03
        fake_result("copy", "chain", 1.05, 1e-4, 1, 0.02),
        fake_result("copy", "chain", 1.05, 1e-4, 2, 0.02),  # mean 0.02: the best setting
        fake_result("copy", "chain", 1.02, 1e-4, 1, 0.001),
        fake_result("copy", "chain", 1.02, 1e-4, 2, float("nan"), status="diverged"),  # never best
    ]
    best = summary.summarize(runs)["copy"]["models"]["chain"]["best_setting"]
    assert (best["init_scale"], best["lr"], best["seeds"]) == (1.05, 1e-4, [1, 2])
    assert best["mean_final_val_loss"] == pytest.approx(0.02)
    np.testing.assert_allclose(best["val_loss_mean"], [1.0, 0.02])
    np.testing.assert_allclose(best["val_loss_sem"], [0.0, 0.0])
    assert summary.summarize(runs[-1:])["copy"]["models"]["chain"]["best_setting"] is None
    # where every setting lost a seed, the best of what trained is shown, with the count left out
    blown = [fake_result("copy", "chain", 1.02, 5e-5, 1, 3.5e19), fake_result("copy", "chain", 1.02, 5e-5, 2, 0.017),
             fake_result("copy", "chain", 1.02, 1e-4, 1, 0.0416), fake_result("copy", "chain", 1.02, 1e-4, 2, 5.6e16)]
    best = summary.summarize(blown)["copy"]["models"]["chain"]["best_setting"]
    assert (best["lr"], best["seeds"], best["n_blown_up"], best["n_success"]) == (5e-5, [2], 1, 1)
    np.testing.assert_allclose(best["val_loss_mean"], [1.0, 0.017])


def test_result_tier_is_read_from_the_settings():
    from nnrnn_edu.training.identity import result_tier as tier

    def rec(cfg, name):
        return {"config": cfg.to_dict(), "dataset": {"name": name}}

    for task in ("copy", "addition"):
        for t in ("quick", "cpu", "full"):
            assert tier(rec(training.preset(task, tier=t), task)) == t
        cpu = training.preset(task, tier="cpu")
        assert tier(rec(cpu.replace(max_updates=6000), task)) == "cpu"  # any smaller budget
        assert tier(rec(cpu.replace(seq_len=200), task)) == "custom"  # not the paper's length
        assert tier(rec(cpu.replace(batch_size=128), task)) == "custom"
        assert tier(rec(cpu.replace(train_set="stream"), task)) == "custom"  # not the authors' training set
        assert tier(rec(training.preset(task, tier="full").replace(hidden_size=50), task)) == "custom"
    full_ps = training.preset("psmnist", tier="full")
    assert tier(rec(full_ps, "psMNIST")) == "full"
    assert tier(rec(full_ps, "psFashion-MNIST")) == "cpu"  # not the paper's data set: never full
    assert tier(rec(training.preset("psmnist", tier="cpu"), "psFashion-MNIST")) == "cpu"
    assert tier(rec(full_ps, "psDigits")) == "quick"
    with pytest.raises(ValueError, match="result"):
        tier({"config": 3})



def _write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    training.write_json_atomic(str(path), obj)


def test_bad_files_are_reported_with_path_and_reason_never_skipped_silently(tmp_path):
    good = fake_result("copy", "chain", 1.0, 1e-3, 1, 0.01)
    _write(tmp_path / "a" / "good.json", good)
    (tmp_path / "a" / "truncated.json").write_text(json.dumps(good)[:200])
    (tmp_path / "a" / "garbage.json").write_bytes(b"\x00\xff not json")
    _write(tmp_path / "a" / "incomplete.json", {k: v for k, v in good.items() if k != "history"})
    _write(tmp_path / "a" / "list.json", [1, 2])
    _write(tmp_path / "a" / "badconfig.json", dict(good, config={**good["config"], "colour": "red"}))
    _write(tmp_path / "b" / "good.json", good)  # the same run copied twice: merged silently
    _write(tmp_path / "c" / "other.json", fake_result("copy", "chain", 1.0, 3e-4, 1, 0.02))
    _write(tmp_path / "d" / "other.json", fake_result("copy", "chain", 1.0, 3e-4, 1, 0.03))  # conflicting copy
    res = summary.load_results(str(tmp_path))
    assert sorted(r["name"] for r in res) == sorted([good["name"], "copy_chain_1.0_0.0003_1"])
    reasons = {os.path.basename(p.path): p.reason for p in res.problems}
    assert reasons["truncated.json"].startswith("unreadable") and reasons["garbage.json"].startswith("unreadable")
    assert reasons["incomplete.json"] == "incomplete result: lacks ['history']"
    assert reasons["list.json"].startswith("not a result file")
    assert reasons["badconfig.json"].startswith("unreadable configuration") and "colour" in reasons["badconfig.json"]
    conflict = [p for p in res.problems if "conflicts" in p.reason]
    assert len(conflict) == 1 and conflict[0].path.endswith("c/other.json") and "different numbers" in conflict[0].reason
    s = summary.summarize(str(tmp_path))
    assert s["copy"]["models"]["chain"]["n_runs"] == 2 and len(s.problems) == 6
    with pytest.raises(ValueError, match="incomplete result"):
        summary.summarize([{k: v for k, v in good.items() if k != "dataset"}])


def test_protocols_are_never_merged_and_datasets_named(tmp_path):
    short, long = fake_result("copy", "chain", 1.0, 1e-3, 1, 0.01), fake_result("copy", "chain", 1.0, 1e-3, 1, 0.5)
    long["config"] = {**long["config"], "seq_len": 1000}  # same run name, another protocol
    _write(tmp_path / "x" / "r.json", short)
    _write(tmp_path / "y" / "r.json", long)
    res = summary.load_results(str(tmp_path))
    assert len(res) == 2 and not res.problems  # two runs, not one "winning" the other
    with pytest.raises(ValueError, match="2 protocols") as err:
        summary.summarize(str(tmp_path))
    assert "copy-vanilla-T500-" in str(err.value) and "copy-vanilla-T1000-" in str(err.value)
    pid = next(r["protocol"]["id"] for r in res if r["config"]["seq_len"] == 1000)
    one = summary.summarize(str(tmp_path), protocol=pid)
    assert one["copy"]["protocol"] == pid and one["copy"]["models"]["chain"]["best"]["final_val_loss"] == 0.5
    with pytest.raises(ValueError, match="protocol"):
        summary.summarize(str(tmp_path), protocol="nope")
    ps = fake_result("psmnist", "chain", 1.0, 1e-3, 1, 0.5)
    assert summary.summarize([ps])["psmnist"]["dataset"] == "psDigits"
    assert "psmnist (quick tier, psDigits, protocol psmnist-vanilla-psDigits-" in summary.summary_table(summary.summarize([ps]))

"""Merging result files into Figure 3's tables (nnrnn_edu.training.summary)."""

import json
import os

import numpy as np
import pytest

from nnrnn_edu import training
from nnrnn_edu.training import summary


def _fake(task, init, scale, lr, seed, final, status="completed", thr=0.1):
    cfg = training.TrainConfig(task=task, init=init, init_scale=scale, lr=lr, seed=seed)
    vals = [1.0, final]
    return {
        "version": 1, "name": cfg.run_name(), "config": cfg.to_dict(), "seed": seed, "status": status,
        "history": {"update": [10, 20], "epoch": [0.5, 1.0], "train_loss": [1.1, final], "val_loss": vals},
        "best_val_loss": min(vals), "final_val_loss": final, "baseline_loss": 2 * thr, "success_threshold": thr,
        "success": bool(status != "running" and final < thr),
    }


def test_summarize_synthetic_results(tmp_path):
    runs = [
        _fake("copy", "chain", 1.0, 1e-3, 1, 0.05),
        _fake("copy", "chain", 1.0, 1e-3, 2, 0.01),  # best chain run
        _fake("copy", "chain", 1.05, 1e-4, 1, 0.5),
        _fake("copy", "chain", 1.05, 1e-3, 1, float("nan"), status="diverged"),
        _fake("copy", "identity", 1.0, 1e-3, 1, 0.3),
        _fake("copy", "identity", 1.0, 1e-4, 1, 0.01, status="running"),
        _fake("addition", "chain", 1.0, 1e-3, 1, 0.01),
    ]
    for i, r in enumerate(runs):
        sub = tmp_path / f"shard{i % 2}"
        sub.mkdir(exist_ok=True)
        training.write_json_atomic(str(sub / (r["name"] + ".json")), r)
    (tmp_path / "notes.json").write_text(json.dumps({"not": "a result"}))
    os.makedirs(tmp_path / "checkpoints", exist_ok=True)
    s = summary.summarize(str(tmp_path))
    assert set(s) == {"copy", "addition"}
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
    assert "chain" in table and "2/4" in table
    assert summary.summarize([]) == {}


def test_best_setting_is_averaged_over_seeds():
    runs = [
        _fake("copy", "chain", 1.0, 1e-3, 1, 0.05),
        _fake("copy", "chain", 1.0, 1e-3, 2, 0.01),  # mean 0.03
        _fake("copy", "chain", 1.05, 1e-4, 1, 0.02),
        _fake("copy", "chain", 1.05, 1e-4, 2, 0.02),  # mean 0.02: the best setting
        _fake("copy", "chain", 1.02, 1e-4, 1, 0.001),
        _fake("copy", "chain", 1.02, 1e-4, 2, float("nan"), status="diverged"),  # never best
    ]
    best = summary.summarize(runs)["copy"]["models"]["chain"]["best_setting"]
    assert (best["init_scale"], best["lr"], best["seeds"]) == (1.05, 1e-4, [1, 2])
    assert best["mean_final_val_loss"] == pytest.approx(0.02)
    np.testing.assert_allclose(best["val_loss_mean"], [1.0, 0.02])
    np.testing.assert_allclose(best["val_loss_sem"], [0.0, 0.0])
    assert summary.summarize(runs[-1:])["copy"]["models"]["chain"]["best_setting"] is None


def test_is_full_scale():
    full = training.preset("copy", quick=False).replace(init="identity", lr=3e-6, seed=4)
    assert summary.is_full_scale({"config": full.to_dict(), "dataset": {"name": "copy"}})
    quick = training.preset("copy", quick=True)
    assert not summary.is_full_scale({"config": quick.to_dict()})
    ps = training.preset("psmnist", quick=False).to_dict()
    assert summary.is_full_scale({"config": ps, "dataset": {"name": "psMNIST"}})
    assert not summary.is_full_scale({"config": ps, "dataset": {"name": "psDigits"}})  # offline fallback
    with pytest.raises(ValueError, match="result"):
        summary.is_full_scale({"name": "x"})


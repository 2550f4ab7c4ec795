"""One training run: protocol, result file, divergence, checkpoint/resume under SIGKILL (nnrnn_edu.train)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from nnrnn_edu import train

TINY = dict(seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, threads=1)


def _strip(res):
    """Everything that must not depend on interruptions.

    Timing does; provenance can (other commits may land between the runs).
    """
    return {k: v for k, v in res.items() if k not in ("timing", "provenance", "path")}


def test_paper_protocol_defaults():
    cfg = train.preset("copy", quick=False)
    assert (cfg.rho, cfg.eps, cfg.clip_norm, cfg.batch_size) == (0.9, 1e-7, 10.0, 16)
    assert cfg.early_stop_loss == 0.0025 and cfg.max_epochs == 100 and cfg.val_size == 10_000
    q = train.preset("psmnist", quick=True, lr=3e-4)
    assert q.data_source == "digits" and q.lr == 3e-4 and q.max_updates is not None


def test_run_writes_result_atomically(tmp_path):
    cfg = train.preset("addition", quick=True, max_updates=40, eval_every=20, lr=1e-3, **TINY)
    res = train.train(cfg, str(tmp_path), progress=False)
    path = tmp_path / (cfg.run_name() + ".json")
    on_disk = json.loads(path.read_text())
    assert res["path"] == str(path)  # the returned record says where it lives (not stored in the file)
    assert on_disk == json.loads(json.dumps({k: v for k, v in res.items() if k != "path"}))
    assert res["status"] == "completed" and res["updates"] == 40
    assert res["history"]["update"] == [20, 40] and len(res["history"]["val_loss"]) == 2
    assert res["best_val_loss"] == min(res["history"]["val_loss"])
    assert res["final_val_loss"] == res["history"]["val_loss"][-1]
    assert res["baseline_loss"] == pytest.approx(1 / 6) and res["success_threshold"] == pytest.approx(1 / 12)
    assert res["success"] == (res["final_val_loss"] < 1 / 12)
    assert res["config"]["lr"] == 1e-3 and res["seed"] == cfg.seed
    prov = res["provenance"]
    assert prov["device"] == "cpu" and prov["torch"] and "git_commit" in prov
    assert res["timing"]["wall_time_s"] > 0
    assert not list(tmp_path.glob(".tmp-*")) and not list((tmp_path / "checkpoints").glob("*"))
    # a finished run is not trained again
    again = train.train(cfg, str(tmp_path), progress=False)
    assert again == dict(on_disk, path=str(path))


def test_psdigits_run_labelled(tmp_path):
    cfg = train.preset("psmnist", quick=True, max_updates=10, eval_every=10, hidden_size=8, threads=1)
    res = train.train(cfg, str(tmp_path), progress=False)
    assert res["dataset"]["name"] == "psDigits" and res["dataset"]["seq_len"] == 64
    assert len(res["dataset"]["permutation"]) == 64 and res["dataset"]["permutation_seed"] == 1


def test_divergence_ends_run_with_status(tmp_path):
    cfg = train.preset(
        "addition", quick=True, init="identity", init_scale=1e10, nonlinearity="relu",
        max_updates=100, eval_every=50, check_every=5, **TINY,
    )
    res = train.train(cfg, str(tmp_path), progress=False)
    assert res["status"] == "diverged" and res["updates"] == 5 and res["success"] is False
    assert (tmp_path / (cfg.run_name() + ".json")).exists()


def test_early_stop(tmp_path):
    cfg = train.preset("copy", quick=True, max_updates=100, eval_every=10, early_stop_loss=1e9, **TINY)
    res = train.train(cfg, str(tmp_path), progress=False)
    assert res["status"] == "early_stopped" and res["updates"] == 10


@pytest.fixture
def bars(monkeypatch):
    """Every tqdm bar that train/sweep open, recorded (written to a string, not the terminal)."""
    import io

    import tqdm.auto

    made = []

    class Recorded(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = io.StringIO()
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    return made


def test_progress_bar_of_early_stop_ends_finished_and_divergence_short(tmp_path, bars):
    # tqdm.notebook paints a bar that closes with n < total red ("failed"): an early stop is a success
    cfg = train.preset("copy", quick=True, max_updates=100, eval_every=10, early_stop_loss=1e9, **TINY)
    assert train.train(cfg, str(tmp_path), progress=True)["status"] == "early_stopped"
    assert len(bars) == 1 and bars[0].n == bars[0].total == 10
    cfg = train.preset(
        "addition", quick=True, init="identity", init_scale=1e10, nonlinearity="relu",
        max_updates=100, eval_every=50, check_every=5, **TINY,
    )
    assert train.train(cfg, str(tmp_path), progress=True)["status"] == "diverged"
    assert bars[1].n == 5 and bars[1].total == 100  # a diverged run keeps the short (red) bar


_CHILD = """
import sys
from nnrnn_edu import train
cfg = train.TrainConfig(**{cfg!r})
train.train(cfg, sys.argv[1], progress=False)
"""


def test_sigkill_resume_gives_same_result(tmp_path):
    cfg = train.preset("copy", quick=True, max_updates=240, eval_every=20, lr=1e-3, **TINY)
    # uninterrupted reference, in a subprocess like the killed run
    code = _CHILD.format(cfg=cfg.to_dict())
    ref_dir, run_dir = tmp_path / "ref", tmp_path / "run"
    subprocess.run([sys.executable, "-c", code, str(ref_dir)], check=True, timeout=120)
    ref = json.loads((ref_dir / (cfg.run_name() + ".json")).read_text())
    ckpt = run_dir / "checkpoints" / (cfg.run_name() + ".pt")
    result = run_dir / (cfg.run_name() + ".json")
    kills = 0
    for target in (1, 3):  # kill after the first, then after a later checkpoint
        child = subprocess.Popen([sys.executable, "-c", code, str(run_dir)])
        deadline = time.time() + 120
        while time.time() < deadline and child.poll() is None:
            if ckpt.exists() and result.exists():
                done = len(json.loads(result.read_text())["history"]["update"])
                if done >= target:
                    break
            time.sleep(0.002)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
            status = json.loads(result.read_text())["status"]
            assert status == "running"
    assert kills >= 1, "the run finished before it could be killed; make it longer"
    res = train.train(cfg, str(run_dir), progress=False)
    assert res["timing"]["resumes"] >= 1
    assert _strip(res) == _strip(ref)
    assert res["provenance"]["device"] == ref["provenance"]["device"] == "cpu"
    assert not ckpt.exists()
    import torch  # the trained weights too are those of the uninterrupted run

    w_ref = train.load_model(ref, directory=str(ref_dir)).recurrent_weight
    assert torch.equal(train.load_model(res).recurrent_weight, w_ref)


@pytest.mark.parametrize(
    "changes, name",
    [
        (dict(task="mnist"), "task"),
        (dict(batch_size=0), "batch_size"),
        (dict(lr=-1.0), "lr"),
        (dict(rho=1.0), "rho"),
        (dict(max_epochs=None, max_updates=None), "max_epochs"),
        (dict(init="random"), "init"),
        (dict(nonlinearity="gelu"), "nonlinearity"),
        (dict(seed=-1), "seed"),
        (dict(threads=0), "threads"),
    ],
)
def test_bad_config_names_field(tmp_path, changes, name):
    with pytest.raises(ValueError, match=name):
        train.train(train.TrainConfig(**changes), str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="task"):
        train.preset("mnist")


def test_trained_weights_are_saved_and_reload(tmp_path):
    import torch

    from nnrnn_edu import sweep, train

    cfg = train.preset("addition", quick=True, hidden_size=8, max_updates=20, eval_every=10, val_size=32,
                       init="orthogonal", init_scale=1.0, lr=1e-3)
    res = train.train(cfg, str(tmp_path), progress=False)
    assert res["weights_file"] == res["name"] + train.WEIGHTS_SUFFIX
    final = train.load_model(res, "final")
    initial = train.load_model(res, "initial")
    assert final.recurrent_weight.shape == (8, 8)
    assert not torch.equal(final.recurrent_weight, initial.recurrent_weight)  # training moved W
    (loaded,) = sweep.load_results(str(tmp_path))
    assert torch.equal(train.load_model(loaded).recurrent_weight, final.recurrent_weight)
    again = train.train(cfg, str(tmp_path), progress=False)  # finished: read back, not retrained
    assert torch.equal(train.load_model(again).recurrent_weight, final.recurrent_weight)
    with pytest.raises(ValueError, match="which"):
        train.load_model(res, "best")
    res_no = dict(res, weights_file=None)
    with pytest.raises(ValueError, match="no trained weights"):
        train.load_model(res_no)


def test_sweep_members_save_their_own_weights(tmp_path):
    import torch

    from nnrnn_edu import sweep, train

    g = sweep.grid("addition", quick=True, inits=["chain", "identity"], lrs=[1e-3],
                   hidden_size=8, max_updates=20, eval_every=10, val_size=32)
    results = sweep.run_sweep(g, str(tmp_path), progress=False)
    assert len(results) == 2
    for r in sweep.load_results(str(tmp_path)):
        alone = train.train(train.TrainConfig(**r["config"]), str(tmp_path / "alone"), progress=False)
        w_ens = train.load_model(r).recurrent_weight
        w_alone = train.load_model(alone).recurrent_weight
        assert torch.allclose(w_ens, w_alone, rtol=1e-4, atol=1e-6)

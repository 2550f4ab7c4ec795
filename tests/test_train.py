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
    return {k: v for k, v in res.items() if k not in ("timing", "provenance")}


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
    assert on_disk == json.loads(json.dumps(res))
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
    assert again == on_disk


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

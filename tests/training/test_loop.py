"""The one training loop: single runs and ensembles, protocol, divergence, early stop, progress bars, checkpoint/resume under SIGKILL (nnrnn_edu.training.loop)."""

import json
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from nnrnn_edu import tasks
from nnrnn_edu import training
from nnrnn_edu.models import EnsembleRNN, VanillaRNN
from nnrnn_edu.training import identity
from nnrnn_edu.training import loop
from nnrnn_edu.training import optim
from nnrnn_edu.training import records
from nnrnn_edu.training import sweep
from nnrnn_edu.training import trainees
from nnrnn_edu.training.optim import clip_grad_norm_per_model_


TINY = dict(seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, threads=1)


def _file(out_dir, cfg):
    """Where a run's result lives under ``out_dir`` (its protocol directory)."""
    return pathlib.Path(records.result_path(str(out_dir), identity.resolve(cfg)))


def _strip(res):
    """Everything that must not depend on interruptions.

    Timing does; provenance can (other commits may land between the runs).
    """
    return {k: v for k, v in res.items() if k not in ("timing", "provenance", "path")}


@pytest.fixture
def bars(monkeypatch):
    """Every tqdm bar that the training loop opens, recorded (written to a string, not the terminal)."""
    import io

    import tqdm.auto

    made = []

    class Recorded(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = io.StringIO()
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(loop, "tqdm", Recorded)
    return made


_CHILD = """
import sys
from nnrnn_edu import training
cfg = training.TrainConfig(**{cfg!r})
training.train(cfg, sys.argv[1], progress=False)
"""


def _tiny(task="copy", **kw):
    args = dict(TINY, max_updates=60, eval_every=20)
    args.update(kw)
    return training.preset(task, quick=True, **args)


def test_run_writes_result_atomically(tmp_path):
    cfg = training.preset("addition", quick=True, max_updates=40, eval_every=20, lr=1e-3, **TINY)
    res = training.train(cfg, str(tmp_path), progress=False)
    path = _file(tmp_path, cfg)
    assert path.parent.name == identity.protocol_id(identity.resolve(cfg)) == res["protocol"]["id"]
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
    assert prov["device"] == "cpu" and prov["torch"] and "git_commit" in prov and prov["machine"].endswith(" cores")
    assert res["tier"] == identity.result_tier(res) == "custom"  # tiny sizes: no tier of the book
    assert res["timing"]["wall_time_s"] > 0
    assert not list(path.parent.glob(".tmp-*")) and not list((path.parent / "checkpoints").glob("*.pt"))
    # a finished run is not trained again
    again = training.train(cfg, str(tmp_path), progress=False)
    assert again == dict(on_disk, path=str(path))


def test_psdigits_run_labelled(tmp_path):
    cfg = training.preset("psmnist", quick=True, max_updates=10, eval_every=10, hidden_size=8, threads=1)
    res = training.train(cfg, str(tmp_path), progress=False)
    assert res["dataset"]["name"] == "psDigits" and res["dataset"]["seq_len"] == 64
    assert len(res["dataset"]["permutation"]) == 64 and res["dataset"]["permutation_seed"] == 1


def test_divergence_ends_run_with_status(tmp_path):
    cfg = training.preset(
        "addition", quick=True, init="identity", init_scale=1e10, nonlinearity="relu",
        max_updates=100, eval_every=50, check_every=5, **TINY,
    )
    res = training.train(cfg, str(tmp_path), progress=False)
    assert res["status"] == "diverged" and res["updates"] == 5 and res["success"] is False
    assert _file(tmp_path, cfg).exists()


def test_early_stop(tmp_path):
    cfg = training.preset("copy", quick=True, max_updates=100, eval_every=10, early_stop_loss=1e9, **TINY)
    res = training.train(cfg, str(tmp_path), progress=False)
    assert res["status"] == "early_stopped" and res["updates"] == 10


def test_progress_bar_of_early_stop_ends_finished_and_divergence_short(tmp_path, bars):
    # tqdm.notebook paints a bar that closes with n < total red ("failed"): an early stop is a success
    cfg = training.preset("copy", quick=True, max_updates=100, eval_every=10, early_stop_loss=1e9, **TINY)
    assert training.train(cfg, str(tmp_path), progress=True)["status"] == "early_stopped"
    assert len(bars) == 1 and bars[0].n == bars[0].total == 10
    cfg = training.preset(
        "addition", quick=True, init="identity", init_scale=1e10, nonlinearity="relu",
        max_updates=100, eval_every=50, check_every=5, **TINY,
    )
    assert training.train(cfg, str(tmp_path), progress=True)["status"] == "diverged"
    assert bars[1].n == 5 and bars[1].total == 100  # a diverged run keeps the short (red) bar


@pytest.mark.slow
def test_sigkill_resume_gives_same_result(tmp_path):
    cfg = training.preset("copy", quick=True, max_updates=240, eval_every=20, lr=1e-3, **TINY)
    # uninterrupted reference, in a subprocess like the killed run
    code = _CHILD.format(cfg=cfg.to_dict())
    ref_dir, run_dir = tmp_path / "ref", tmp_path / "run"
    subprocess.run([sys.executable, "-c", code, str(ref_dir)], check=True, timeout=120)
    ref = json.loads(_file(ref_dir, cfg).read_text())
    result = _file(run_dir, cfg)
    ckpt = result.parent / "checkpoints" / (cfg.run_name() + ".pt")
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
    res = training.train(cfg, str(run_dir), progress=False)
    assert res["timing"]["resumes"] >= 1
    assert _strip(res) == _strip(ref)
    assert res["provenance"]["device"] == ref["provenance"]["device"] == "cpu"
    assert not ckpt.exists()
    import torch  # the trained weights too are those of the uninterrupted run

    w_ref = training.load_model(ref, directory=str(_file(ref_dir, cfg).parent)).recurrent_matrix()
    assert torch.equal(training.load_model(res).recurrent_matrix(), w_ref)


def test_ensemble_training_float64_equals_separate_models():
    """Model level, float64: ensemble + per-model clip + RMSpropPerModel == K x (VanillaRNN + torch RMSprop).

    Includes the relu identity network, which is too sensitive for a float32 comparison
    (rounding differences of 1e-7 grow to O(1) within 40 updates), but agrees to ~1e-10 in float64.
    """
    dt = torch.float64
    specs = [("chain", 1.02, 1e-3), ("identity", 1.0, 1e-3), ("orthogonal", 1.0, 3e-3), ("fbchain", 0.04, 3e-4)]
    singles = [VanillaRNN(2, 12, 1, "relu", i, s, "last", seed=k, dtype=dt) for k, (i, s, _) in enumerate(specs)]
    opts = [torch.optim.RMSprop(m.parameters(), lr=lr, alpha=0.9, eps=1e-7) for m, (_, _, lr) in zip(singles, specs)]
    ens = EnsembleRNN(4, 2, 12, 1, "relu", [s[0] for s in specs], [s[1] for s in specs], "last",
                      seeds=[0, 1, 2, 3], dtype=dt)
    eopt = optim.RMSpropPerModel(list(ens.parameters()), [s[2] for s in specs])
    gen = torch.Generator().manual_seed(1)
    for _ in range(40):
        x, y = tasks.addition_task(8, 30, gen)
        x, y = x.to(dt), y.to(dt)
        ref = []
        for m, o in zip(singles, opts):
            o.zero_grad()
            loss = tasks.task_loss("addition", m(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 10.0)
            o.step()
            ref.append(loss.item())
        eopt.zero_grad()
        losses = tasks.task_loss("addition", ens(x), y)
        losses.sum().backward()
        clip_grad_norm_per_model_(list(ens.parameters()), 10.0)
        eopt.step()
        np.testing.assert_allclose(losses.detach().numpy(), ref, rtol=1e-8)
    for k, m in enumerate(singles):
        torch.testing.assert_close(ens.weight_hh[k], m.weight_hh, rtol=1e-8, atol=1e-10)


MEMBERS = [("chain", 1.02, 1e-3), ("orthogonal", 1.0, 3e-4), ("identity", 1.0, 1e-3), ("fbchain", 0.04, 1e-3),
           ("chain", 1.05, 3e-4), ("identity", 1.01, 3e-4), ("orthogonal", 1.03, 1e-3), ("chain", 0.99, 3e-4)]
"""Eight runs that differ in initialiser, scale and learning rate (one ensemble's worth)."""

_NUMBERS = ("history", "status", "updates", "best_val_loss", "final_val_loss", "success", "config", "dataset",
            "model", "name")


def _numbers(res):
    return {k: res[k] for k in _NUMBERS}


def _weights(res):
    return {k: v for k, v in torch.load(res["path"].replace(".json", ".weights.pt")).items()}


@pytest.mark.parametrize("task", ["copy", "addition", "psmnist"])
def test_ensemble_member_is_bitwise_the_run_alone_for_every_ensemble_size(tmp_path, task):
    """A member's trajectory (losses, status, weights) does not depend on K or on its co-members."""
    kw = {"hidden_size": 8, "seq_len": None} if task == "psmnist" else {}
    cfgs = [_tiny(task, init=i, init_scale=s, lr=lr, max_updates=80, **kw) for i, s, lr in MEMBERS]
    alone = [training.train(c, str(tmp_path / "alone"), progress=False) for c in cfgs[:3]]
    for K in (1, 2, 3, 5, 8):
        ens = training.train_ensemble(cfgs[:K], str(tmp_path / f"K{K}"), progress=False)
        for a, b in zip(alone, ens):
            assert _numbers(b) == _numbers(a), (K, a["name"])
            wa, wb = _weights(a), _weights(b)
            assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa), (K, a["name"])
            assert b["timing"]["ensemble_size"] == K and b["provenance"]["threads"] == 1
    assert alone[0]["final_val_loss"] < alone[0]["history"]["val_loss"][0]  # the runs did learn


def test_sweep_results_do_not_depend_on_sharding_or_ensemble_size(tmp_path):
    g = sweep.grid("addition", quick=True, inits=["chain", "identity", "orthogonal"], lrs=[1e-3, 3e-4], seeds=[1],
                   seq_len=30, hidden_size=12, val_size=32, eval_batch_size=16, max_updates=60, eval_every=20)
    whole = sweep.run_sweep(g, str(tmp_path / "whole"), progress=False)
    split = [r for i in range(2) for r in sweep.run_sweep(g, str(tmp_path / "split"), shard_index=i, shard_count=2,
                                                            ensemble_size=2, progress=False)]
    ones = sweep.run_sweep(g, str(tmp_path / "ones"), ensemble_size=1, progress=False)
    by_name = {r["name"]: _numbers(r) for r in whole}
    assert len(by_name) == 6
    assert {r["name"]: _numbers(r) for r in split} == by_name
    assert {r["name"]: _numbers(r) for r in ones} == by_name
    assert {r["timing"].get("ensemble_size") for r in whole} == {6}
    assert {r["timing"].get("ensemble_size") for r in split} == {2, 1}


def test_divergence_of_one_member_does_not_affect_the_others(tmp_path):
    good = [_tiny("addition", init="chain", init_scale=1.0, lr=1e-3, check_every=5),
            _tiny("addition", init="orthogonal", init_scale=1.0, lr=3e-4, check_every=5)]
    bad = _tiny("addition", init="identity", init_scale=1e10, lr=1e-3, check_every=5)
    mixed = training.train_ensemble([good[0], bad, good[1]], str(tmp_path / "mixed"), progress=False)
    clean = training.train_ensemble(good, str(tmp_path / "clean"), progress=False)
    alone = [training.train(c, str(tmp_path / "alone"), progress=False) for c in (good[0], bad, good[1])]
    assert mixed[1]["status"] == alone[1]["status"] == "diverged"
    assert mixed[1]["updates"] == alone[1]["updates"] == 5 and mixed[1]["success"] is False
    for m, c, a in zip([mixed[0], mixed[2]], clean, [alone[0], alone[2]]):
        assert m["status"] == c["status"] == "completed" and m["updates"] == 60
        assert _numbers(m) == _numbers(c) == _numbers(a)  # bitwise, diverging co-member or not
        assert all(np.isfinite(m["history"]["val_loss"]))


def test_early_stopped_members_leave_and_all_done(tmp_path):
    cfgs = [_tiny("copy", init=i, early_stop_loss=1e9) for i in ("chain", "identity")]
    res = training.train_ensemble(cfgs, str(tmp_path), progress=False)
    assert [r["status"] for r in res] == ["early_stopped"] * 2 and all(r["updates"] == 20 for r in res)


def test_interrupted_ensemble_resumes_from_checkpoint(tmp_path, interrupted):
    cfgs = [_tiny("copy", init=i, lr=1e-3) for i in ("chain", "orthogonal")]
    ref = training.train_ensemble(cfgs, str(tmp_path / "ref"), progress=False)
    interrupted(trainees.VanillaEnsemble, 2, cfgs, tmp_path / "run")
    run_file = _file(tmp_path / "run", cfgs[0])
    ckpts = list((run_file.parent / "checkpoints").glob("ensemble-*.pt"))
    assert len(ckpts) == 1
    assert json.loads(run_file.read_text())["status"] == "running"
    res = training.train_ensemble(cfgs, str(tmp_path / "run"), progress=False)
    assert [_strip(r) for r in res] == [_strip(r) for r in ref]
    assert all(r["timing"]["resumes"] == 1 for r in res) and not ckpts[0].exists()



@pytest.mark.parametrize("model", ["lstm", "torch-rnn"])
def test_other_models_train_through_the_same_loop_and_ensembles(tmp_path, model):
    cfgs = [_tiny("copy", model=model, init=i, lr=lr) for i, lr in [("chain", 1e-3), ("orthogonal", 3e-4)]]
    alone = [training.train(c, str(tmp_path / "alone"), progress=False) for c in cfgs]
    together = training.train_ensemble(cfgs, str(tmp_path / "together"), progress=False)
    for a, b in zip(alone, together):
        assert a["name"].startswith(f"copy_{model}_") and a["status"] == "completed"
        assert a["model"]["name"] == model and b["timing"]["ensemble_size"] == 2
        assert a["history"] == b["history"]  # one model at a time on the same batches: bitwise the run alone
        assert a["final_val_loss"] < a["history"]["val_loss"][0] or a["history"]["train_loss"][-1] < 2.3
        m = training.load_model(b)
        assert type(m).__name__ == ("LSTM" if model == "lstm" else "TorchRNN")
    nl = {"lstm": None, "torch-rnn": "tanh"}[model]
    assert alone[0]["model"]["nonlinearity"] == nl


def test_vanilla_results_keep_their_earlier_form(tmp_path):
    res = training.train(_tiny("addition", max_updates=20, eval_every=10), str(tmp_path), progress=False)
    assert set(res["model"]) == {"hidden_size", "nonlinearity", "readout"}  # no "name" for the vanilla RNN
    assert res["name"] == "addition_chain_1.0_0.0001_1" and "ensemble_size" not in res["timing"]

"""Result files, trained weights, checkpoints and their migration (nnrnn_edu.training.records)."""

import json
import os
import pathlib
import shutil
import stat

import pytest
import torch

from nnrnn_edu import training
from nnrnn_edu.training import identity
from nnrnn_edu.training import records
from nnrnn_edu.training import summary
from nnrnn_edu.training import sweep
from nnrnn_edu.training import trainees


def test_trained_weights_are_saved_and_reload(tmp_path):
    cfg = training.preset("addition", quick=True, hidden_size=8, max_updates=20, eval_every=10, val_size=32,
                       init="orthogonal", init_scale=1.0, lr=1e-3)
    res = training.train(cfg, str(tmp_path), progress=False)
    assert res["weights_file"] == res["name"] + records.WEIGHTS_SUFFIX
    final = training.load_model(res, "final")
    initial = training.load_model(res, "initial")
    assert final.recurrent_matrix().shape == (8, 8)
    assert not torch.equal(final.recurrent_matrix(), initial.recurrent_matrix())  # training moved W
    (loaded,) = summary.load_results(str(tmp_path))
    assert torch.equal(training.load_model(loaded).recurrent_matrix(), final.recurrent_matrix())
    again = training.train(cfg, str(tmp_path), progress=False)  # finished: read back, not retrained
    assert torch.equal(training.load_model(again).recurrent_matrix(), final.recurrent_matrix())
    with pytest.raises(ValueError, match="which"):
        training.load_model(res, "best")
    res_no = dict(res, weights_file=None)
    with pytest.raises(ValueError, match="no trained weights"):
        training.load_model(res_no)


def test_sweep_members_save_their_own_weights(tmp_path):
    g = sweep.grid("addition", quick=True, inits=["chain", "identity"], lrs=[1e-3],
                   hidden_size=8, max_updates=20, eval_every=10, val_size=32)
    results = sweep.run_sweep(g, str(tmp_path), progress=False)
    assert len(results) == 2
    for r in summary.load_results(str(tmp_path)):
        alone = training.train(training.TrainConfig(**r["config"]), str(tmp_path / "alone"), progress=False)
        w_ens = training.load_model(r).recurrent_matrix()
        w_alone = training.load_model(alone).recurrent_matrix()
        assert torch.allclose(w_ens, w_alone, rtol=1e-4, atol=1e-6)



def _old_form(res):
    """A result as the library wrote it before models had names (no config["model"])."""
    old = {k: v for k, v in res.items() if k != "path"}
    old["config"] = {k: v for k, v in old["config"].items() if k != "model"}
    return old


def test_results_of_earlier_versions_stay_finished_and_load(tmp_path):
    cfg = training.preset("addition", quick=True, hidden_size=8, max_updates=20, eval_every=10, val_size=32)
    res = training.train(cfg, str(tmp_path), progress=False)
    training.write_json_atomic(res["path"], _old_form(res))
    assert training.is_finished(res["path"], cfg)
    again = training.train(cfg, str(tmp_path), progress=False)  # not retrained
    assert again["history"] == res["history"] and "model" not in again["config"]
    assert torch.equal(training.load_model(again).recurrent_matrix(), training.load_model(res).recurrent_matrix())
    assert not training.is_finished(res["path"], cfg.replace(model="lstm"))


def test_single_run_checkpoint_of_earlier_version_resumes(tmp_path, interrupted):
    cfg = training.preset("copy", quick=True, seq_len=30, hidden_size=12, max_updates=40, eval_every=10,
                          val_size=32, eval_batch_size=16, lr=1e-3, threads=1)
    ref = training.train(cfg, str(tmp_path / "ref"), progress=False)
    interrupted(trainees.SingleModel, 3, [cfg], tmp_path / "run")
    path = pathlib.Path(records.result_path(str(tmp_path / "run"), cfg)).parent / "checkpoints" / (cfg.run_name() + ".pt")
    new = torch.load(path, weights_only=False)
    assert new["schema"] == records.CHECKPOINT_SCHEMA and new["update"] == 20
    # rewrite it in the single-run schema of earlier versions (no schema, config without "model")
    old_cfg = {k: v for k, v in cfg.to_dict().items() if k != "model"}
    torch.save({"config": old_cfg, "model": new["model"], "optimizer": new["optimizer"],
                "data_generator": new["data_generator"], "state": new["states"][cfg.run_name()]}, path)
    migrated = records.load_checkpoint(str(path), "cpu")
    assert {k: migrated[k] for k in ("schema", "configs", "active", "ensemble_size", "update")} == {
        "schema": records.CHECKPOINT_SCHEMA, "configs": [cfg.to_dict()], "active": [cfg.run_name()],
        "ensemble_size": 1, "update": 20}
    res = training.train(cfg, str(tmp_path / "run"), progress=False)
    assert res["timing"]["resumes"] == 1 and not path.exists()
    strip = ("timing", "provenance", "path")
    assert {k: v for k, v in res.items() if k not in strip} == {k: v for k, v in ref.items() if k not in strip}


TINY_A = dict(seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, max_updates=40,
              eval_every=10, lr=1e-3)


def test_results_of_the_flat_layout_are_adopted_not_retrained(tmp_path):
    cfg = training.preset("addition", quick=True, **TINY_A)
    res = training.train(cfg, str(tmp_path / "new"), progress=False)
    # lay it out as earlier versions did: <out>/<run_name>.json next to its weights
    flat = tmp_path / "old"
    flat.mkdir()
    old = {k: v for k, v in res.items() if k not in ("path", "protocol")}
    old["config"] = {k: v for k, v in old["config"].items() if k != "model"}
    (flat / (cfg.run_name() + ".json")).write_text(json.dumps(old))
    shutil.copy(records.weights_path(res["path"]), flat / old["weights_file"])
    adopted = training.train(cfg, str(flat), progress=False)
    assert adopted["history"] == res["history"] and adopted["timing"] == res["timing"]  # moved, not retrained
    assert pathlib.Path(adopted["path"]).parent.name == res["protocol"]["id"]
    assert not (flat / (cfg.run_name() + ".json")).exists()
    assert torch.equal(training.load_model(adopted).recurrent_matrix(), training.load_model(res).recurrent_matrix())


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign object"])
def test_a_corrupt_checkpoint_is_set_aside_and_the_run_restarts(tmp_path, interrupted, damage):
    cfg = training.preset("addition", quick=True, **TINY_A)
    ref = training.train(cfg, str(tmp_path / "ref"), progress=False)
    interrupted(trainees.SingleModel, 2, [cfg], tmp_path / "run")
    ckpt = pathlib.Path(records.result_path(str(tmp_path / "run"), cfg)).parent / "checkpoints" / (cfg.run_name() + ".pt")
    marker = tmp_path / "pwned"
    if damage == "truncate":
        ckpt.write_bytes(ckpt.read_bytes()[:300])
    elif damage == "garbage":
        ckpt.write_bytes(b"\x00garbage" * 100)
    else:  # a pickle that would run code when loaded with weights_only=False
        torch.save({"configs": _Evil(str(marker))}, ckpt)
    with pytest.warns(RuntimeWarning, match=f"checkpoint {ckpt} is unreadable"):
        res = training.train(cfg, str(tmp_path / "run"), progress=False)
    assert not marker.exists()  # nothing was executed
    assert len(list(ckpt.parent.glob(ckpt.name + ".corrupt-*"))) == 1 and not ckpt.exists()
    assert res["status"] == "completed" and res["timing"]["resumes"] == 0
    assert res["history"] == ref["history"]  # from scratch, to the same numbers


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_second_process_skips_runs_another_is_training(tmp_path):
    cfgs = [training.preset("addition", quick=True, init=i, **TINY_A) for i in ("chain", "identity")]
    path = records.result_path(str(tmp_path), identity.resolve(cfgs[0]))
    fd = records.lock_run(path)  # another "process" (another open file description) holds run 0
    try:
        assert records.lock_run(path) is None
        with pytest.raises(ValueError, match="being trained by another process"):
            training.train(cfgs[0], str(tmp_path), progress=False)
        res = training.train_ensemble(cfgs, str(tmp_path), progress=False)
        assert res[0]["status"] == "running" and res[1]["status"] == "completed"
        assert not os.path.exists(path)  # nothing was written for the locked run
        table = summary.summarize(res)["addition"]["models"]  # what `sweep` prints: the locked run as running
        assert table["chain"]["n_running"] == 1 and table["identity"]["n_runs"] == 1
    finally:
        records.unlock_run(fd)
    done = training.train_ensemble(cfgs, str(tmp_path), progress=False)
    assert [r["status"] for r in done] == ["completed", "completed"]
    assert done[1]["history"] == res[1]["history"]  # the finished run was not rewritten


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_result_files_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        res = training.train(training.preset("addition", quick=True, **dict(TINY_A, max_updates=10)), str(tmp_path),
                             progress=False)
    finally:
        os.umask(old)
    for p in (res["path"], records.weights_path(res["path"])):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~umask

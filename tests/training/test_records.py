"""Result files, trained weights, checkpoints and their migration (nnrnn_edu.training.records)."""

import pytest
import torch

from nnrnn_edu import training
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


def test_single_run_checkpoint_of_earlier_version_resumes(tmp_path, monkeypatch):
    cfg = training.preset("copy", quick=True, seq_len=30, hidden_size=12, max_updates=40, eval_every=10,
                          val_size=32, eval_batch_size=16, lr=1e-3, threads=1)
    ref = training.train(cfg, str(tmp_path / "ref"), progress=False)
    calls = {"n": 0}
    real = trainees.SingleModel.evaluate

    def flaky(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(trainees.SingleModel, "evaluate", flaky)
    with pytest.raises(KeyboardInterrupt):
        training.train(cfg, str(tmp_path / "run"), progress=False)
    monkeypatch.setattr(trainees.SingleModel, "evaluate", real)
    path = tmp_path / "run" / "checkpoints" / (cfg.run_name() + ".pt")
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

"""TrainConfig and the paper's protocol per task (nnrnn_edu.training.config)."""

import pytest

from nnrnn_edu import training


def test_paper_protocol_defaults():
    cfg = training.preset("copy", quick=False)
    assert (cfg.rho, cfg.eps, cfg.clip_norm, cfg.batch_size) == (0.9, 1e-7, 10.0, 16)
    assert cfg.early_stop_loss == 0.0025 and cfg.max_epochs == 100 and cfg.val_size == 10_000
    q = training.preset("psmnist", quick=True, lr=3e-4)
    assert q.data_source == "digits" and q.lr == 3e-4 and q.max_updates is not None


def test_tiers_share_the_protocol_and_differ_in_budget(monkeypatch):
    for task in ("copy", "addition", "psmnist"):
        full, cpu = training.preset(task, tier="full"), training.preset(task, tier="cpu")
        assert full == training.preset(task, quick=False)
        assert training.preset(task, tier="quick") == training.preset(task, quick=True)
        same = ("seq_len", "hidden_size", "batch_size", "train_set", "rho", "eps", "clip_norm", "epoch_size", "data_source")
        assert all(getattr(full, f) == getattr(cpu, f) for f in same)
        assert cpu.max_updates == 20_000 and full.max_updates is None and full.max_epochs == 100
    assert training.preset("copy", tier="cpu").val_size == 2_000 and training.preset("copy", tier="cpu").train_set == "fixed"
    monkeypatch.delenv("NNRNN_EDU_QUICK", raising=False)
    monkeypatch.setenv("NNRNN_EDU_TIER", "cpu")
    assert training.preset("copy") == training.preset("copy", tier="cpu")
    with pytest.raises(ValueError, match="tier"):
        training.preset("copy", tier="huge")
    with pytest.raises(ValueError, match="disagree"):
        training.preset("copy", quick=True, tier="cpu")


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
        training.train(training.TrainConfig(**changes), str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="task"):
        training.preset("mnist")



def test_model_field_names_runs_and_is_validated():
    cfg = training.preset("copy", quick=True)
    assert cfg.model == "vanilla" and cfg.run_name() == "copy_chain_1.0_0.0001_1"
    assert cfg.replace(model="lstm").run_name() == "copy_lstm_chain_1.0_0.0001_1"
    with pytest.raises(ValueError, match="model"):
        training.check_config(cfg.replace(model="gru"))
    with pytest.raises(ValueError, match="nonlinearity"):
        training.check_config(cfg.replace(model="lstm", nonlinearity="tanh"))
    with pytest.raises(ValueError, match="nonlinearity"):
        training.check_config(cfg.replace(model="torch-rnn", nonlinearity="elu"))
    assert training.check_config(cfg.replace(model="torch-rnn", nonlinearity="relu")).nonlinearity == "relu"


def test_from_dict_migrates_and_rejects_unknown_fields():
    cfg = training.preset("addition", quick=True)
    d = cfg.to_dict()
    assert training.TrainConfig.from_dict(d) == cfg
    del d["model"]
    assert training.TrainConfig.from_dict(d) == cfg  # written before models had names: vanilla
    with pytest.raises(ValueError, match="know"):
        training.TrainConfig.from_dict({**d, "colour": "red"})
    with pytest.raises(ValueError, match="mapping"):
        training.TrainConfig.from_dict(["task"])

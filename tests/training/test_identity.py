"""A run's identity, its protocol and its directory (nnrnn_edu.training.identity), and data-set resolution."""

import json

import pytest

from nnrnn_edu import data, training
from nnrnn_edu.training import identity, records

TINY = dict(seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, max_updates=20, eval_every=10)


def test_identity_spells_out_defaults_and_ignores_what_does_not_change_numbers():
    cfg = training.preset("copy", quick=False)
    spelled = cfg.replace(seq_len=500, hidden_size=100, nonlinearity="elu", epoch_size=60_000)
    assert identity.run_key(cfg) == identity.run_key(spelled)
    assert identity.run_key(cfg) == identity.run_key(cfg.replace(device="cpu", threads=2))
    for change in (dict(seq_len=600), dict(max_updates=10), dict(eval_every=7), dict(batch_size=8),
                   dict(lr=1e-3), dict(seed=2), dict(model="lstm"), dict(val_size=5), dict(engine="naive")):
        assert identity.run_key(cfg.replace(**change)) != identity.run_key(cfg), change
    # the grid's axes change the run, not the protocol; everything else changes the protocol
    assert identity.protocol_id(cfg.replace(lr=1e-3, seed=4, init="identity")) == identity.protocol_id(cfg)
    assert identity.protocol_id(cfg.replace(seq_len=600)) != identity.protocol_id(cfg)
    assert identity.protocol_id(cfg).startswith("copy-vanilla-T500-")


def test_psmnist_identity_names_the_data_set_and_the_permutation_rule():
    ps = training.preset("psmnist", quick=False)
    with pytest.raises(ValueError, match="resolve"):
        identity.run_key(ps)  # "auto" is not a data set
    digits, mnist = ps.replace(data_source="digits"), ps.replace(data_source="mnist")
    assert identity.protocol_id(digits).startswith("psmnist-vanilla-psDigits-")
    assert identity.protocol_id(mnist).startswith("psmnist-vanilla-psMNIST-")
    assert identity.identity(digits)["seq_len"] == 64 and identity.identity(mnist)["seq_len"] == 784
    # the permutation follows the seed (the sweeps, the authors): one protocol for all seeds
    per_seed = [mnist.replace(seed=s, permutation_seed=s) for s in (1, 2, 3)]
    assert len({identity.protocol_id(c) for c in per_seed}) == 1
    assert len({identity.run_key(c) for c in per_seed}) == 3
    assert identity.protocol_id(mnist.replace(seed=2, permutation_seed=7)) != identity.protocol_id(per_seed[0])


def test_auto_resolves_to_the_data_set_actually_available(monkeypatch):
    monkeypatch.setenv("NNRNN_EDU_QUICK", "1")
    assert data.resolve_source("auto") == "digits"
    monkeypatch.setenv("NNRNN_EDU_QUICK", "0")

    def missing(name, root=None, download=True):
        raise data.DataUnavailableError("offline")

    monkeypatch.setattr(data, "mnist_path", missing)
    monkeypatch.setattr(data, "fashion_path", missing)
    with pytest.warns(RuntimeWarning, match="psDigits"):
        assert data.resolve_source("auto") == "digits"
    assert data.resolve_source("mnist") == "mnist"
    monkeypatch.setattr(data, "fashion_path", lambda name, root=None: "/usr/share/datasets/fashion-mnist/" + name)
    assert data.resolve_source("auto") == "fashion"  # MNIST > Fashion-MNIST > psDigits
    monkeypatch.setattr(data, "mnist_path", lambda name, root=None, download=True: "/cached/" + name)
    assert data.resolve_source("auto") == "mnist"
    cfgs = identity.resolve_all([training.preset("psmnist", quick=False), training.preset("copy", quick=False)])
    assert [c.data_source for c in cfgs] == ["mnist", "auto"]
    with pytest.raises(ValueError, match="source"):
        data.resolve_source("emnist")


def test_a_psdigits_fallback_is_not_finished_once_mnist_is_available(tmp_path):
    cfg = training.preset("psmnist", quick=True, hidden_size=8, max_updates=10, eval_every=10)
    res = training.train(cfg, str(tmp_path), progress=False)  # quick: psDigits
    assert res["dataset"]["name"] == "psDigits"
    # the same file, as an earlier version wrote it with data_source "auto" after an offline fallback
    old = {k: v for k, v in res.items() if k not in ("path", "protocol")}
    old["config"] = dict(old["config"], data_source="auto")
    records.write_json_atomic(res["path"], old)
    assert records.is_finished(res["path"], cfg.replace(data_source="digits"))
    assert not records.is_finished(res["path"], cfg.replace(data_source="mnist"))


def test_changing_a_setting_never_overwrites_another_protocols_result(tmp_path):
    cfg = training.preset("addition", quick=True, **TINY)
    first = training.train(cfg, str(tmp_path), progress=False)
    again = training.train(cfg.replace(threads=2, device="cpu"), str(tmp_path), progress=False)
    assert again["path"] == first["path"] and again["history"] == first["history"]  # not retrained
    for change in (dict(max_updates=30), dict(seq_len=40), dict(eval_every=5)):
        other = training.train(cfg.replace(**change), str(tmp_path), progress=False)
        assert other["path"] != first["path"] and other["name"] == first["name"]
    assert json.loads(open(first["path"]).read())["history"] == first["history"]  # untouched
    assert len(list(tmp_path.glob("*/addition_chain_1.0_0.0001_1.json"))) == 4

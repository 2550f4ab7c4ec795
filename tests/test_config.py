"""Run-time configuration (nnrnn_edu.config): tiers and quick mode, devices, seeds, directories (chapter presets: tests/chapters)."""

import pytest

from nnrnn_edu import config


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("ON", True), ("0", False), ("", False), ("no", False)])
def test_quick_mode_values(monkeypatch, raw, expected):
    monkeypatch.setenv(config.QUICK_ENV_VAR, raw)
    assert config.quick_mode() is expected


def test_quick_mode_unset_and_typo(monkeypatch):
    monkeypatch.delenv(config.QUICK_ENV_VAR, raising=False)
    monkeypatch.delenv(config.TIER_ENV_VAR, raising=False)
    assert config.quick_mode() is False
    monkeypatch.setenv(config.QUICK_ENV_VAR, "ture")
    with pytest.raises(ValueError, match="NNRNN_EDU_QUICK"):
        config.quick_mode()


def test_tier_from_the_environment(monkeypatch):
    monkeypatch.delenv(config.QUICK_ENV_VAR, raising=False)
    monkeypatch.delenv(config.TIER_ENV_VAR, raising=False)
    assert config.tier() == config.DEFAULT_TIER == "cpu"
    for t in config.TIERS:
        monkeypatch.setenv(config.TIER_ENV_VAR, t)
        assert config.tier() == t and config.quick_mode() is (t == "quick")
    monkeypatch.setenv(config.TIER_ENV_VAR, "Full ")
    assert config.tier() == "full"
    monkeypatch.setenv(config.TIER_ENV_VAR, "gpu")
    with pytest.raises(ValueError, match="NNRNN_EDU_TIER"):
        config.tier()
    monkeypatch.setenv(config.TIER_ENV_VAR, "quick")
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")
    assert config.tier() == "quick"
    monkeypatch.setenv(config.TIER_ENV_VAR, "full")  # contradicts NNRNN_EDU_QUICK=1
    with pytest.raises(ValueError, match="unset one"):
        config.tier()
    monkeypatch.delenv(config.TIER_ENV_VAR)
    monkeypatch.setenv(config.QUICK_ENV_VAR, "0")
    assert config.tier() == "cpu"
    with pytest.raises(ValueError, match="tier"):
        config.check_tier("medium")


def test_environment_report_mentions_everything(monkeypatch):
    monkeypatch.delenv(config.TIER_ENV_VAR, raising=False)
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")
    text = config.environment_report()
    assert "torch" in text and "numpy" in text and "device: cpu" in text and "quick tier: a smoke run" in text
    monkeypatch.setenv(config.QUICK_ENV_VAR, "0")
    assert "cpu tier: the paper's task lengths" in config.environment_report()
    monkeypatch.setenv(config.TIER_ENV_VAR, "full")
    assert "full tier" in config.environment_report()


def test_devices_and_seeds():
    assert config.resolve_device("auto") in ("cpu", "cuda")
    assert config.resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device"):
        config.resolve_device("tpu")
    a = config.seed_everything(3).standard_normal(3)
    b = config.seed_everything(3).standard_normal(3)
    assert (a == b).all()
    with pytest.raises(ValueError, match="seed"):
        config.seed_everything(-1)


def test_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_DIR_ENV_VAR, str(tmp_path))
    assert config.data_dir() == str(tmp_path)


def test_results_dir(monkeypatch, tmp_path):
    import os

    monkeypatch.delenv("NNRNN_EDU_RESULTS", raising=False)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(config.__file__)))
    assert config.results_dir() == os.path.join(repo, "results")  # a source checkout
    monkeypatch.setenv("NNRNN_EDU_RESULTS", str(tmp_path / "r"))
    assert config.results_dir() == str(tmp_path / "r")

"""Run-time configuration (nnrnn_edu.config): quick mode, devices, seeds, directories (chapter presets: tests/chapters)."""

import pytest

from nnrnn_edu import config


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("ON", True), ("0", False), ("", False), ("no", False)])
def test_quick_mode_values(monkeypatch, raw, expected):
    monkeypatch.setenv(config.QUICK_ENV_VAR, raw)
    assert config.quick_mode() is expected


def test_quick_mode_unset_and_typo(monkeypatch):
    monkeypatch.delenv(config.QUICK_ENV_VAR, raising=False)
    assert config.quick_mode() is False
    monkeypatch.setenv(config.QUICK_ENV_VAR, "ture")
    with pytest.raises(ValueError, match="NNRNN_EDU_QUICK"):
        config.quick_mode()


def test_environment_report_mentions_everything(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")
    text = config.environment_report()
    assert "torch" in text and "numpy" in text and "device: cpu" in text and "quick mode: ON" in text
    monkeypatch.setenv(config.QUICK_ENV_VAR, "0")
    assert "full-scale" in config.environment_report()


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

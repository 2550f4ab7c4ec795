"""Shared helpers of the training tests."""

import pytest

from nnrnn_edu import training


@pytest.fixture
def interrupted(monkeypatch):
    """``interrupted(trainee_class, at_evaluation, configs, out_dir)``: train ``configs`` (one run, or an
    ensemble) and interrupt it (KeyboardInterrupt) at its ``at_evaluation``-th validation, as Ctrl-C
    would; the checkpoint of the evaluation before stays."""
    return lambda *args: _interrupted(monkeypatch, *args)


def _interrupted(monkeypatch, trainee_class, at_evaluation, configs, out_dir):
    real = trainee_class.evaluate
    calls = {"n": 0}

    def flaky(*args, **kw):
        calls["n"] += 1
        if calls["n"] == at_evaluation:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(trainee_class, "evaluate", flaky)
    try:
        with pytest.raises(KeyboardInterrupt):
            if len(configs) == 1:
                training.train(configs[0], str(out_dir), progress=False)
            else:
                training.train_ensemble(configs, str(out_dir), progress=False)
    finally:
        monkeypatch.setattr(trainee_class, "evaluate", real)

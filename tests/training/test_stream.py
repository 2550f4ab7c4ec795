"""A run's data: the training stream, the fixed training set, the schedule (nnrnn_edu.training.stream)."""

import pytest
import torch

from nnrnn_edu import training
from nnrnn_edu.training import identity, trainees
from nnrnn_edu.training.stream import RunData, schedule

TINY = dict(seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, max_updates=40,
            eval_every=10, lr=1e-3)


def _key(x, y):
    return (x.numpy().tobytes(), y.numpy().tobytes())


@pytest.mark.parametrize("task", ["copy", "addition"])
def test_fixed_training_set_is_one_set_visited_in_a_new_order_every_epoch(task):
    cfg = training.preset(task, quick=True, train_set="fixed", epoch_size=32, seq_len=30, batch_size=8)
    data = RunData(cfg, "cpu")
    assert schedule(cfg, data)[0] == 4  # 32 sequences, batches of 8
    epochs = []
    for e in range(3):
        batches = [data.batch(4 * e + i) for i in range(4)]
        seqs = [_key(x[b:b + 1], y[b:b + 1]) for x, y in batches for b in range(8)]
        epochs.append(seqs)
    assert len(set(epochs[0])) == 32 and set(epochs[0]) == set(epochs[1]) == set(epochs[2])  # the same set
    assert epochs[0] != epochs[1] != epochs[2]  # in a new order each time
    assert set(epochs[0]) == {_key(*data.fixed_sequence(j)) for j in range(32)}
    again = RunData(cfg, "cpu")  # any update's batch without replaying the ones before: resumable anywhere
    assert all(torch.equal(a, b) for a, b in zip(again.batch(9), data.batch(9)))
    stream = RunData(cfg.replace(train_set="stream"), "cpu")
    assert _key(*stream.batch(0)) != _key(*data.batch(0))


def test_train_set_is_part_of_the_run_and_validated(tmp_path, interrupted):
    cfg = training.preset("addition", quick=True, train_set="fixed", epoch_size=64, **TINY)
    assert identity.run_key(cfg) != identity.run_key(cfg.replace(train_set="stream"))
    with pytest.raises(ValueError, match="train_set"):
        training.check_config(cfg.replace(train_set="online"))
    ref = training.train(cfg, str(tmp_path / "ref"), progress=False)
    assert ref["status"] == "completed" and ref["config"]["train_set"] == "fixed"
    interrupted(trainees.SingleModel, 2, [cfg], tmp_path / "run")
    res = training.train(cfg, str(tmp_path / "run"), progress=False)
    assert res["timing"]["resumes"] == 1 and res["history"] == ref["history"]

"""Task layouts, generators, validation sets, losses and baselines (nnrnn_edu.tasks)."""

import math

import pytest
import torch

from nnrnn_edu import tasks


def test_copy_layout():
    T = 40
    x, y = tasks.copy_task(5, T, generator=0)
    assert x.shape == (5, T, 10) and x.dtype == torch.float32
    assert y.shape == (5, T) and y.dtype == torch.long
    assert torch.all(x.sum(-1) == 1)  # one-hot
    sym = x.argmax(-1)
    assert torch.all((sym[:, :10] >= 1) & (sym[:, :10] <= 8))
    assert torch.all(sym[:, 10 : T - 11] == 0)
    assert torch.all(sym[:, T - 11] == 9)
    assert torch.all(sym[:, T - 10 :] == 0)
    assert torch.all(y[:, : T - 10] == 0)
    assert torch.equal(y[:, T - 10 :], sym[:, :10])


def test_copy_minimal_length_and_symbols_cover_1_to_8():
    x, y = tasks.copy_task(200, 21, generator=1)
    sym = x.argmax(-1)
    assert torch.all(sym[:, 10] == 9)
    assert set(sym[:, :10].unique().tolist()) == set(range(1, 9))


def test_generators_reproducible_and_independent():
    a = tasks.copy_task(3, 30, generator=7)
    b = tasks.copy_task(3, 30, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    g = torch.Generator().manual_seed(7)
    first = tasks.addition_task(4, 20, g)
    second = tasks.addition_task(4, 20, g)
    assert not torch.equal(first[0], second[0])


def test_addition_layout():
    T = 31
    x, y = tasks.addition_task(64, T, generator=3)
    assert x.shape == (64, T, 2) and y.shape == (64,)
    mask, sig = x[..., 0], x[..., 1]
    assert torch.all(mask.sum(1) == 2)
    half = T // 2
    assert torch.all(mask[:, :half].sum(1) == 1) and torch.all(mask[:, half:].sum(1) == 1)
    assert torch.all((sig >= 0) & (sig < 1))
    assert torch.allclose((mask * sig).sum(1), y)


def test_validation_set_fixed_and_own_seed():
    v1 = tasks.validation_set("addition", 8, 20)
    v2 = tasks.validation_set("addition", 8, 20)
    assert torch.equal(v1[0], v2[0])
    v3 = tasks.validation_set("addition", 8, 20, seed=1)
    assert not torch.equal(v1[0], v3[0])


# --------------------------------------------------------------------------- baselines


def test_baselines_values():
    assert tasks.baseline_loss("copy", 500) == pytest.approx(10 * math.log(8) / 500)
    assert tasks.baseline_loss("copy") == pytest.approx(0.041589, rel=1e-4)
    assert tasks.baseline_loss("addition", 750) == pytest.approx(1 / 6)
    assert tasks.baseline_loss("psmnist", 784) == pytest.approx(math.log(10))
    assert tasks.success_threshold("copy", 500) == pytest.approx(0.0207944, rel=1e-4)


def test_copy_baseline_is_memoryless_optimum():
    """Blank with certainty, uniform over 1..8 in the last 10 steps: exactly 10 ln 8 / T."""
    T = 60
    x, y = tasks.copy_task(16, T, generator=0)
    logits = torch.full((16, T, 9), -1e4)
    logits[:, : T - 10, 0] = 0.0
    logits[:, T - 10 :, 1:] = 0.0
    loss = tasks.task_loss("copy", logits, y)
    assert loss.item() == pytest.approx(tasks.baseline_loss("copy", T), rel=1e-5)


def test_addition_baseline_is_constant_one_mse():
    x, y = tasks.addition_task(40000, 10, generator=0)
    loss = tasks.task_loss("addition", torch.ones(40000, 1), y)
    assert loss.item() == pytest.approx(1 / 6, rel=0.02)


def test_task_loss_ensemble_axis():
    x, y = tasks.copy_task(3, 25, generator=0)
    logits = torch.randn(4, 3, 25, 9)
    per = tasks.task_loss("copy", logits, y)
    assert per.shape == (4,)
    assert per[2].item() == pytest.approx(tasks.task_loss("copy", logits[2], y).item(), rel=1e-6)
    _, ya = tasks.addition_task(3, 10, generator=0)
    out = torch.randn(4, 3, 1)
    per = tasks.task_loss("addition", out, ya)
    assert per.shape == (4,)
    assert per[1].item() == pytest.approx(tasks.task_loss("addition", out[1], ya).item(), rel=1e-6)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: tasks.copy_task(0, 30), "batch_size"),
        (lambda: tasks.copy_task(2, 20), "seq_len"),
        (lambda: tasks.addition_task(2, 1.5), "seq_len"),
        (lambda: tasks.copy_task(2, 30, generator=-1), "generator"),
        (lambda: tasks.baseline_loss("mnist"), "task"),
        (lambda: tasks.baseline_loss("copy", 0), "seq_len"),
        (lambda: tasks.validation_set("copy", 0), "size"),
        (lambda: tasks.sample_batch("psmnist", 2), "task"),
    ],
)
def test_bad_inputs_name_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()

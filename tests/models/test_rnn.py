"""VanillaRNN: engines, initialisers, chain direction, bad inputs (nnrnn_edu.models.rnn)."""

import numpy as np
import pytest
import torch

from nnrnn_edu import connectivity
from nnrnn_edu import tasks
from nnrnn_edu.models import EnsembleRNN, VanillaRNN, ensemble_recurrence, rnn_recurrence
from nnrnn_edu.training.optim import clip_grad_norm_per_model_


F64 = torch.float64


@pytest.mark.parametrize("readout, task", [("all", "copy"), ("last", "addition")])
def test_module_engines_agree(readout, task):
    T = 25
    x, y = tasks.sample_batch(task, 3, T, generator=0)
    d, out = x.shape[-1], (9 if task == "copy" else 1)
    kw = dict(nonlinearity="elu", init="orthogonal", init_scale=1.0, readout=readout, seed=4, dtype=F64)
    fast = VanillaRNN(d, 12, out, engine="fast", **kw)
    slow = VanillaRNN(d, 12, out, engine="naive", **kw)
    lf = tasks.task_loss(task, fast(x.double()), y if task == "copy" else y.double())
    ls = tasks.task_loss(task, slow(x.double()), y if task == "copy" else y.double())
    torch.testing.assert_close(lf, ls, rtol=1e-12, atol=1e-12)
    lf.backward()
    ls.backward()
    for (n, p), q in zip(fast.named_parameters(), slow.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-12, msg=n)


def test_chain_direction_pulse_reaches_last_unit():
    N = 6
    m = VanillaRNN(1, N, 1, nonlinearity="relu", init="chain", init_scale=1.0, seed=0)
    W = m.recurrent_matrix().detach().numpy()
    assert np.allclose(W, connectivity.chain(N, 1.0))
    assert W[1, 0] == 1.0 and W[0, 1] == 0.0  # sub-diagonal: unit i-1 drives unit i
    x = torch.zeros(1, N, 1)
    x[0, 0, 0] = 1.0  # unit pulse at t = 0 into the source unit
    with torch.no_grad():
        h = m.hidden_states(x)[0]  # (T, N)
    expected = 0.9 * torch.eye(N)  # V = 0.9 e_1: at step k the pulse sits on unit k
    torch.testing.assert_close(h, expected)
    assert h[N - 1, N - 1] > 0 and h[N - 1, :-1].abs().max() == 0


@pytest.mark.parametrize("kind, scale", [("chain", 1.02), ("fbchain", 0.03), ("identity", 0.96), ("orthogonal", 1.01)])
def test_init_matrices_per_kind(kind, scale):
    N, d = 40, 3
    m = VanillaRNN(d, N, 2, init=kind, init_scale=scale, seed=5, dtype=F64)
    W = m.recurrent_matrix().detach().numpy()
    V = m.input_weight.detach().numpy()
    if kind == "chain":
        np.testing.assert_array_equal(W, connectivity.chain(N, scale))
    elif kind == "fbchain":
        np.testing.assert_array_equal(W, connectivity.chain_with_feedback(N, 0.99, scale))
    elif kind == "identity":
        np.testing.assert_array_equal(W, scale * np.eye(N))
    else:
        np.testing.assert_allclose(W @ W.T, scale**2 * np.eye(N), atol=1e-12)
    if kind in ("chain", "fbchain"):
        np.testing.assert_array_equal(V, 0.9 * np.eye(N, d))
    else:
        assert abs(V.std() / (0.9 / np.sqrt(N)) - 1) < 0.3
    assert torch.all(m.bias == 0) and torch.all(m.readout.bias == 0)
    lim = np.sqrt(6 / (N + 2))
    assert m.readout.weight.abs().max() <= lim
    # same seed -> same network
    m2 = VanillaRNN(d, N, 2, init=kind, init_scale=scale, seed=5, dtype=F64)
    for p, q in zip(m.parameters(), m2.parameters()):
        assert torch.equal(p, q)


def test_large_network_input_std():
    m = VanillaRNN(10, 400, 1, init="identity", seed=0)
    assert abs(m.input_weight.std().item() / (0.9 / 20) - 1) < 0.05


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: VanillaRNN(1, 5, 1, nonlinearity="sigmoid"), "nonlinearity"),
        (lambda: VanillaRNN(1, 5, 1, init="random"), "init"),
        (lambda: VanillaRNN(1, 5, 1, readout="first"), "readout"),
        (lambda: VanillaRNN(1, 5, 1, engine="jit"), "engine"),
        (lambda: VanillaRNN(1, 0, 1), "hidden_size"),
        (lambda: VanillaRNN(0, 5, 1), "input_size"),
        (lambda: VanillaRNN(1, 5, 1, init_scale=float("nan")), "init_scale"),
        (lambda: VanillaRNN(1, 5, 1)(torch.zeros(2, 3, 2)), "x"),
        (lambda: rnn_recurrence(torch.zeros(2, 3, 1), torch.zeros(4, 3), torch.zeros(4, 1), torch.zeros(4)), "weight_hh"),
        (lambda: rnn_recurrence(torch.zeros(2, 3, 1), torch.zeros(4, 4), torch.zeros(4, 2), torch.zeros(4)), "weight_ih"),
        (lambda: rnn_recurrence(torch.zeros(2, 3, 1), torch.zeros(4, 4), torch.zeros(4, 1), torch.zeros(3)), "bias"),
        (lambda: rnn_recurrence(torch.zeros(2, 3, 1), torch.zeros(4, 4), torch.zeros(4, 1), torch.zeros(4),
                                torch.zeros(3, 4)), "h0"),
        (lambda: rnn_recurrence(torch.zeros(2, 0, 1), torch.zeros(4, 4), torch.zeros(4, 1), torch.zeros(4)), "x"),
        (lambda: ensemble_recurrence(torch.zeros(3, 2, 3, 1), torch.zeros(2, 4, 4), torch.zeros(2, 4, 1),
                                     torch.zeros(2, 4)), "x"),
        (lambda: EnsembleRNN(2, 1, 4, 1, seeds=[1, 2, 3]), "seeds"),
        (lambda: EnsembleRNN(0, 1, 4, 1), "n_models"),
        (lambda: EnsembleRNN(2, 1, 4, 1).member(2), "k"),
        (lambda: clip_grad_norm_per_model_([torch.zeros(2, requires_grad=True)], 1.0), "parameters"),
    ],
)
def test_bad_inputs_name_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("ensemble", [False, True])
def test_copy_loss_reads_class_major_logits_without_changing_values(ensemble):
    g = torch.Generator().manual_seed(4)
    K, B, T, C = 3, 5, 7, 9
    memory = torch.randn(K, C, T, B, generator=g, dtype=F64)  # the copy readout's layout
    logits = memory.permute(0, 3, 2, 1)  # (K, B, T, C) view, class axis not innermost
    targets = torch.randint(0, C, (B, T), generator=g)
    if not ensemble:
        logits = logits[0]
    assert logits.stride(-1) != 1
    got = tasks.task_loss("copy", logits, targets)
    want = tasks.task_loss("copy", logits.contiguous(), targets)  # the row-major path
    assert got.shape == want.shape == ((K,) if ensemble else ())
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


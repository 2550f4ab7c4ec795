"""VanillaRNN, the fast recurrence, ensembles (nnrnn_edu.models)."""

import importlib.util
import pathlib

import numpy as np
import pytest
import torch

from nnrnn_edu import connectivity, tasks
from nnrnn_edu.models import (
    EnsembleRNN,
    VanillaRNN,
    clip_grad_norm_per_model_,
    ensemble_recurrence,
    naive_recurrence,
    rnn_recurrence,
    tune_cpu_allocator,
)

F64 = torch.float64
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _params(N=5, d=3, B=4, K=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    lead = () if K is None else (K,)
    W = (0.6 * torch.randn(*lead, N, N, generator=g, dtype=F64)).requires_grad_()
    V = torch.randn(*lead, N, d, generator=g, dtype=F64).requires_grad_()
    b = (0.1 * torch.randn(*lead, N, generator=g, dtype=F64)).requires_grad_()
    h0 = torch.randn(*lead, B, N, generator=g, dtype=F64).requires_grad_()
    return W, V, b, h0


# --------------------------------------------------------------------------- fast == naive


@pytest.mark.parametrize("nl", ["elu", "relu", "tanh"])
@pytest.mark.parametrize("seq", [True, False])
def test_fast_gradients_match_naive_float64(nl, seq):
    B, T, d, N = 4, 9, 3, 5
    x = torch.randn(B, T, d, dtype=F64, generator=torch.Generator().manual_seed(1)).requires_grad_()
    W, V, b, h0 = _params(N, d, B)
    inputs = (x, W, V, b, h0)
    ref = naive_recurrence(x, W, V, b, h0, nl, seq)
    out = rnn_recurrence(x, W, V, b, h0, nl, seq)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    w = torch.randn_like(ref)
    g_ref = torch.autograd.grad((ref * w).sum(), inputs)
    g_out = torch.autograd.grad((out * w).sum(), inputs)
    for a, r in zip(g_out, g_ref):
        torch.testing.assert_close(a, r, rtol=1e-11, atol=1e-11)


def test_fast_time_major_and_no_h0():
    x = torch.randn(7, 3, 2, dtype=F64)  # (T, B, d)
    W, V, b, _ = _params(4, 2, 3)
    a = rnn_recurrence(x, W, V, b, time_major=True)
    r = naive_recurrence(x.transpose(0, 1), W, V, b)
    torch.testing.assert_close(a.transpose(0, 1), r)
    ga = torch.autograd.grad(a.square().sum(), (W, V, b))
    gr = torch.autograd.grad(r.square().sum(), (W, V, b))
    for u, v in zip(ga, gr):
        torch.testing.assert_close(u, v)


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


# --------------------------------------------------------------------------- initialisation


def test_chain_direction_pulse_reaches_last_unit():
    N = 6
    m = VanillaRNN(1, N, 1, nonlinearity="relu", init="chain", init_scale=1.0, seed=0)
    W = m.recurrent_weight.detach().numpy()
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
    W = m.recurrent_weight.detach().numpy()
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


# --------------------------------------------------------------------------- ensembles


@pytest.mark.parametrize("nl", ["elu", "relu", "tanh"])
@pytest.mark.parametrize("seq", [True, False])
@pytest.mark.parametrize("shared", [True, False])
def test_ensemble_recurrence_matches_separate(nl, seq, shared):
    K, B, T, d, N = 3, 2, 6, 2, 4
    g = torch.Generator().manual_seed(2)
    x = torch.randn(*(() if shared else (K,)), B, T, d, generator=g, dtype=F64).requires_grad_()
    W, V, b, h0 = _params(N, d, B, K=K)
    out = ensemble_recurrence(x, W, V, b, h0, nl, seq)  # (K, T, B, N) or (K, B, N)
    out_b = out.transpose(1, 2) if seq else out
    ref = torch.stack([naive_recurrence(x if shared else x[k], W[k], V[k], b[k], h0[k], nl, seq) for k in range(K)])
    torch.testing.assert_close(out_b, ref, rtol=1e-12, atol=1e-12)
    w = torch.randn_like(ref)
    inputs = (x, W, V, b, h0)
    for a, r in zip(torch.autograd.grad((out_b * w).sum(), inputs), torch.autograd.grad((ref * w).sum(), inputs)):
        torch.testing.assert_close(a, r, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("task", ["copy", "addition"])
def test_ensemble_module_equals_k_models(task):
    K, N, T = 4, 10, 23
    x, y = tasks.sample_batch(task, 3, T, generator=1)
    d, out = x.shape[-1], (9 if task == "copy" else 1)
    readout = "all" if task == "copy" else "last"
    nl = "elu" if task == "copy" else "relu"
    inits = ["chain", "fbchain", "identity", "orthogonal"]
    scales = [1.01, 0.05, 0.99, 1.0]
    seeds = [3, 4, 5, 6]
    ens = EnsembleRNN(K, d, N, out, nl, inits, scales, readout, seeds=seeds)
    models = [VanillaRNN(d, N, out, nl, i, s, readout, seed=sd) for i, s, sd in zip(inits, scales, seeds)]
    losses = tasks.task_loss(task, ens(x), y)
    assert losses.shape == (K,)
    losses.sum().backward()
    for k, m in enumerate(models):
        lk = tasks.task_loss(task, m(x), y)
        torch.testing.assert_close(losses[k], lk, rtol=1e-5, atol=1e-6)
        lk.backward()
        pairs = [
            (ens.weight_hh.grad[k], m.weight_hh.grad), (ens.weight_ih.grad[k], m.weight_ih.grad),
            (ens.bias.grad[k], m.bias.grad), (ens.readout_weight.grad[k], m.readout.weight.grad),
            (ens.readout_bias.grad[k], m.readout.bias.grad),
        ]
        for a, r in pairs:
            torch.testing.assert_close(a, r, rtol=1e-4, atol=1e-6)


def test_ensemble_member_and_from_models_roundtrip():
    ms = [VanillaRNN(2, 5, 3, init="orthogonal", seed=s, readout="all") for s in range(3)]
    ens = EnsembleRNN.from_models(ms)
    x = torch.randn(2, 7, 2)
    with torch.no_grad():
        y = ens(x)
        for k, m in enumerate(ms):
            torch.testing.assert_close(y[k], m(x))
            torch.testing.assert_close(ens.member(k)(x), m(x))
    assert ens.recurrent_weight.shape == (3, 5, 5)


def test_clip_per_model_matches_torch():
    ens = EnsembleRNN(3, 2, 4, 1, "relu", seeds=[0, 1, 2])
    ms = [ens.member(k) for k in range(3)]
    x, y = tasks.addition_task(5, 12, generator=0)
    (1e4 * tasks.task_loss("addition", ens(x), y)).sum().backward()
    norms = clip_grad_norm_per_model_(list(ens.parameters()), 10.0)
    for k, m in enumerate(ms):
        (1e4 * tasks.task_loss("addition", m(x), y)).backward()
        n = torch.nn.utils.clip_grad_norm_(list(m.parameters()), 10.0)
        torch.testing.assert_close(norms[k], n, rtol=1e-4, atol=0)
        torch.testing.assert_close(ens.weight_hh.grad[k], m.weight_hh.grad, rtol=1e-4, atol=1e-7)
        torch.testing.assert_close(ens.readout_weight.grad[k], m.readout.weight.grad, rtol=1e-4, atol=1e-7)


# --------------------------------------------------------------------------- bad input


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


def test_tune_cpu_allocator_idempotent():
    first = tune_cpu_allocator()
    assert isinstance(first, bool)
    assert tune_cpu_allocator() == first


# --------------------------------------------------------------------------- benchmark smoke test


def test_benchmark_quick_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_training", ROOT / "benchmarks" / "bench_training.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = bench.run(["--quick", "--rounds", "1", "--warmup", "0", "--ks", "1,2", "--json", str(tmp_path / "b.json")])
    table = bench.markdown(res)
    assert "| naive loop |" in table and "| engine |" in table and "nn.RNN(relu)" in table
    assert "QUICK" in table and (tmp_path / "b.json").exists()
    assert set(res["ensemble"]["copy"]) == {1, 2}


@pytest.mark.parametrize("seq", [True, False])
def test_ensemble_member_is_bitwise_independent_of_k(seq):
    # a sweep may rerun one member alone (resume, a lost result file): its numbers must not depend on
    # how many models shared its ensemble, so forward and every gradient must match bit for bit
    g = torch.Generator().manual_seed(0)
    K, B, T, d, N = 3, 8, 30, 2, 12
    x = torch.randn(B, T, d, generator=g)
    params = (torch.randn(K, N, N, generator=g) * 0.3, torch.randn(K, N, d, generator=g), torch.randn(K, N, generator=g))
    w = torch.randn(K, T, B, N, generator=g) if seq else torch.randn(K, B, N, generator=g)
    P = [p.clone().requires_grad_() for p in params]
    out = ensemble_recurrence(x, *P, None, "elu", seq)
    grads = torch.autograd.grad((out * w).sum(), P)
    for k in range(K):
        Pk = [p[k : k + 1].clone().requires_grad_() for p in params]
        out_k = ensemble_recurrence(x, *Pk, None, "elu", seq)
        assert torch.equal(out[k : k + 1], out_k)
        for a, c in zip(grads, torch.autograd.grad((out_k * w[k : k + 1]).sum(), Pk)):
            assert torch.equal(a[k : k + 1], c)


# --------------------------------------------------------------------------- readouts


@pytest.mark.parametrize("which", ["batched", "class_major"])
def test_readouts_match_autograd_reference(which):
    from nnrnn_edu.models import batched_linear, class_major_linear

    g = torch.Generator().manual_seed(3)
    K, M, N, out = 3, 7, 5, 4
    h, R, b = (torch.randn(*s, generator=g, dtype=F64).requires_grad_() for s in ((K, M, N), (K, out, N), (K, out)))
    ref = torch.einsum("kmn,kon->kmo", h, R) + b[:, None, :]  # (K, M, out)
    y = batched_linear(h, R, b) if which == "batched" else class_major_linear(h, R, b).transpose(1, 2)
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)
    w = torch.randn(ref.shape, generator=g, dtype=F64)
    grads = torch.autograd.grad((y * w).sum(), (h, R, b))
    for a, r in zip(grads, torch.autograd.grad((ref * w).sum(), (h, R, b))):
        torch.testing.assert_close(a, r, rtol=1e-12, atol=1e-12)
    assert grads[0].is_contiguous()  # row-major state gradient: what the recurrence's backward reads fast
    with pytest.raises(ValueError, match="h, R, b must have shapes"):
        batched_linear(h, R[:, :, :-1], b)
    with pytest.raises(ValueError, match="h, R, b must have shapes"):
        class_major_linear(h[0], R, b)


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

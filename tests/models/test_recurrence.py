"""The vanilla-RNN recurrence: hand-written BPTT against the autograd reference, ensembles (nnrnn_edu.models.recurrence)."""

import pytest
import torch

from nnrnn_edu.models import ensemble_recurrence, naive_recurrence, rnn_recurrence


F64 = torch.float64


def _params(N=5, d=3, B=4, K=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    lead = () if K is None else (K,)
    W = (0.6 * torch.randn(*lead, N, N, generator=g, dtype=F64)).requires_grad_()
    V = torch.randn(*lead, N, d, generator=g, dtype=F64).requires_grad_()
    b = (0.1 * torch.randn(*lead, N, generator=g, dtype=F64)).requires_grad_()
    h0 = torch.randn(*lead, B, N, generator=g, dtype=F64).requires_grad_()
    return W, V, b, h0


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


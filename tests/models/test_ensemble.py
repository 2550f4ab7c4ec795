"""EnsembleRNN: K stacked vanilla RNNs equal K separate ones (nnrnn_edu.models.ensemble)."""

import pytest
import torch

from nnrnn_edu import tasks
from nnrnn_edu.models import EnsembleRNN, VanillaRNN, ensemble_recurrence


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
    assert ens.recurrent_matrix().shape == (3, 5, 5)


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


"""Per-model RMSprop and per-model gradient clipping of stacked ensembles (nnrnn_edu.training.optim)."""

import pytest
import torch

from nnrnn_edu import tasks
from nnrnn_edu.models import EnsembleRNN
from nnrnn_edu.training import optim
from nnrnn_edu.training.optim import clip_grad_norm_per_model_


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rmsprop_per_model_equals_torch_step_for_step(dtype):
    """Same order of floating-point operations as torch's RMSprop: bitwise equal."""
    gen = torch.Generator().manual_seed(0)
    K, lrs = 3, [1e-3, 3e-4, 5e-5]
    P = [torch.randn(K, 5, 4, generator=gen, dtype=dtype), torch.randn(K, 7, generator=gen, dtype=dtype)]
    ens = [p.clone().requires_grad_() for p in P]
    singles = [[p[k].clone().requires_grad_() for p in P] for k in range(K)]
    opt = optim.RMSpropPerModel(ens, lrs, rho=0.9, eps=1e-7)
    ref = [torch.optim.RMSprop(s, lr=lr, alpha=0.9, eps=1e-7) for s, lr in zip(singles, lrs)]
    for step in range(15):
        G = [torch.randn(p.shape, generator=gen, dtype=dtype) * 10.0 ** (step % 3 - 1) for p in P]
        for p, g in zip(ens, G):
            p.grad = g.clone()
        for k in range(K):
            for p, g in zip(singles[k], G):
                p.grad = g[k].clone()
            ref[k].step()
        opt.step()
        for i in range(len(P)):
            for k in range(K):
                assert torch.equal(ens[i][k], singles[k][i])
    # the learning rates really are per model: model 0 moved furthest
    moved = [float((ens[0][k].detach() - P[0][k]).abs().mean()) for k in range(K)]
    assert moved[0] > moved[1] > moved[2]
    # select keeps the running averages of the chosen members
    sub = opt.select([2, 0], [p.detach()[[2, 0]].clone().requires_grad_() for p in ens])
    assert sub.lrs == [5e-5, 1e-3] and torch.equal(sub.square_avg[0][1], opt.square_avg[0][0])


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


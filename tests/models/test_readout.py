"""Readouts of stacked states with fast backward GEMMs (nnrnn_edu.models.readout)."""

import pytest
import torch

from nnrnn_edu.models import batched_linear, class_major_linear


F64 = torch.float64


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


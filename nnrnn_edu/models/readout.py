"""Linear readouts of stacked hidden states, with backward passes in the fast GEMM shapes.

``h: (K, M, N)`` holds the M = T*B (or B) hidden states of each of K models (K = 1 for a single
model), ``R: (K, out, N)`` and ``b: (K, out)`` the readout weights and biases.

- :func:`batched_linear` returns ``(K, M, out)``: the readout at the last step (addition, psMNIST).
- :func:`class_major_linear` returns ``(K, out, M)``: the copy task's readout at every step. With
  the class axis outermost, the cross-entropy's log-softmax runs along long contiguous rows;
  :func:`nnrnn_edu.tasks.task_loss` reads this layout without a copy. Over the last axis of size
  9 the same cross-entropy (forward + backward) took 38.5 ms against 5.3 ms class-major for the
  copy task's 8 x 500 x 128 logits on the 2-core development CPU.

Autograd's own backward of ``baddbmm(b, h, R^T)`` forms the weight gradient as ``h^T gy``, an
``(N, M) x (M, out)`` product with a long inner dimension and a narrow output, which runs at a
fraction of the speed of the same numbers computed as ``gy^T h`` (48 ms against 11 ms at
K = 8, M = 64000, N = 100, out = 9 on that CPU). Both functions compute it the fast way.
See chapter 3.
"""

from __future__ import annotations

import torch

from .recurrence import ensemble_recurrence


def _stack_of_two(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """Pad stacks of one model with a zero model: a batched GEMM of batch size 1 takes another MKL path
    than batch sizes >= 2 (GEMV-like shapes, e.g. the one-output readout of the addition task, round
    differently), so a model alone would not compute bitwise what it computes inside an ensemble."""
    return [torch.cat([t, torch.zeros_like(t)]) for t in tensors]


class _BatchedLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, R, b):
        ctx.save_for_backward(h, R)
        single = h.shape[0] == 1
        if single:
            h, R, b = _stack_of_two(h, R, b)
        y = torch.baddbmm(b.unsqueeze(1), h, R.transpose(1, 2))
        return y[:1] if single else y

    @staticmethod
    def backward(ctx, gy):
        h, R = ctx.saved_tensors
        single = h.shape[0] == 1
        if single:
            h, R, gy = _stack_of_two(h, R, gy)
        gh = torch.bmm(gy, R) if ctx.needs_input_grad[0] else None
        gR = torch.bmm(gy.transpose(1, 2), h) if ctx.needs_input_grad[1] else None
        gb = gy.sum(1) if ctx.needs_input_grad[2] else None
        if single:
            gh, gR, gb = (None if g is None else g[:1] for g in (gh, gR, gb))
        return gh, gR, gb


class _ClassMajorLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, R, b):
        ctx.save_for_backward(h, R)
        return torch.baddbmm(b.unsqueeze(2), R, h.transpose(1, 2))  # (K, out, M)

    @staticmethod
    def backward(ctx, gy):  # gy: (K, out, M)
        h, R = ctx.saved_tensors
        gy = gy.contiguous()
        gh = torch.bmm(gy.transpose(1, 2), R) if ctx.needs_input_grad[0] else None  # (K, M, N) row-major
        gR = torch.bmm(gy, h) if ctx.needs_input_grad[1] else None
        gb = gy.sum(2) if ctx.needs_input_grad[2] else None
        return gh, gR, gb


def _check(h: torch.Tensor, R: torch.Tensor, b: torch.Tensor) -> None:
    ok = h.dim() == 3 and R.dim() == 3 and b.dim() == 2
    ok = ok and R.shape[0] == h.shape[0] and R.shape[2] == h.shape[2] and b.shape == R.shape[:2]
    if not ok:
        raise ValueError(
            f"h, R, b must have shapes (K, M, N), (K, out, N), (K, out); got {tuple(h.shape)}, "
            f"{tuple(R.shape)}, {tuple(b.shape)}"
        )


def batched_linear(h: torch.Tensor, R: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``y[k] = h[k] R[k]^T + b[k]`` for K models at once.

    Parameters
    ----------
    h : Tensor, shape (K, M, N)
    R : Tensor, shape (K, out, N)
    b : Tensor, shape (K, out)

    Returns
    -------
    Tensor, shape (K, M, out)

    See chapter 3.
    """
    _check(h, R, b)
    return _BatchedLinear.apply(h, R, b)


def class_major_linear(h: torch.Tensor, R: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``y[k] = R[k] h[k]^T + b[k]``: the readout with the class axis before the M states.

    Parameters
    ----------
    h : Tensor, shape (K, M, N)
    R : Tensor, shape (K, out, N)
    b : Tensor, shape (K, out)

    Returns
    -------
    Tensor, shape (K, out, M)
        Contiguous. ``y.transpose(1, 2)`` is :func:`batched_linear`'s result as a view.

    See chapter 3.
    """
    _check(h, R, b)
    return _ClassMajorLinear.apply(h, R, b)


def stacked_forward(
    x: torch.Tensor,
    W: torch.Tensor,
    V: torch.Tensor,
    b: torch.Tensor,
    R: torch.Tensor,
    c: torch.Tensor,
    h0: torch.Tensor | None,
    nonlinearity: str,
    all_steps: bool,
) -> torch.Tensor:
    """Readouts of K stacked vanilla RNNs: the one forward pass of :class:`~nnrnn_edu.models.EnsembleRNN`
    and of :class:`~nnrnn_edu.models.VanillaRNN` (a stack of one), so both compute the same numbers.

    Parameters
    ----------
    x : Tensor, shape (B, T, d) shared, or (K, B, T, d)
    W, V, b : Tensor, shapes (K, N, N), (K, N, d), (K, N)
    R, c : Tensor, shapes (K, out, N), (K, out)
        Readout weights and biases.
    h0 : Tensor, shape (K, B, N), or None
    nonlinearity : str
    all_steps : bool
        Read out at every step (copy) or at the last one.

    Returns
    -------
    Tensor
        ``(K, B, T, out)`` (a view of class-major logits ``(K, out, T, B)``) or ``(K, B, out)``.
    """
    h = ensemble_recurrence(x, W, V, b, h0, nonlinearity, all_steps)
    if not all_steps:  # h: (K, B, N)
        return batched_linear(h, R, c)
    K, T, B, n = h.shape
    # the reshape copies the time-major states model-major; logits come class-major (K, out, T*B)
    y = class_major_linear(h.reshape(K, T * B, n), R, c)
    return y.view(K, -1, T, B).permute(0, 3, 2, 1)  # (K, B, T, out), a view


__all__ = ["batched_linear", "class_major_linear", "stacked_forward"]

"""The vanilla-RNN recurrence ``h_t = f(W h_{t-1} + V x_t + b)``, fast and naive.

Three implementations of the same map from inputs to hidden states:

- :func:`naive_recurrence` - the obvious autograd loop, one ``f(x_t V^T + h W^T + b)``
  per step. Slow (autograd records ~5 nodes per step) but obviously right: it is
  the reference the fast paths are tested against.
- :func:`ensemble_recurrence` - K independent models with stacked weights
  ``[K, N, N]``, hand-written backpropagation through time in a
  ``torch.autograd.Function``: per step one ``baddbmm`` for the input term and
  one for the recurrence, written into a preallocated time-major state buffer,
  and an in-place activation; the backward pass is one activation-derivative op
  (computed from the *outputs*, so nothing else is stored) and one batched
  matmul per step, with the weight-gradient terms added step by step. Inputs
  shared ``(B, T, d)`` or per model ``(K, B, T, d)``. A sweep trains K models
  for little more than the price of one on a CPU, because a single small GEMM
  per step leaves most of the machine idle.
- :func:`rnn_recurrence` - one model: the same engine on a stack of one. A model
  alone therefore computes bitwise what it computes inside an ensemble of any
  size (on one CPU thread; tested for K = 1, 2, 3, 5, 8). A dedicated
  single-model engine (one GEMM for all input terms and for each weight
  gradient) was up to ~30 % faster per iteration, but summed in another order.
Why this shape (measured on a 2-core CPU, see ``benchmarks/bench_training.py``):
indexing ``x[t]`` of a tensor that requires grad costs O(T^2) in autograd;
``torch.compile`` unrolls T steps (minutes of compile) and is no faster; a
weight gradient of the form ``(G^T x)^T`` with few input channels hits a slow
GEMM path, so it is computed as ``x^T G``. On a GPU the same code is free of
host synchronisation, so a whole training step can be captured in a CUDA graph.

Layouts: the functions take batch-first inputs ``(B, T, d)`` and return
batch-first *views* ``(B, T, N)`` of a time-major buffer unless
``time_major=True``. See chapter 3.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..nonlinearities import TRAINABLE, check_nonlinearity


def _check_nonlinearity(nonlinearity: object) -> str:
    """The canonical name of one of :data:`nnrnn_edu.nonlinearities.TRAINABLE`, or a ValueError."""
    return check_nonlinearity(nonlinearity, TRAINABLE)


def _activation(nonlinearity: str):
    return {"elu": F.elu, "relu": torch.relu, "tanh": torch.tanh}[nonlinearity]


def _activation_(nonlinearity: str):
    """In-place activation."""
    return {"elu": torch._C._nn.elu_, "relu": torch.relu_, "tanh": torch.tanh_}[nonlinearity]


def _activation_backward(nonlinearity: str):
    """``(grad_out, out_of_f, result_buffer) -> grad_in``, the derivative taken from f's output."""
    if nonlinearity == "elu":  # f' = 1 for h > 0, h + 1 otherwise
        op = torch.ops.aten.elu_backward.grad_input
        return lambda g, h, out: op(g, 1.0, 1.0, 1.0, True, h, grad_input=out)
    if nonlinearity == "relu":  # f' = [h > 0]
        op = torch.ops.aten.threshold_backward.grad_input
        return lambda g, h, out: op(g, h, 0.0, grad_input=out)
    op = torch.ops.aten.tanh_backward.grad_input  # f' = 1 - h^2
    return lambda g, h, out: op(g, h, grad_input=out)


# --------------------------------------------------------------------------- checks


def _check_single(x, W, V, b, h0, time_major):
    for name, t in (("x", x), ("weight_hh", W), ("weight_ih", V), ("bias", b)):
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, d) (or (T, B, d) with time_major), got {tuple(x.shape)}")
    if W.dim() != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"weight_hh must be square (N, N), got {tuple(W.shape)}")
    n = W.shape[0]
    d = x.shape[2]
    if V.shape != (n, d):
        raise ValueError(f"weight_ih must have shape (N, d) = ({n}, {d}), got {tuple(V.shape)}")
    if b.shape != (n,):
        raise ValueError(f"bias must have shape (N,) = ({n},), got {tuple(b.shape)}")
    B = x.shape[1] if time_major else x.shape[0]
    if h0 is not None and h0.shape != (B, n):
        raise ValueError(f"h0 must have shape (B, N) = ({B}, {n}), got {tuple(h0.shape)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must have at least one step and one sequence, got shape {tuple(x.shape)}")


# --------------------------------------------------------------------------- naive reference


def naive_recurrence(
    x: torch.Tensor,
    weight_hh: torch.Tensor,
    weight_ih: torch.Tensor,
    bias: torch.Tensor,
    h0: torch.Tensor | None = None,
    nonlinearity: str = "elu",
    return_sequence: bool = True,
) -> torch.Tensor:
    """Reference implementation: a plain autograd loop over time steps.

    Parameters
    ----------
    x : Tensor, shape (B, T, d)
        Inputs, batch first.
    weight_hh : Tensor, shape (N, N)
        Recurrent matrix W in the column convention ``h_t = f(W h_{t-1} + ...)``.
    weight_ih : Tensor, shape (N, d)
        Input matrix V.
    bias : Tensor, shape (N,)
    h0 : Tensor, shape (B, N), optional
        Initial state (zeros if None).
    nonlinearity : {"elu", "relu", "tanh"}
    return_sequence : bool
        Return all states ``(B, T, N)`` or only the last ``(B, N)``.

    Returns
    -------
    Tensor, shape (B, T, N) or (B, N)

    See chapter 3.
    """
    nonlinearity = _check_nonlinearity(nonlinearity)
    _check_single(x, weight_hh, weight_ih, bias, h0, False)
    f = _activation(nonlinearity)
    B, n = x.shape[0], weight_hh.shape[0]
    h = x.new_zeros(B, n) if h0 is None else h0
    states = []
    for xt in x.unbind(1):  # unbind, never x[:, t]: one backward node instead of T
        h = f(xt @ weight_ih.T + h @ weight_hh.T + bias)
        if return_sequence:
            states.append(h)
    return torch.stack(states, 1) if return_sequence else h


# --------------------------------------------------------------------------- single model


def rnn_recurrence(
    x: torch.Tensor,
    weight_hh: torch.Tensor,
    weight_ih: torch.Tensor,
    bias: torch.Tensor,
    h0: torch.Tensor | None = None,
    nonlinearity: str = "elu",
    return_sequence: bool = True,
    time_major: bool = False,
) -> torch.Tensor:
    """Fast recurrence with hand-written backpropagation through time.

    Same maths as :func:`naive_recurrence`; gradients agree to rounding (tested
    in float64).

    Parameters
    ----------
    x : Tensor, shape (B, T, d), or (T, B, d) if ``time_major``
        Inputs.
    weight_hh : Tensor, shape (N, N)
        Recurrent matrix W (column convention).
    weight_ih : Tensor, shape (N, d)
        Input matrix V.
    bias : Tensor, shape (N,)
    h0 : Tensor, shape (B, N), optional
        Initial state (zeros if None).
    nonlinearity : {"elu", "relu", "tanh"}
    return_sequence : bool
        All states, or only the last one (cheaper backward: no per-step gradient add).
    time_major : bool
        Inputs and returned sequence are (T, B, ...) instead of (B, T, ...).

    Returns
    -------
    Tensor
        ``(B, T, N)`` (a transposed view of the time-major buffer), ``(T, B, N)``
        if ``time_major``, or ``(B, N)`` if not ``return_sequence``.

    See chapter 3.
    """
    nonlinearity = _check_nonlinearity(nonlinearity)
    _check_single(x, weight_hh, weight_ih, bias, h0, time_major)
    xt = x if time_major else x.transpose(0, 1)
    # one engine: the ensemble's, on a stack of one model, so that a model alone computes bitwise what
    # it computes inside an ensemble of any size (on one CPU thread; tested)
    h0k = None if h0 is None else h0.unsqueeze(0)
    out = _EnsembleRecurrence.apply(
        xt.contiguous(), weight_hh.unsqueeze(0), weight_ih.unsqueeze(0), bias.unsqueeze(0), h0k, nonlinearity,
        bool(return_sequence),
    )[0]  # (T, B, N) time-major, or (B, N)
    if return_sequence and not time_major:
        return out.transpose(0, 1)
    return out


# --------------------------------------------------------------------------- ensembles


def _check_ensemble(x, W, V, b, h0):
    for name, t in (("x", x), ("weight_hh", W), ("weight_ih", V), ("bias", b)):
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if W.dim() != 3 or W.shape[1] != W.shape[2]:
        raise ValueError(f"weight_hh must have shape (K, N, N), got {tuple(W.shape)}")
    K, n = W.shape[0], W.shape[1]
    if x.dim() == 3:
        B, T, d = x.shape
    elif x.dim() == 4 and x.shape[0] == K:
        _, B, T, d = x.shape
    else:
        raise ValueError(f"x must have shape (B, T, d) (shared) or (K, B, T, d) with K={K}, got {tuple(x.shape)}")
    if T == 0 or B == 0:
        raise ValueError(f"x must have at least one step and one sequence, got shape {tuple(x.shape)}")
    if V.shape != (K, n, d):
        raise ValueError(f"weight_ih must have shape (K, N, d) = ({K}, {n}, {d}), got {tuple(V.shape)}")
    if b.shape != (K, n):
        raise ValueError(f"bias must have shape (K, N) = ({K}, {n}), got {tuple(b.shape)}")
    if h0 is not None and h0.shape != (K, B, n):
        raise ValueError(f"h0 must have shape (K, B, N) = ({K}, {B}, {n}), got {tuple(h0.shape)}")
    return K, B, T, d, n


_CHUNK = 64
"""Elementwise kernels run on chunks of 2 vectors (32 float32 on this CPU) and finish a block that is
not a whole number of chunks with scalar code, whose ``exp`` rounds differently (by an ulp); every
per-step block of states and gradients is padded to a multiple of this many elements, so that all of
it takes the vector path and a model's numbers do not depend on how many models share the block."""


def _padded_steps(like: torch.Tensor, steps: int, K: int, B: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A ``(steps, L)`` buffer, ``L = K*B*N`` rounded up to :data:`_CHUNK` with the padding zeroed, and its
    ``(steps, K, B, N)`` view of the unpadded part (each step's block contiguous)."""
    size = K * B * n
    width = -(-size // _CHUNK) * _CHUNK
    buf = like.new_empty(steps, width)
    buf[:, size:].zero_()  # finite padding: the activations leave zeros as zeros
    return buf, buf[:, :size].view(steps, K, B, n)


class _EnsembleRecurrence(torch.autograd.Function):
    """Hand-written BPTT for K stacked models.

    Time-major state buffer ``H: (T+1, K, B, N)``: the K states of one step are one contiguous
    block, so each step is a single ``baddbmm`` on contiguous operands. On the 2-core development
    CPU the forward loop at K = 32, B = 128, T = 784, N = 25 took 37 ms against 87 ms on a
    model-major buffer, whose strided per-step views take a slower batched path. The backward pass
    adds each step's weight-gradient terms as soon as that step's gradient exists, so it keeps two
    ``(K, B, N)`` gradient blocks instead of a ``(T, K, B, N)`` buffer and never copies to model-major.
    """

    @staticmethod
    def forward(ctx, x, W, V, b, h0, nonlinearity, return_sequence):
        shared = x.dim() == 3
        K, n = W.shape[0], W.shape[1]
        if shared:
            T, B, d = x.shape
            x2 = x.reshape(T * B, d)  # (TB, d), time-major rows
        else:
            _, T, B, d = x.shape
            x2 = x.reshape(K, T * B, d)
        Hbuf, H = _padded_steps(x, T + 1, K, B, n)
        if h0 is None:
            H[0].zero_()
        else:
            H[0].copy_(h0)
        act_ = _activation_(nonlinearity)
        Wt, Vt, bias = W.transpose(1, 2), V.transpose(1, 2), b.unsqueeze(1)
        xs = x.unbind(0) if shared else x.unbind(1)  # T blocks (B, d) or (K, B, d)
        Hs = H.unbind(0)  # contiguous (K, B, N) blocks
        rows = Hbuf.unbind(0)  # the same blocks with their padding: what the activation runs on
        for t in range(T):
            # the input term is written step by step, right before the recurrent GEMM reads it from
            # cache: a projection of all T steps first would stream the whole buffer through memory twice
            h = Hs[t + 1]
            xt = xs[t].expand(K, -1, -1) if shared else xs[t]
            torch.baddbmm(bias, xt, Vt, out=h)
            h.baddbmm_(Hs[t], Wt)
            act_(rows[t + 1])
        ctx.H, ctx.Hbuf, ctx.x2, ctx.W, ctx.V, ctx.shared = H, Hbuf, x2, W, V, shared
        ctx.nonlinearity, ctx.return_sequence = nonlinearity, return_sequence
        ctx.has_h0 = h0 is not None
        ctx.x_shape = x.shape
        return H[1:].transpose(0, 1) if return_sequence else H[T].clone()

    @staticmethod
    def backward(ctx, grad_out):
        H, Hbuf, x2, W, V, shared = ctx.H, ctx.Hbuf, ctx.x2, ctx.W, ctx.V, ctx.shared
        T1, K, B, n = H.shape
        T = T1 - 1
        act_bwd = _activation_backward(ctx.nonlinearity)
        # gradient w.r.t. the pre-activations of step t: only two steps are alive at once (ping-pong);
        # padded like the states, so that the activation derivative runs on whole vector chunks
        pair_buf, pair = _padded_steps(H, 2, K, B, n)
        Gs = [pair[t % 2] for t in range(T)]
        Grows = [pair_buf[t % 2] for t in range(T)]
        Hs = H.unbind(0)
        rows = Hbuf.unbind(0)
        dh_buf, dh = _padded_steps(H, 1, K, B, n)
        dh, dh_row = dh[0], dh_buf[0]
        need_x, need_W, need_V, need_b, need_h0 = ctx.needs_input_grad[:5]
        gx = gW = gV = gb = gh0 = None
        d = V.shape[2]
        gW = H.new_zeros(K, n, n) if need_W else None
        # input and bias gradients in one GEMM per step: [x_t, 1]^T G_t per model
        gVb = H.new_zeros(K, d + 1, n) if (need_V or need_b) else None
        gx2 = (H.new_empty(T, B, d) if shared else H.new_empty(K, T, B, d)) if need_x else None
        xs = x2.view(T, B, d) if shared else x2.view(K, T, B, d)
        if gVb is not None:
            ones = x2.new_ones(*xs.shape[:-1], 1)
            xs1 = torch.cat([xs, ones], -1)  # (T, B, d+1) or (K, T, B, d+1)

        def accumulate(t: int) -> None:
            # the step-t terms of the weight gradients, while G_t is hot in cache: per-model GEMMs on
            # contiguous (K, B, N) blocks, so no (T, K, B, N) gradient buffer and no model-major copy
            g = Gs[t]
            if need_W:
                gW.baddbmm_(g.transpose(1, 2), Hs[t])
            if gVb is not None:  # x^T G per model: the fast GEMM shape
                xt = xs1[t].t().expand(K, -1, -1) if shared else xs1[:, t].transpose(1, 2)
                gVb.baddbmm_(xt, g)
            if need_x:
                if shared:
                    torch.sum(torch.bmm(g, V), 0, out=gx2[t])
                else:
                    torch.bmm(g, V, out=gx2[:, t])

        if ctx.return_sequence:
            gHs = grad_out.transpose(0, 1).contiguous().unbind(0)  # (K, T, B, N) -> T blocks (K, B, N)
            dh.copy_(gHs[T - 1])
            act_bwd(dh_row, rows[T], Grows[T - 1])
            accumulate(T - 1)
            for t in range(T - 1, 0, -1):
                torch.baddbmm(gHs[t - 1], Gs[t], W, out=dh)
                act_bwd(dh_row, rows[t], Grows[t - 1])
                accumulate(t - 1)
            del gHs
        else:
            dh.copy_(grad_out)
            act_bwd(dh_row, rows[T], Grows[T - 1])
            accumulate(T - 1)
            for t in range(T - 1, 0, -1):
                torch.bmm(Gs[t], W, out=dh)
                act_bwd(dh_row, rows[t], Grows[t - 1])
                accumulate(t - 1)
        if need_V:
            gV = gVb[:, :d].transpose(1, 2)
        if need_b:
            gb = gVb[:, d].clone()
        if need_x:
            gx = gx2.view(ctx.x_shape)
        if need_h0 and ctx.has_h0:
            gh0 = torch.bmm(Gs[0], W)
        return gx, gW, gV, gb, gh0, None, None


def ensemble_recurrence(
    x: torch.Tensor,
    weight_hh: torch.Tensor,
    weight_ih: torch.Tensor,
    bias: torch.Tensor,
    h0: torch.Tensor | None = None,
    nonlinearity: str = "elu",
    return_sequence: bool = True,
) -> torch.Tensor:
    """K independent recurrences at once, with hand-written BPTT.

    Model k computes exactly what :func:`rnn_recurrence` computes with
    ``weight_hh[k], weight_ih[k], bias[k]`` (tested to float tolerance).

    Parameters
    ----------
    x : Tensor, shape (B, T, d) (shared by all models) or (K, B, T, d)
        Inputs, batch first.
    weight_hh : Tensor, shape (K, N, N)
        Stacked recurrent matrices (column convention).
    weight_ih : Tensor, shape (K, N, d)
    bias : Tensor, shape (K, N)
    h0 : Tensor, shape (K, B, N), optional
    nonlinearity : {"elu", "relu", "tanh"}
    return_sequence : bool
        All states or only the last.

    Returns
    -------
    Tensor
        ``(K, T, B, N)`` - a view of the time-major state buffer ``(T, K, B, N)``
        (``.transpose(0, 1)`` of it is contiguous) - or ``(K, B, N)`` if not
        ``return_sequence``.

    See chapter 3.
    """
    nonlinearity = _check_nonlinearity(nonlinearity)
    _check_ensemble(x, weight_hh, weight_ih, bias, h0)
    xt = x.transpose(0, 1) if x.dim() == 3 else x.transpose(1, 2)  # time-major
    return _EnsembleRecurrence.apply(
        xt.contiguous(), weight_hh, weight_ih, bias, h0, nonlinearity, bool(return_sequence)
    )


__all__ = ["ensemble_recurrence", "naive_recurrence", "rnn_recurrence"]

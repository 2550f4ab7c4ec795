"""Ensembles of torch.nn models: torch.func.vmap over stacked weights vs one model at a time.

The training loop trains K models other than the vanilla RNN (``torch.nn.RNN``, ``torch.nn.LSTM``)
that share a data stream either batched with ``torch.func.stack_module_state`` + ``vmap`` or one
after another on the same batch (``nnrnn_edu.training.trainees.ModelList``). This times one
forward + backward of K models both ways, interleaved in one process, on the copy task's shapes
(batch 16, one thread, as the sweeps run). PyTorch has no vmap batching rule for the fused RNN and
LSTM kernels, so vmap falls back to a slow per-sample loop (it warns about that); the table says by
how much.

Usage::

    python benchmarks/bench_generic_ensemble.py           # T = 500, K = 8, a minute
    python benchmarks/bench_generic_ensemble.py --quick   # seconds
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings

import torch
from torch.func import functional_call, grad, stack_module_state, vmap


def run(argv: list[str] | None = None) -> dict:
    """Time both ways; returns ``{"header", "rows": {layer: {"vmap": ms, "loop": ms}}}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--k", type=int, default=8, help="models (default 8)")
    p.add_argument("--rounds", type=int, default=None, help="timed rounds (default 5; quick 1)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    K, B, d, N = args.k, 16, 10, 100
    T = 50 if args.quick else 500
    rounds = args.rounds or (1 if args.quick else 5)
    x = torch.randn(B, T, d, generator=torch.Generator().manual_seed(0))
    rows = {}
    for layer in ("rnn", "lstm"):
        make = (lambda: torch.nn.RNN(d, N, batch_first=True)) if layer == "rnn" else (
            lambda: torch.nn.LSTM(d, N, batch_first=True))
        models = [make() for _ in range(K)]
        params, buffers = stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def loss(p, b, x):
            out, _ = functional_call(base, (p, b), (x,))
            return out.square().mean()

        batched = vmap(grad(loss), in_dims=(0, 0, None))

        def with_vmap():
            batched(params, buffers, x)

        def one_at_a_time():
            for m in models:
                m.zero_grad()
                out, _ = m(x)
                out.square().mean().backward()

        times = {"vmap": [], "loop": []}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # vmap's "performance drop" warning about the missing batching rule
            for r in range(rounds + 1):
                for name, fn in (("vmap", with_vmap), ("loop", one_at_a_time)):
                    t0 = time.perf_counter()
                    fn()
                    if r:
                        times[name].append(1e3 * (time.perf_counter() - t0))
        rows[layer] = {k: statistics.median(v) for k, v in times.items()}
    header = f"K = {K}, batch {B}, T = {T}, N = {N}, 1 thread, torch {torch.__version__}" + (
        " (QUICK)" if args.quick else "")
    return {"header": header, "rows": rows}


def markdown(res: dict) -> str:
    """The timings as a markdown table."""
    lines = [f"Run header: `{res['header']}`.", "",
             "| layer | vmap over stacked weights (ms) | one model at a time (ms) | vmap / loop |", "|---|---|---|---|"]
    for layer, r in res["rows"].items():
        lines.append(f"| nn.{layer.upper()} | {r['vmap']:.1f} | {r['loop']:.1f} | {r['vmap'] / r['loop']:.1f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))

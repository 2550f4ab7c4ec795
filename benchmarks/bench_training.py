"""Time per training iteration of the vanilla RNN: naive loop vs our engine vs fused nn.RNN, and ensembles.

One iteration = zero_grad + forward + loss + backward + global grad-norm clip (10)
+ RMSprop step (rho 0.9, eps 1e-7), batch 128, on one fixed batch per task
(data generation is not timed). Variants are interleaved in random order inside
one process so that they see the same machine state; each sample also records
how many cores *other* processes used (from /proc/stat), and the reported time
is the median of the samples.

Shapes are the paper's: copy (T=500, N=100, elu, readout at every step),
addition (T=750, N=100, relu), psMNIST (T=784, N=25, elu). "nn.RNN(relu)" is
PyTorch's fused recurrence on the same shapes (it has no elu). Ensembles train
K models at once (stacked weights, per-model clipping and per-model learning
rates in a hand-written RMSprop); their time is reported per model.

Usage::

    python benchmarks/bench_training.py            # full run, a few minutes on 2 cores
    python benchmarks/bench_training.py --quick    # smoke run, seconds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

import torch
from torch import nn

from nnrnn_edu import tasks
from nnrnn_edu.models import EnsembleRNN, VanillaRNN, tune_cpu_allocator
from nnrnn_edu.training.optim import clip_grad_norm_per_model_

FULL = {
    "copy": dict(T=500, N=100, nl="elu"),
    "addition": dict(T=750, N=100, nl="relu"),
    "psmnist": dict(T=784, N=25, nl="elu"),
}
QUICK = {
    "copy": dict(T=40, N=16, nl="elu"),
    "addition": dict(T=40, N=16, nl="relu"),
    "psmnist": dict(T=40, N=8, nl="elu"),
}
TARGET_ENSEMBLE = {"copy": 1.3, "addition": 1.7, "psmnist": 3.0}
TARGET_VS_NAIVE = 1.5


# --------------------------------------------------------------------------- measurement helpers


def _busy_jiffies() -> float | None:
    try:
        with open("/proc/stat") as fh:
            parts = fh.readline().split()[1:]
        vals = [float(v) for v in parts]
        return sum(vals) - vals[3] - vals[4]  # minus idle, iowait
    except OSError:
        return None


def timed(fn) -> tuple[float, float | None]:
    """(wall seconds, cores used by *other* processes during the call or None)."""
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    b0, c0, t0 = _busy_jiffies(), time.process_time(), time.perf_counter()
    fn()
    t1, c1, b1 = time.perf_counter(), time.process_time(), _busy_jiffies()
    wall = t1 - t0
    if b0 is None or wall < 0.05:
        return wall, None
    other = ((b1 - b0) / hz - (c1 - c0)) / wall
    return wall, max(other, 0.0)


def peak_gflops(n: int) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def batch_for(task: str, B: int, T: int):
    g = torch.Generator().manual_seed(0)
    if task == "copy":
        return tasks.copy_task(B, T, g)
    if task == "addition":
        return tasks.addition_task(B, T, g)
    x = torch.rand(B, T, 1, generator=g)  # psMNIST-shaped: pixel values, 10 classes
    y = torch.randint(0, 10, (B,), generator=g)
    return x, y


def task_shapes(task: str) -> tuple[int, int, str]:
    spec = tasks.task_spec(task)
    return spec.input_size, spec.output_size, spec.readout


def flops_per_iter(task: str, B: int, T: int, N: int, K: int = 1) -> float:
    d, out, readout = task_shapes(task)
    steps_out = T if readout == "all" else 1
    fwd = 2 * B * T * N * N + 2 * B * T * N * d + 2 * B * steps_out * N * out
    return 3.0 * fwd * K


# --------------------------------------------------------------------------- iteration builders


def single_step(task: str, variant: str, B: int, T: int, N: int, nl: str):
    d, out, readout = task_shapes(task)
    x, y = batch_for(task, B, T)
    if variant == "nn.RNN(relu)":
        rnn = nn.RNN(d, N, nonlinearity="relu", batch_first=True)
        lin = nn.Linear(N, out)
        params = list(rnn.parameters()) + list(lin.parameters())

        def forward():
            h, _ = rnn(x)
            return lin(h) if readout == "all" else lin(h[:, -1])
    else:
        model = VanillaRNN(d, N, out, nl, "chain", 1.0, readout, seed=0,
                           engine="naive" if variant == "naive loop" else "fast")
        params = list(model.parameters())
        forward = lambda: model(x)  # noqa: E731
    opt = torch.optim.RMSprop(params, lr=1e-5, alpha=0.9, eps=1e-7)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = tasks.task_loss(task, forward(), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()

    return step


def ensemble_step(task: str, K: int, B: int, T: int, N: int, nl: str):
    d, out, readout = task_shapes(task)
    x, y = batch_for(task, B, T)
    model = EnsembleRNN(K, d, N, out, nl, "chain", 1.0, readout, seeds=list(range(K)))
    params = list(model.parameters())
    lr = torch.logspace(-5, -3, K)  # one learning rate per model
    sq = [torch.zeros_like(p) for p in params]
    rho, eps = 0.9, 1e-7

    def step():
        for p in params:
            p.grad = None
        losses = tasks.task_loss(task, model(x), y)  # (K,)
        losses.sum().backward()  # model k's gradient is that of its own mean loss
        clip_grad_norm_per_model_(params, 10.0)
        with torch.no_grad():  # hand-written RMSprop with a per-model learning rate
            for p, s in zip(params, sq):
                g = p.grad
                s.mul_(rho).addcmul_(g, g, value=1 - rho)
                p.addcdiv_(g * lr.view((K,) + (1,) * (p.dim() - 1)), s.sqrt().add_(eps), value=-1.0)

    return step


def ensemble_bytes(task: str, K: int, B: int, T: int, N: int) -> float:
    _, out, readout = task_shapes(task)
    per = K * T * B * N * 4.0
    return per * (5 if readout == "all" else 3)


def mem_available() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


CLEAN = 0.3
"""A sample is clean when other processes used fewer cores than this while it ran."""


def measure(steps: dict, warmup: int, rounds: int, rng: random.Random, max_rounds: int | None = None) -> dict:
    """Interleave the variants: every round runs each once, in a fresh random order.

    Rounds continue (up to ``max_rounds``, default 3x) until every variant has
    ``rounds`` clean samples; the median of the clean samples is reported if
    there are at least 2, else the median of all samples (flagged ``noisy``).
    """
    max_rounds = max_rounds or 3 * rounds
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    samples = {k: [] for k in steps}

    def clean(k):
        return [w for w, o in samples[k] if o is None or o < CLEAN]

    for r in range(max_rounds):
        if r >= rounds and all(len(clean(k)) >= rounds for k in steps):
            break
        order = list(steps)
        rng.shuffle(order)
        for k in order:
            samples[k].append(timed(steps[k]))
    out = {}
    for k, s in samples.items():
        walls = [w for w, _ in s]
        good = clean(k)
        others = [o for _, o in s if o is not None]
        use = good if len(good) >= 2 else walls
        out[k] = {
            "median_s": statistics.median(use),
            "min_s": min(walls),
            "samples": len(walls),
            "clean_samples": len(good),
            "noisy": len(good) < 2,
            "other_cores_median": statistics.median(others) if others else None,
        }
    return out


# --------------------------------------------------------------------------- main


def run(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny shapes, a few seconds (smoke test)")
    p.add_argument("--tasks", default="copy,addition,psmnist")
    p.add_argument("--batch", type=int, default=None, help="batch size (default 128; quick 16)")
    p.add_argument("--ks", default=None, help="ensemble sizes (default 1,8,32,128; quick 1,4)")
    p.add_argument("--rounds", type=int, default=None, help="timed rounds per variant (default 7)")
    p.add_argument("--warmup", type=int, default=None, help="untimed iterations per variant (default 2)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--no-tune-alloc", action="store_true", help="leave glibc malloc at its defaults")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--seed", type=int, default=0, help="seed of the interleaving order")
    a = p.parse_args(argv)

    shapes = QUICK if a.quick else FULL
    B = a.batch or (16 if a.quick else 128)
    ks = [int(k) for k in (a.ks or ("1,4" if a.quick else "1,8,32,128")).split(",")]
    rounds = a.rounds or (2 if a.quick else 7)
    warmup = a.warmup if a.warmup is not None else (1 if a.quick else 2)
    names = [t for t in a.tasks.split(",") if t]
    for t in names:
        if t not in FULL:
            raise SystemExit(f"unknown task {t!r}; choose from {sorted(FULL)}")
    if a.threads:
        torch.set_num_threads(a.threads)
    alloc = False if a.no_tune_alloc else tune_cpu_allocator()
    rng = random.Random(a.seed)
    torch.manual_seed(0)

    peak = peak_gflops(256 if a.quick else 2048)
    res = {
        "quick": a.quick, "batch": B, "threads": torch.get_num_threads(), "peak_gflops": peak,
        "allocator_tuned": alloc, "torch": torch.__version__, "python": platform.python_version(),
        "machine": platform.machine(), "single": {}, "ensemble": {},
    }
    variants = ["naive loop", "engine", "nn.RNN(relu)"]
    for t in names:
        T, N, nl = shapes[t]["T"], shapes[t]["N"], shapes[t]["nl"]
        steps = {v: single_step(t, v, B, T, N, nl) for v in variants}
        m = measure(steps, warmup, rounds, rng)
        fl = flops_per_iter(t, B, T, N)
        for v in variants:
            m[v]["gflops"] = fl / m[v]["median_s"] / 1e9
        res["single"][t] = {"T": T, "N": N, "nonlinearity": nl, **m}

        ens = {}
        avail = mem_available()
        for K in ks:
            need = ensemble_bytes(t, K, B, T, N)
            if need > 0.7 * avail:
                ens[K] = {"skipped": f"needs ~{need / 2**30:.1f} GiB, {avail / 2**30:.1f} GiB available"}
                continue
            step = ensemble_step(t, K, B, T, N, nl)
            r = max(2, rounds // 2) if K >= 32 else rounds
            mm = measure({K: step}, max(1, warmup // 2), r, rng)[K]
            mm["per_model_s"] = mm["median_s"] / K
            mm["gflops"] = flops_per_iter(t, B, T, N, K) / mm["median_s"] / 1e9
            ens[K] = mm
            del step
        res["ensemble"][t] = ens
    # the peak is the best of a measurement before and after (a busy machine lowers it)
    res["peak_gflops"] = max(peak, peak_gflops(256 if a.quick else 2048))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1, default=str)
    return res


def markdown(res: dict) -> str:
    tasks_ = list(res["single"])
    L = []
    hdr = lambda t: f"{t} T={res['single'][t]['T']} N={res['single'][t]['N']} {res['single'][t]['nonlinearity']}"  # noqa: E731
    L.append(
        f"Batch {res['batch']}, {res['threads']} threads, torch {res['torch']}, "
        f"allocator tuned: {res['allocator_tuned']}, large-matmul peak {res['peak_gflops']:.0f} GFLOP/s"
        + (" (QUICK smoke shapes - not the paper's)" if res["quick"] else "")
    )
    L.append("")
    L.append("Single model, ms per iteration (speed-up vs naive loop) GFLOP/s, % of peak:")
    L.append("")
    L.append("| variant | " + " | ".join(hdr(t) for t in tasks_) + " |")
    L.append("|---|" + "---|" * len(tasks_))
    for v in ["naive loop", "engine", "nn.RNN(relu)"]:
        cells = []
        for t in tasks_:
            s = res["single"][t]
            m = s[v]
            sp = s["naive loop"]["median_s"] / m["median_s"]
            cells.append(
                f"{m['median_s'] * 1e3:.1f} ({sp:.2f}x) {m['gflops']:.1f} GF/s, "
                f"{100 * m['gflops'] / res['peak_gflops']:.0f}%"
            )
        L.append(f"| {v} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("Ensemble of K models, ms per model-iteration (speed-up vs the single-model engine) GFLOP/s:")
    L.append("")
    L.append("| K | " + " | ".join(tasks_) + " |")
    L.append("|---|" + "---|" * len(tasks_))
    ks = sorted({k for t in tasks_ for k in res["ensemble"][t]}, key=int)
    for K in ks:
        cells = []
        for t in tasks_:
            e = res["ensemble"][t].get(K)
            if e is None:
                cells.append("-")
            elif "skipped" in e:
                cells.append("skipped: " + e["skipped"])
            else:
                sp = res["single"][t]["engine"]["median_s"] / e["per_model_s"]
                cells.append(f"{e['per_model_s'] * 1e3:.1f} ({sp:.2f}x) {e['gflops']:.1f} GF/s")
        L.append(f"| {K} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("Targets:")
    for t in tasks_:
        s = res["single"][t]
        eng = s["engine"]["median_s"]
        vs_naive = s["naive loop"]["median_s"] / eng
        vs_fused = s["nn.RNN(relu)"]["median_s"] / eng
        done = [e for e in res["ensemble"][t].values() if "per_model_s" in e]
        best = min((e["per_model_s"] for e in done), default=float("nan"))
        ens_sp = eng / best
        tgt = TARGET_ENSEMBLE[t]
        ok = lambda c: "PASS" if c else "FAIL"  # noqa: E731
        L.append(
            f"- {t}: engine vs naive {vs_naive:.2f}x (>= {TARGET_VS_NAIVE}: {ok(vs_naive >= TARGET_VS_NAIVE)}); "
            f"vs nn.RNN(relu) {vs_fused:.2f}x (> 1: {ok(vs_fused > 1)}); "
            f"best ensemble per model {ens_sp:.2f}x (>= {tgt}: {ok(ens_sp >= tgt)})"
        )
    noisy = [f"{t}/{k}" for t in tasks_ for k, m in res["single"][t].items() if isinstance(m, dict) and m.get("noisy")]
    noisy += [f"{t}/K={k}" for t in tasks_ for k, m in res["ensemble"][t].items() if m.get("noisy")]
    L.append(
        "- timings are medians of clean samples (other processes < 0.3 cores); "
        + (f"NOISY (fewer than 2 clean samples): {', '.join(noisy)}" if noisy else "all cells had clean samples")
    )
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    res = run(argv)
    sys.stdout.write(markdown(res) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

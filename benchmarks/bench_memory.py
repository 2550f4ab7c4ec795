"""Time the Fisher memory curve and one redraw of the chapter 1 and chapter 2 explorers.

Usage: python benchmarks/bench_memory.py [--sizes 100 500 1000 2000] [--threads 1]

Prints a markdown table for the README. The matrix is dense and non-normal
(Gaussian entries scaled to spectral radius ~0.9 by the circular law), so that
no structured shortcut applies: the general path (doubling for C, one Cholesky, K matvecs, one
triangular solve) is what is timed, with k_max = N.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import time


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000], help="network sizes N")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: one CPU core)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best time is reported")
    args = parser.parse_args()
    # must be set before numpy loads its BLAS
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np

    from nnrnn_edu import connectivity as cx
    from nnrnn_edu.memory import fisher_memory_curve
    from nnrnn_edu.widgets import MemoryExplorer

    print(f"# bench_memory: {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
          f"BLAS threads = {args.threads}, numpy {np.__version__}\n")
    print("| N | k_max | fisher_memory_curve (s) |")
    print("|---|---|---|")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        W = 0.9 * rng.standard_normal((n, n)) / np.sqrt(n)
        v = rng.standard_normal(n)
        v /= np.linalg.norm(v)
        t = _best_of(lambda: fisher_memory_curve(W, v, n), args.repeat if n <= 1000 else 1)
        print(f"| {n} | {n} | {t:.3f} |")

    with contextlib.redirect_stdout(io.StringIO()):
        ex = MemoryExplorer(kind="chain", n=100)
    values = iter(np.linspace(1.1, 2.0, 100))

    def compute_only():
        ex.update(alpha=float(next(values)))

    def redraw_and_render():
        ex.update(alpha=float(next(values)))
        ex.figure.savefig(io.BytesIO(), format="png")  # what the inline backend does to show it

    print("\n| explorer at N = 100 | time per slider move (s) |")
    print("|---|---|")
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Output() prints the figure's repr
        t_compute = _best_of(compute_only, 5)
        t_render = _best_of(redraw_and_render, 5)
    print(f"| recompute + redraw figure | {t_compute:.3f} |")
    print(f"| ... + render PNG for display | {t_render:.3f} |")

    # chapter 2's explorer: simulate 2 networks x (n_train + n_test) sequences, fit, draw
    from nnrnn_edu.widgets import DecodingExplorer

    with contextlib.redirect_stdout(io.StringIO()):
        dx = DecodingExplorer()
        sigmas = iter(np.linspace(0.05, 0.5, 100))

        def decoding_move():
            dx.update(noise_std=float(next(sigmas)))
            dx.figure.savefig(io.BytesIO(), format="png")

        t_decode = _best_of(decoding_move, 3)
    print(f"| chapter 2 decoding explorer (elu, N = L = 100), incl. PNG | {t_decode:.3f} |")


if __name__ == "__main__":
    main()

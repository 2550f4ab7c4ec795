"""Every explorer's slider move, old code against new, side by side in one process: compute, draw, PNG.

A move of a slider in JupyterLab runs the explorer's callback - compute (``*_explorer_data``) and
draw (``plotting.plot_*_explorer`` into the widget's figure) - and then shows the figure: a PNG
rendered for the ``Output`` area. This times the three parts of each move of each explorer at its
default size (the classes' defaults: chapter 1 N = 100; chapter 2 elu, sigma = 0.1, N = L = 100;
chapter 4 N = 100, an 80 x 80 grid, the chain's alpha, the chain with feedback's alpha (the book's
starting setting) and the epsilon slider) for this checkout and for an earlier git revision (default
``f0dabc8``, before the explorers were made fast), whose package is extracted with ``git archive``
and imported as ``nnrnn_edu_explorers_old``. The process is set up as a notebook kernel shows figures
(``%matplotlib inline``: PNG with ``bbox_inches="tight"``), so the old widgets' PNG is what they
cost in JupyterLab. Old and new moves alternate in random order over the same slider values; the
table gives medians of wall-clock seconds (compute, draw, PNG and the whole move) and of the CPU
seconds of this process per move (on a shared machine the wall clock also counts the time other
processes held the core), the run header the machine, its load average and how many cores other
processes used (``/proc/stat``). One BLAS thread (one core), as the other benchmarks.

Usage::

    python benchmarks/bench_explorers.py              # 15 moves per explorer and variant, about 4 minutes
    python benchmarks/bench_explorers.py --quick      # small sizes, 2 moves: a smoke test, seconds
    python benchmarks/bench_explorers.py --ref <rev>  # compare against another revision
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REF = "f0dabc8"  # the last commit before the explorers were made fast (issue 14, item 5)

# row: (explorer class, the slider moved, its values, other controls' values (else the class's defaults))
EXPLORERS = {
    "chapter 1 memory (chain, N = 100)": ("MemoryExplorer", "alpha", [1.1 + 0.05 * i for i in range(18)], {}),
    "chapter 2 decoding (elu, sigma = 0.1, N = L = 100)": ("DecodingExplorer", "noise_std",
                                                           [0.05 + 0.02 * i for i in range(18)], {}),
    "chapter 4 pseudospectra (chain, N = 100)": ("PseudospectrumExplorer", "alpha", [0.9 + 0.02 * i for i in range(18)],
                                                 {}),
    "chapter 4 pseudospectra (chain with feedback, N = 100)": ("PseudospectrumExplorer", "alpha",
                                                               [0.9 + 0.02 * i for i in range(18)],
                                                               {"kind": "fbchain", "beta": 0.04, "eps": 1e-3}),
    "chapter 4 pseudospectra, epsilon slider (chain, N = 100)": ("PseudospectrumExplorer", "eps",
                                                                 [10.0 ** (-1 - 0.4 * i) for i in range(18)], {}),
}
QUICK_SIZES = {"MemoryExplorer": {"n": 20}, "DecodingExplorer": {"n": 20, "seq_len": 10},
               "PseudospectrumExplorer": {"n": 20}}


def busy_cores() -> tuple[float, float]:
    """``(total jiffies, busy jiffies)`` of the machine, from /proc/stat (zeros where unavailable)."""
    try:
        with open("/proc/stat") as fh:
            v = [float(x) for x in fh.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    return sum(v), sum(v) - v[3] - v[4]


OLD_PACKAGE = "nnrnn_edu_explorers_old"


def load_old(ref: str, where: str):
    """The package at git revision ``ref``, imported as ``nnrnn_edu_explorers_old`` (it imports itself
    relatively); a package of that name imported before (another run in this process) is dropped first."""
    for name in [m for m in sys.modules if m == OLD_PACKAGE or m.startswith(OLD_PACKAGE + ".")]:
        del sys.modules[name]
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref, "nnrnn_edu"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
    shutil.move(os.path.join(where, "nnrnn_edu"), os.path.join(where, OLD_PACKAGE))
    sys.path.insert(0, where)
    importlib.invalidate_caches()
    return importlib.import_module(OLD_PACKAGE)


def _commit() -> str:
    """This checkout's commit, with ``+changes`` when the package differs from it."""
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "nnrnn_edu"], capture_output=True, text=True)
    return (head.stdout.strip() or "unknown") + ("+changes" if dirty.stdout.strip() else "")


@contextlib.contextmanager
def _kernel_like_shell():
    """The IPython shell with the inline backend's figure formatter (PNG, ``bbox_inches="tight"``),
    as ``%matplotlib inline`` sets it; the shell's formatters are put back afterwards."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    png = shell.display_formatter.formatters["image/png"]
    before = png.type_printers.get(Figure)
    select_figure_formats(shell, {"png"}, bbox_inches="tight")
    try:
        yield shell
    finally:
        if before is None:
            png.type_printers.pop(Figure, None)
        else:
            png.type_printers[Figure] = before


class _Variant:
    """One explorer of one code version, with its three parts callable one by one."""

    def __init__(self, lib, cls_name: str, arg: str, sizes: dict):
        widgets = importlib.import_module(lib.__name__ + ".widgets")
        self.cls = getattr(widgets, cls_name)
        with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Output() prints the figure's repr
            self.ex = self.cls(**sizes)
        # the callback is "compute, then draw": take it apart the way it is put together
        callback = self.cls._callback
        self.data_fn = callback.__globals__[{"MemoryExplorer": "memory_explorer_data",
                                             "DecodingExplorer": "decoding_explorer_data",
                                             "PseudospectrumExplorer": "pseudospectrum_explorer_data"}[cls_name]]
        self.plot_fn = callback.__globals__[{"MemoryExplorer": "plot_memory_explorer",
                                             "DecodingExplorer": "plot_decoding_explorer",
                                             "PseudospectrumExplorer": "plot_pseudospectrum_explorer"}[cls_name]]
        self.arg = arg

    def move(self, value: float) -> dict[str, float]:
        """One slider move, as ``_on_change`` makes it, timed part by part (seconds)."""
        ex = self.ex
        ex.controls[self.arg].unobserve(ex._on_change, names="value")
        ex.controls[self.arg].value = value  # the slider shows the value; the parts run below
        ex.controls[self.arg].observe(ex._on_change, names="value")
        params = ex.values()
        c0, t0 = time.process_time(), time.perf_counter()
        data = self.data_fn(**params)
        t1 = time.perf_counter()
        self.plot_fn(data, fig=ex.figure)
        t2 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            ex._show()
        t3, c3 = time.perf_counter(), time.process_time()
        return {"compute": t1 - t0, "draw": t2 - t1, "png": t3 - t2, "move": t3 - t0, "cpu": c3 - c0}

    def update(self, value: float) -> float:
        """The whole move through the widget (``update``), end to end (seconds)."""
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            self.ex.update(**{self.arg: value})
        return time.perf_counter() - t0


def run(argv: list[str] | None = None) -> dict:
    """Run the comparison; returns ``{"header", "rows": {explorer: {"old": {...}, "new": {...}}}}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 2 moves (smoke test)")
    p.add_argument("--ref", default=DEFAULT_REF, help=f"git revision of the old code (default {DEFAULT_REF})")
    p.add_argument("--moves", type=int, default=None, help="timed moves per explorer and variant (default 15)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: one CPU core)")
    args = p.parse_args(argv)
    if "numpy" not in sys.modules:  # must be set before numpy loads its BLAS (not inside a test process)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    moves = args.moves or (2 if args.quick else 15)

    import matplotlib
    import numpy as np

    import nnrnn_edu

    tmp = tempfile.mkdtemp(prefix="bench-explorers-")
    with _kernel_like_shell():
        libs = {"old": load_old(args.ref, tmp), "new": nnrnn_edu}
        load0 = os.getloadavg()
        rows: dict[str, dict] = {}
        rng = random.Random(0)
        busy = []
        for title, (cls_name, arg, values, init) in EXPLORERS.items():
            sizes = {**init, **(QUICK_SIZES[cls_name] if args.quick else {})}
            variants = {v: _Variant(lib, cls_name, arg, sizes) for v, lib in libs.items()}
            samples: dict[str, list[dict]] = {"old": [], "new": []}
            updates: dict[str, list[float]] = {"old": [], "new": []}
            for r in range(moves + 1):  # move 0 warms both up
                value = values[r % len(values)]
                order = ["old", "new"]
                rng.shuffle(order)
                for v in order:
                    j0, b0 = busy_cores()
                    parts = variants[v].move(value)
                    j1, b1 = busy_cores()
                    if r > 0:
                        samples[v].append(parts)
                        busy.append(max(0.0, (b1 - b0) / max(j1 - j0, 1e-9) * (os.cpu_count() or 1) - 1.0))
            for v in rng.sample(["old", "new"], 2):  # the widget's own path, once each, as a check of the sum
                updates[v].append(variants[v].update(values[(moves + 1) % len(values)]))
            rows[title] = {v: {part: statistics.median(s[part] for s in samples[v])
                               for part in ("compute", "draw", "png", "move", "cpu")} | {"update": updates[v][0]}
                           for v in samples}
        load1 = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)
    header = (f"{platform.machine()}, {os.cpu_count()} cores visible, BLAS threads = {args.threads}, "
              f"numpy {np.__version__}, matplotlib {matplotlib.__version__}, {moves} moves per explorer and variant "
              f"(medians), old = {args.ref}, new = {_commit()}, load average {load0[0]:.1f} before / {load1[0]:.1f} after, "
              f"other processes {statistics.median(busy) if busy else 0.0:.1f} cores (median)"
              + (" (QUICK: small sizes)" if args.quick else ""))
    return {"header": header, "rows": rows, "ref": args.ref}


def markdown(res: dict) -> str:
    """The comparison as a markdown table (seconds per move)."""
    lines = [f"Run header: `{res['header']}`.", "",
             "| explorer, one slider move | code | compute (s) | draw (s) | PNG (s) | move (s) | move, CPU (s) | "
             "new / old |",
             "|---|---|---|---|---|---|---|---|"]
    for title, r in res["rows"].items():
        for v in ("old", "new"):
            t = r[v]
            ratio = f"{t['move'] / r['old']['move']:.2f}" if v == "new" else ""
            lines.append(f"| {title} | {v} | {t['compute']:.3f} | {t['draw']:.3f} | {t['png']:.3f} | "
                         f"{t['move']:.3f} | {t['cpu']:.3f} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))

"""Command line for long runs outside notebooks: ``python -m nnrnn_edu {train,sweep,summarize}``.

Examples::

    # one run, the authors' README example at the cpu tier (20 000 updates; --full: up to 100 epochs)
    python -m nnrnn_edu train --task copy --init chain --init-scale 1.02 --lr 5e-5 --seed 3 --tier cpu

    # the quick grid of a task (8 runs, a smoke run: seconds on a CPU)
    python -m nnrnn_edu sweep --task addition --tier quick --out results/quick

    # the cpu tier's grid of a task (32 runs at T = 500, hours on two cores; make results-cpu)
    python -m nnrnn_edu sweep --task copy --tier cpu --out results/cpu/copy

    # the paper's grid for one task, shard 3 of 16 (e.g. one SLURM array job each)
    python -m nnrnn_edu sweep --task copy --full --shard 3/16 --out results/copy
    sbatch --array=0-15 --gres=gpu:1 --time=24:00:00 \\
        --wrap 'python -m nnrnn_edu sweep --task copy --full --shard ${SLURM_ARRAY_TASK_ID}/16 --out results/copy'

    # merge every result file below a directory into the Figure 3 table
    python -m nnrnn_edu summarize results/copy --json results/copy-summary.json

Every command is resumable: finished runs are skipped, interrupted ones restart
from their last checkpoint. See chapter 3.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Sequence

import numpy as np

from . import training
from .config import QUICK_ENV_VAR, TIER_ENV_VAR, TIERS
from .data import SOURCES
from .connectivity import FBCHAIN_FEEDBACK, KINDS
from .models import MODELS
from .tasks import TASKS
from .training import sweep

_SLURM = (
    "SLURM job array (one shard per array task; shards are disjoint and cover the grid):\n"
    "  sbatch --array=0-15 --gres=gpu:1 --time=24:00:00 \\\n"
    "    --wrap 'python -m nnrnn_edu sweep --task copy --full "
    "--shard ${SLURM_ARRAY_TASK_ID}/16 --out results/copy'\n"
    "then copy every machine's results/copy into one tree and run\n"
    "  python -m nnrnn_edu summarize results/copy"
)


def _positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return v


def _scale_spec(text: str) -> tuple[str, tuple[float, ...]]:
    try:
        init, values = text.split("=")
        return init, tuple(float(v) for v in values.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected INIT=V1,V2,... (e.g. chain=1.0,1.05), got {text!r}") from None


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, choices=TASKS,
                   help="benchmark: copy (T=500, cross-entropy at every step), addition (T=750, MSE) or "
                        "psmnist (pixel-by-pixel permuted MNIST, or the psDigits stand-in in quick tier)")
    p.add_argument("--model", default="vanilla", choices=MODELS,
                   help="recurrent model: vanilla (the paper's RNN on the hand-written BPTT engine, default), "
                        "torch-rnn (torch.nn.RNN, tanh) or lstm (torch.nn.LSTM, every gate initialised like a "
                        "vanilla RNN)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--tier", choices=TIERS, default=None,
                      help="quick (T=60 copy/addition, psDigits, 400 updates: a smoke run), cpu (the paper's task "
                           "lengths, sizes and optimiser, 20 000 updates, a reduced grid) or full (the paper's "
                           f"grid and budget, for a GPU); default: ${TIER_ENV_VAR}, or quick if {QUICK_ENV_VAR}=1, "
                           "else cpu")
    mode.add_argument("--quick", dest="tier", action="store_const", const="quick", help="same as --tier quick")
    mode.add_argument("--full", dest="tier", action="store_const", const="full", help="same as --tier full")
    g = p.add_argument_group("budget and sizes (override the preset; default: the preset's value)")
    g.add_argument("--max-updates", type=_positive_int, help="budget in parameter updates")
    g.add_argument("--max-epochs", type=float, help="budget in epochs (whichever budget is hit first stops the run)")
    g.add_argument("--epoch-size", type=_positive_int, help="sequences per epoch (full: 60 000 for copy/addition)")
    g.add_argument("--eval-every", type=_positive_int,
                   help="updates between validations and checkpoints (default: once per epoch)")
    g.add_argument("--seq-len", type=_positive_int, help="sequence length T of copy/addition (paper: 500 / 750)")
    g.add_argument("--nonlinearity", help="hidden non-linearity (default: the paper's for vanilla, tanh for "
                                          "torch-rnn; lstm has none to choose)")
    g.add_argument("--hidden-size", type=_positive_int, help="hidden units N (paper: 100, or 25 for psMNIST)")
    g.add_argument("--batch-size", type=_positive_int, help="batch size (paper: 16)")
    g.add_argument("--train-set", choices=("stream", "fixed"),
                   help="copy/addition: fresh sequences every batch (stream, default) or the authors' fixed set "
                        "of --epoch-size sequences visited in a new order every epoch (fixed)")
    g.add_argument("--val-size", type=_positive_int, help="validation sequences for copy/addition (paper: 10 000)")
    g.add_argument("--early-stop-loss", type=float, help="stop a run once its validation loss is below this")
    g.add_argument("--clip-norm", type=float, help="global gradient-norm clip per model (paper: 10)")
    g.add_argument("--data-source", choices=SOURCES,
                   help="psMNIST source: auto (MNIST if it can be loaded, else Fashion-MNIST if installed, else "
                        "psDigits), mnist, fashion (psFashion-MNIST) or digits (psDigits)")
    o = p.add_argument_group("where and how")
    o.add_argument("--out", default="results", help="directory for result files <run_name>.json (default: results)")
    o.add_argument("--device", help="auto (cuda if available, default), cpu, cuda or cuda:<i>")
    o.add_argument("--threads", type=_positive_int, help="torch CPU threads (default: the preset's / torch's)")
    o.add_argument("--no-resume", dest="resume", action="store_false",
                   help="retrain even if a final result exists, ignoring checkpoints (default: resume)")
    o.add_argument("--no-progress", dest="progress", action="store_false", help="no tqdm progress bars")


_OVERRIDES = ("model", "nonlinearity", "train_set", "max_updates", "max_epochs", "epoch_size", "eval_every", "seq_len", "hidden_size", "batch_size",
              "val_size", "early_stop_loss", "clip_norm", "data_source", "device", "threads")


def _overrides(args: argparse.Namespace) -> dict:
    return {k: getattr(args, k) for k in _OVERRIDES if getattr(args, k) is not None}


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m nnrnn_edu`` argument parser (subcommands train, sweep, summarize).

    Returns
    -------
    argparse.ArgumentParser

    See chapter 3.
    """
    parser = argparse.ArgumentParser(
        prog="python -m nnrnn_edu",
        description="Train the vanilla RNNs of Orhan & Pitkow (ICLR 2020), Figure 3, outside notebooks. "
                    "See chapter 3 of the book.",
        epilog=_SLURM,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,sweep,summarize}")

    t = sub.add_parser("train", help="train one network and write its JSON result",
                       description="Train one network with the paper's protocol (RMSprop rho=0.9, eps=1e-7, "
                                   "clip 10) and write <out>/<run_name>.json. Resumable: a killed run restarts "
                                   "from its last checkpoint.")
    _add_run_options(t)
    r = t.add_argument_group("the run")
    r.add_argument("--init", default="chain", choices=KINDS,
                   help="recurrent initialiser: chain (alpha), fbchain (beta; forward weight alpha = 0.99), "
                        "identity or orthogonal (lambda) (default: chain)")
    r.add_argument("--init-scale", type=float,
                   help="alpha (chain), beta (fbchain) or lambda (identity, orthogonal) of the initialiser "
                        f"(default: 1.0, or {FBCHAIN_FEEDBACK} for fbchain)")
    r.add_argument("--lr", type=float, default=1e-4, help="RMSprop learning rate (default 1e-4)")
    r.add_argument("--seed", type=int, default=1, help="seed of the initial weights and the training data (default 1)")

    s = sub.add_parser("sweep", help="train a grid (or a shard of it) as batched ensembles",
                       description="Train the paper's grid of initialisers x scales x learning rates x seeds "
                                   "(--full: 462 runs per non-normal and 594 per normal initialiser) or the "
                                   "quick grid (--quick: 8 runs), several networks at once on one device. "
                                   "Finished runs are skipped, so re-running resumes.",
                       epilog=_SLURM, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_run_options(s)
    gg = s.add_argument_group("the grid (default: the preset's)")
    gg.add_argument("--inits", nargs="+", choices=KINDS, help="keep only these initialisers")
    gg.add_argument("--scales", nargs="+", type=_scale_spec, metavar="INIT=V1,V2",
                    help="replace an initialiser's scales, e.g. --scales chain=1.0,1.05 identity=1.0")
    gg.add_argument("--lrs", nargs="+", type=float, help="learning rates (paper: 8e-4 ... 3e-6, 11 values)")
    gg.add_argument("--seeds", nargs="+", type=int, help="seeds (paper: 1 2 3 4 5 6)")
    gg.add_argument("--shard", metavar="I/N",
                    help="train only shard I of N (0-based; runs sorted by name, round robin), "
                         "e.g. --shard ${SLURM_ARRAY_TASK_ID}/16")
    gg.add_argument("--ensemble-size", type=_positive_int,
                    help="networks trained together (default: 32 on CPU, 256 on GPU, capped by memory); "
                         "1 trains them one by one")
    gg.add_argument("--list", action="store_true", help="print this shard's run names and pending count, train nothing")

    m = sub.add_parser("summarize", help="merge result files into the Figure 3 table",
                       description="Read every result file below the given directories (or the given files) "
                                   "and print, per task and initialiser, the success count and the best run.")
    m.add_argument("paths", nargs="+", help="result directories (searched recursively) or result files")
    m.add_argument("--task", choices=TASKS, help="only this task")
    m.add_argument("--protocol", metavar="ID",
                   help="only this protocol (the name of its results directory, e.g. copy-vanilla-T500-3f2a9c1e); "
                        "results of different protocols are never merged")
    m.add_argument("--json", metavar="FILE", help="also write the summary (curves included) as strict JSON to FILE "
                                                   "(NaN as null)")
    return parser


def _jsonable(obj):
    """Plain JSON types; NaN and infinities become null (strict JSON has no such numbers)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _cmd_train(args) -> int:
    scale = args.init_scale if args.init_scale is not None else (FBCHAIN_FEEDBACK if args.init == "fbchain" else 1.0)
    cfg = training.preset(args.task, tier=args.tier, init=args.init, init_scale=scale, lr=args.lr,
                          seed=args.seed, **_overrides(args))
    res = training.train(cfg, args.out, resume=args.resume, progress=args.progress)
    best, final = res["best_val_loss"], res["final_val_loss"]
    print(f"{res['name']}: {res['status']} after {res['updates']} updates; "
          f"final val loss {final if final is None else f'{final:.5g}'}, best {best if best is None else f'{best:.5g}'}, "
          f"success {res['success']} (threshold {res['success_threshold']:.4g})")
    print(os.path.relpath(res["path"]))
    return 0


def _cmd_sweep(args) -> int:
    g = sweep.grid(args.task, tier=args.tier, inits=args.inits, scales=dict(args.scales) if args.scales else None,
                   lrs=args.lrs, seeds=args.seeds, **_overrides(args))
    idx = cnt = None
    if args.shard is not None:
        idx, cnt = sweep.parse_shard(args.shard)
    if args.list:
        cfgs = sweep.shard(g.configs(), idx, cnt) if cnt else sorted(g.configs(), key=lambda c: c.run_name())
        for c in cfgs:
            print(c.run_name())
        print(f"# {len(cfgs)} runs in this shard, {len(sweep.pending(cfgs, args.out))} without a final result "
              f"in {args.out}; grid: {g.counts()}", file=sys.stderr)
        return 0
    res = sweep.run_sweep(g, args.out, shard_index=idx, shard_count=cnt, ensemble_size=args.ensemble_size,
                          resume=args.resume, progress=args.progress)
    print(training.summary_table(training.summarize(res)))
    print(f"{len(res)} runs; results in {args.out}")
    return 0


def _cmd_summarize(args) -> int:
    s = training.summarize(args.paths, task=args.task, protocol=args.protocol)
    print(training.summary_table(s) if s else "no result files found")
    if args.json:
        training.write_json_atomic(args.json, _jsonable(dict(s)), allow_nan=False)
        print(args.json)
    if s.problems:
        print(f"{len(s.problems)} file(s) could not be used (listed above)", file=sys.stderr)
        return 1
    return 0


def _join_negative_shard(argv: list[str]) -> list[str]:
    """``--shard -1/4`` would be read as an option; pass it as ``--shard=-1/4`` so that the shard
    parser can say what is wrong with it."""
    out = list(argv)
    for i, a in enumerate(out[:-1]):
        if a == "--shard" and out[i + 1].startswith("-"):
            out[i : i + 2] = [f"--shard={out[i + 1]}"]
            break
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m nnrnn_edu``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status (0 on success; invalid settings exit with status 2 and a message).

    See chapter 3.
    """
    parser = build_parser()
    args = parser.parse_args(_join_negative_shard(sys.argv[1:] if argv is None else list(argv)))
    commands = {"train": _cmd_train, "sweep": _cmd_sweep, "summarize": _cmd_summarize}
    try:
        return commands[args.command](args)
    except ValueError as err:
        parser.exit(2, f"{parser.prog} {args.command}: error: {err}\n")
    except OSError as err:
        if isinstance(err, BrokenPipeError):  # e.g. `summarize ... | head`: the reader has gone, stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        where = f" ({err.filename})" if err.filename else ""
        parser.exit(2, f"{parser.prog} {args.command}: error: {err.strerror or err}{where}\n")
    return 2  # not reached


__all__ = ["build_parser", "main"]

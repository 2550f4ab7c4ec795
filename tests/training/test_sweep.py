"""The paper's grids, shards, ensembles and resumable sweeps (nnrnn_edu.training.sweep)."""

import pathlib

import pytest
import torch

from nnrnn_edu import tasks
from nnrnn_edu import training
from nnrnn_edu.training import optim
from nnrnn_edu.training import summary
from nnrnn_edu.training import sweep


TINY = dict(
    seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, threads=1,
    max_updates=60, eval_every=20,
)


def _tiny(task="copy", **kw):
    args = dict(TINY)
    args.update(kw)
    return training.preset(task, quick=True, **args)


def _strip(res):
    return {k: v for k, v in res.items() if k not in ("timing", "provenance")}


def test_paper_grid_counts_match_the_paper():
    for task in tasks.TASKS:
        g = sweep.grid(task, quick=False)
        assert g.counts() == {"identity": 594, "orthogonal": 594, "chain": 462, "fbchain": 462}
        assert g.counts() == sweep.PAPER_RUNS_PER_MODEL
        cfgs = g.configs()
        assert len(cfgs) == len(g) == 2 * 594 + 2 * 462
        assert len({c.run_name() for c in cfgs}) == len(cfgs)
        assert all(c.task == task and c.max_epochs == 100 and c.batch_size == 16 for c in cfgs)
    assert len(sweep.PAPER_LEARNING_RATES) == 11 and sweep.PAPER_SEEDS == (1, 2, 3, 4, 5, 6)
    assert sweep.PAPER_SCALES["chain"] == (0.99, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05)
    assert sweep.PAPER_SCALES["fbchain"] == (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07)
    assert sweep.PAPER_SCALES["identity"] == (0.01, 0.96, 0.99, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05)
    assert max(sweep.PAPER_LEARNING_RATES) == 8e-4 and min(sweep.PAPER_LEARNING_RATES) == 3e-6
    # psMNIST: the authors drew the permutation after seeding with the run's seed
    ps = sweep.grid("psmnist", quick=False).configs()
    assert all(c.permutation_seed == c.seed for c in ps) and ps[0].hidden_size is None


def test_cpu_grid_every_initialiser_at_the_paper_lengths():
    for task in tasks.TASKS:
        g = sweep.grid(task, tier="cpu")
        assert g.counts() == {"identity": 8, "orthogonal": 8, "chain": 8, "fbchain": 8}
        assert g.lrs == sweep.CPU_LEARNING_RATES[task] and g.seeds == sweep.CPU_SEEDS
        assert all(c.max_updates == 20_000 and c.batch_size == 16 and c.seq_len is None for c in g.configs())
    assert sweep.grid("copy", tier="cpu").scales["chain"] == (1.02,)  # the authors' README setting


def test_quick_grid_is_tiny_and_customisable():
    g = sweep.grid("copy", quick=True)
    assert len(g) == 8 and g.base.seq_len == 60 and g.base.max_updates == 400 and g.base.threads == 1
    assert sweep.grid("psmnist", quick=True).base.data_source == "digits"
    h = sweep.grid("addition", quick=True, inits=["chain"], scales={"chain": (1.0, 1.05)}, lrs=[1e-3], seeds=[1, 2],
                   max_updates=10)
    assert h.counts() == {"chain": 4} and all(c.max_updates == 10 for c in h.configs())


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16])
def test_shards_cover_the_grid_exactly_once(n):
    cfgs = sweep.grid("copy", quick=False, seeds=[1, 2]).configs()
    shards = [sweep.shard(cfgs, i, n) for i in range(n)]
    names = [c.run_name() for s in shards for c in s]
    assert sorted(names) == sorted(c.run_name() for c in cfgs) and len(set(names)) == len(names)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    assert [c.run_name() for c in sweep.shard(cfgs[::-1], 0, n)] == [c.run_name() for c in shards[0]]
    assert sweep.parse_shard(f"{n - 1}/{n}") == (n - 1, n)


def test_ensembles_group_by_seed_and_balance():
    cfgs = sweep.grid("copy", quick=False, seeds=[1, 2], lrs=[1e-3, 1e-4]).configs()  # 64 configs per seed
    groups = sweep.ensembles(cfgs, ensemble_size=20)  # 64 = 4 x 16, not 20 + 20 + 20 + 4
    assert sum(map(len, groups)) == len(cfgs)
    assert sorted(map(len, groups)) == [16] * 8
    for g in groups:
        assert len({c.seed for c in g}) == 1
    assert sweep.default_ensemble_size(cfgs[0].replace(device="cpu")) == 32


def test_sweep_resume_skips_finished_runs(tmp_path):
    g = sweep.grid("addition", quick=True, inits=["chain", "fbchain"], lrs=[1e-3], seeds=[1, 2], **TINY)
    first = sweep.run_sweep(g, str(tmp_path), progress=False)
    assert len(first) == 4 and all(r["status"] == "completed" for r in first)
    paths = {r["name"]: pathlib.Path(r["path"]) for r in first}
    assert len({p.parent for p in paths.values()}) == 1  # one protocol, one directory
    mtimes = {n: p.stat().st_mtime_ns for n, p in paths.items()}
    victim = first[1]["name"]
    paths[victim].unlink()
    again = sweep.run_sweep(g, str(tmp_path), progress=False)
    assert [_strip(r) for r in again] == [_strip(r) for r in first]
    for n, p in paths.items():
        assert (p.stat().st_mtime_ns == mtimes[n]) == (n != victim)
    assert sweep.pending(g.configs(), str(tmp_path)) == []
    # a shard of the grid in a fresh directory trains only its own runs
    part = sweep.run_sweep(g, str(tmp_path / "s"), shard_index=1, shard_count=2, progress=False)
    assert [r["name"] for r in part] == [c.run_name() for c in sweep.shard(g.configs(), 1, 2)]
    assert len(list((tmp_path / "s").glob("*/*.json"))) == 2


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sweep.parse_shard("3/2"), "shard"),
        (lambda: sweep.parse_shard("a/b"), "shard"),
        (lambda: sweep.shard([], 2, 2), "index"),
        (lambda: sweep.shard([], 0, 0), "count"),
        (lambda: sweep.grid("copy", quick=True, inits=["random"]), "inits"),
        (lambda: sweep.grid("copy", quick=True, lrs=[-1.0]), "lrs"),
        (lambda: sweep.grid("copy", quick=True, seeds=[]), "seeds"),
        (lambda: sweep.grid("mnist", quick=True), "task"),
        (lambda: training.train_ensemble([_tiny(seed=1), _tiny(seed=2)], "unused"), "differ only"),
        (lambda: training.train_ensemble([_tiny(), _tiny()], "unused"), "distinct"),
        (lambda: sweep.run_sweep([_tiny()], "unused", ensemble_size=0), "ensemble_size"),
        (lambda: sweep.run_sweep([_tiny()], "unused", shard_index=0), "shard_count"),
        (lambda: optim.RMSpropPerModel([torch.zeros(2, 3)], [1e-3]), "lr"),
        (lambda: summary.summarize([{"a": 1}, "x"]), "results"),
        (lambda: summary.load_results("/nonexistent/dir"), "paths"),
    ],
)
def test_bad_inputs_name_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


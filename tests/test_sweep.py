"""The Figure 3 sweep: paper grids, batched ensembles, per-model RMSprop, divergence, shards, resume, summaries."""

import json
import os

import numpy as np
import pytest
import torch

from nnrnn_edu import sweep, tasks, train
from nnrnn_edu.models import EnsembleRNN, VanillaRNN, clip_grad_norm_per_model_

TINY = dict(
    seq_len=30, hidden_size=12, batch_size=8, val_size=32, eval_batch_size=16, threads=1,
    max_updates=60, eval_every=20,
)


def _tiny(task="copy", **kw):
    args = dict(TINY)
    args.update(kw)
    return train.preset(task, quick=True, **args)


def _strip(res):
    return {k: v for k, v in res.items() if k not in ("timing", "provenance")}


# --------------------------------------------------------------------------- grids


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


def test_quick_grid_is_tiny_and_customisable():
    g = sweep.grid("copy", quick=True)
    assert len(g) == 8 and g.base.seq_len == 60 and g.base.max_updates == 400 and g.base.threads == 1
    assert sweep.grid("psmnist", quick=True).base.data_source == "digits"
    h = sweep.grid("addition", quick=True, inits=["chain"], scales={"chain": (1.0, 1.05)}, lrs=[1e-3], seeds=[1, 2],
                   max_updates=10)
    assert h.counts() == {"chain": 4} and all(c.max_updates == 10 for c in h.configs())


# --------------------------------------------------------------------------- optimiser


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rmsprop_per_model_equals_torch_step_for_step(dtype):
    """Same order of floating-point operations as torch's RMSprop: bitwise equal."""
    gen = torch.Generator().manual_seed(0)
    K, lrs = 3, [1e-3, 3e-4, 5e-5]
    P = [torch.randn(K, 5, 4, generator=gen, dtype=dtype), torch.randn(K, 7, generator=gen, dtype=dtype)]
    ens = [p.clone().requires_grad_() for p in P]
    singles = [[p[k].clone().requires_grad_() for p in P] for k in range(K)]
    opt = sweep.RMSpropPerModel(ens, lrs, rho=0.9, eps=1e-7)
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


def test_ensemble_training_float64_equals_separate_models():
    """Model level, float64: ensemble + per-model clip + RMSpropPerModel == K x (VanillaRNN + torch RMSprop).

    Includes the relu identity network, which is too sensitive for a float32 comparison
    (rounding differences of 1e-7 grow to O(1) within 40 updates), but agrees to ~1e-10 in float64.
    """
    dt = torch.float64
    specs = [("chain", 1.02, 1e-3), ("identity", 1.0, 1e-3), ("orthogonal", 1.0, 3e-3), ("fbchain", 0.04, 3e-4)]
    singles = [VanillaRNN(2, 12, 1, "relu", i, s, "last", seed=k, dtype=dt) for k, (i, s, _) in enumerate(specs)]
    opts = [torch.optim.RMSprop(m.parameters(), lr=lr, alpha=0.9, eps=1e-7) for m, (_, _, lr) in zip(singles, specs)]
    ens = EnsembleRNN(4, 2, 12, 1, "relu", [s[0] for s in specs], [s[1] for s in specs], "last",
                      seeds=[0, 1, 2, 3], dtype=dt)
    eopt = sweep.RMSpropPerModel(list(ens.parameters()), [s[2] for s in specs])
    gen = torch.Generator().manual_seed(1)
    for _ in range(40):
        x, y = tasks.addition_task(8, 30, gen)
        x, y = x.to(dt), y.to(dt)
        ref = []
        for m, o in zip(singles, opts):
            o.zero_grad()
            loss = tasks.task_loss("addition", m(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 10.0)
            o.step()
            ref.append(loss.item())
        eopt.zero_grad()
        losses = tasks.task_loss("addition", ens(x), y)
        losses.sum().backward()
        clip_grad_norm_per_model_(list(ens.parameters()), 10.0)
        eopt.step()
        np.testing.assert_allclose(losses.detach().numpy(), ref, rtol=1e-8)
    for k, m in enumerate(singles):
        torch.testing.assert_close(ens.weight_hh[k], m.weight_hh, rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------- ensembles vs train.train


@pytest.mark.parametrize("task", ["copy", "psmnist"])
def test_ensemble_equals_separate_train_runs(tmp_path, task):
    """train_ensemble writes what K separate train.train runs write.

    float32, so only rounding differs (stacked baddbmm vs per-model addmm): ~1e-7 relative,
    grown to at most ~1e-6 over 60 updates for these well-conditioned networks; rtol 1e-4 is ample.
    """
    kw = {"hidden_size": 8} if task == "psmnist" else {}
    if task == "psmnist":
        kw.update(seq_len=None)
    cfgs = [_tiny(task, init=i, init_scale=s, lr=lr, **kw)
            for i, s, lr in [("chain", 1.02, 1e-3), ("fbchain", 0.04, 3e-4), ("orthogonal", 1.0, 1e-3)]]
    single = [train.train(c, str(tmp_path / "single"), progress=False) for c in cfgs]
    ens = sweep.train_ensemble(cfgs, str(tmp_path / "ens"), progress=False)
    for a, b in zip(single, ens):
        assert a["name"] == b["name"] and a["status"] == b["status"] == "completed"
        for key in ("val_loss", "train_loss"):
            np.testing.assert_allclose(b["history"][key], a["history"][key], rtol=1e-4)
        same = ("config", "seed", "updates", "total_updates", "updates_per_epoch", "baseline_loss",
                "success_threshold", "success", "dataset", "model", "version")
        assert {k: a[k] for k in same} == {k: b[k] for k in same}
        assert b["history"]["update"] == a["history"]["update"]
        assert b["timing"]["ensemble_size"] == 3 and b["provenance"]["device"] == "cpu"
        on_disk = json.loads((tmp_path / "ens" / (b["name"] + ".json")).read_text())
        assert on_disk == json.loads(json.dumps(b))
    assert not list((tmp_path / "ens" / "checkpoints").glob("*"))


def test_divergence_of_one_member_does_not_affect_the_others(tmp_path):
    good = [_tiny("addition", init="chain", init_scale=1.0, lr=1e-3),
            _tiny("addition", init="orthogonal", init_scale=1.0, lr=3e-4)]
    bad = _tiny("addition", init="identity", init_scale=1e10, lr=1e-3, nonlinearity=None)
    good = [c.replace(check_every=5) for c in good]
    bad = bad.replace(check_every=5)
    mixed = sweep.train_ensemble([good[0], bad, good[1]], str(tmp_path / "mixed"), progress=False)
    clean = sweep.train_ensemble(good, str(tmp_path / "clean"), progress=False)
    alone = train.train(bad, str(tmp_path / "alone"), progress=False)
    assert mixed[1]["status"] == alone["status"] == "diverged"
    assert mixed[1]["updates"] == alone["updates"] == 5 and mixed[1]["success"] is False
    for m, c in zip([mixed[0], mixed[2]], clean):
        assert m["status"] == c["status"] == "completed" and m["updates"] == 60
        np.testing.assert_allclose(m["history"]["val_loss"], c["history"]["val_loss"], rtol=1e-5)
        assert all(np.isfinite(m["history"]["val_loss"]))


def test_early_stopped_members_leave_and_all_done(tmp_path):
    cfgs = [_tiny("copy", init=i, early_stop_loss=1e9) for i in ("chain", "identity")]
    res = sweep.train_ensemble(cfgs, str(tmp_path), progress=False)
    assert [r["status"] for r in res] == ["early_stopped"] * 2 and all(r["updates"] == 20 for r in res)


def test_interrupted_ensemble_resumes_from_checkpoint(tmp_path, monkeypatch):
    cfgs = [_tiny("copy", init=i, lr=1e-3) for i in ("chain", "orthogonal")]
    ref = sweep.train_ensemble(cfgs, str(tmp_path / "ref"), progress=False)
    calls = {"n": 0}
    real = sweep._evaluate_ensemble

    def flaky(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(sweep, "_evaluate_ensemble", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep.train_ensemble(cfgs, str(tmp_path / "run"), progress=False)
    monkeypatch.setattr(sweep, "_evaluate_ensemble", real)
    ckpts = list((tmp_path / "run" / "checkpoints").glob("ensemble-*.pt"))
    assert len(ckpts) == 1
    assert json.loads((tmp_path / "run" / (ref[0]["name"] + ".json")).read_text())["status"] == "running"
    res = sweep.train_ensemble(cfgs, str(tmp_path / "run"), progress=False)
    assert [_strip(r) for r in res] == [_strip(r) for r in ref]
    assert all(r["timing"]["resumes"] == 1 for r in res) and not ckpts[0].exists()


# --------------------------------------------------------------------------- shards, groups, resume


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
    paths = {r["name"]: tmp_path / (r["name"] + ".json") for r in first}
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
    assert len(list((tmp_path / "s").glob("*.json"))) == 2


# --------------------------------------------------------------------------- summaries


def _fake(task, init, scale, lr, seed, final, status="completed", thr=0.1):
    cfg = train.TrainConfig(task=task, init=init, init_scale=scale, lr=lr, seed=seed)
    vals = [1.0, final]
    return {
        "version": 1, "name": cfg.run_name(), "config": cfg.to_dict(), "seed": seed, "status": status,
        "history": {"update": [10, 20], "epoch": [0.5, 1.0], "train_loss": [1.1, final], "val_loss": vals},
        "best_val_loss": min(vals), "final_val_loss": final, "baseline_loss": 2 * thr, "success_threshold": thr,
        "success": bool(status != "running" and final < thr),
    }


def test_summarize_synthetic_results(tmp_path):
    runs = [
        _fake("copy", "chain", 1.0, 1e-3, 1, 0.05),
        _fake("copy", "chain", 1.0, 1e-3, 2, 0.01),  # best chain run
        _fake("copy", "chain", 1.05, 1e-4, 1, 0.5),
        _fake("copy", "chain", 1.05, 1e-3, 1, float("nan"), status="diverged"),
        _fake("copy", "identity", 1.0, 1e-3, 1, 0.3),
        _fake("copy", "identity", 1.0, 1e-4, 1, 0.01, status="running"),
        _fake("addition", "chain", 1.0, 1e-3, 1, 0.01),
    ]
    for i, r in enumerate(runs):
        sub = tmp_path / f"shard{i % 2}"
        sub.mkdir(exist_ok=True)
        train.write_json_atomic(str(sub / (r["name"] + ".json")), r)
    (tmp_path / "notes.json").write_text(json.dumps({"not": "a result"}))
    os.makedirs(tmp_path / "checkpoints", exist_ok=True)
    s = sweep.summarize(str(tmp_path))
    assert set(s) == {"copy", "addition"}
    copy = s["copy"]
    assert list(copy["models"]) == ["identity", "chain"]  # Figure 3 order
    chain = copy["models"]["chain"]
    assert (chain["n_runs"], chain["n_success"], chain["n_diverged"], chain["n_running"]) == (4, 2, 1, 0)
    assert chain["best"]["name"] == "copy_chain_1.0_0.001_2" and chain["best"]["seed"] == 2
    np.testing.assert_array_equal(chain["best"]["val_loss"], [1.0, 0.01])
    assert chain["scales"] == [1.0, 1.05] and chain["lrs"] == [1e-3, 1e-4]
    np.testing.assert_array_equal(chain["success_grid"], [[2, 0], [0, 0]])
    ident = copy["models"]["identity"]
    assert (ident["n_runs"], ident["n_success"], ident["n_running"]) == (1, 0, 1)
    assert copy["success_threshold"] == 0.1
    only = sweep.summarize(runs, task="addition")
    assert set(only) == {"addition"} and only["addition"]["models"]["chain"]["n_success"] == 1
    table = sweep.summary_table(s)
    assert "chain" in table and "2/4" in table
    assert sweep.summarize([]) == {}


# --------------------------------------------------------------------------- bad input


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
        (lambda: sweep.train_ensemble([_tiny(seed=1), _tiny(seed=2)], "unused"), "differ only"),
        (lambda: sweep.train_ensemble([_tiny(), _tiny()], "unused"), "distinct"),
        (lambda: sweep.run_sweep([_tiny()], "unused", ensemble_size=0), "ensemble_size"),
        (lambda: sweep.run_sweep([_tiny()], "unused", shard_index=0), "shard_count"),
        (lambda: sweep.RMSpropPerModel([torch.zeros(2, 3)], [1e-3]), "lr"),
        (lambda: sweep.summarize([{"a": 1}, "x"]), "results"),
        (lambda: sweep.load_results("/nonexistent/dir"), "paths"),
    ],
)
def test_bad_inputs_name_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --------------------------------------------------------------------------- Figure 3 of chapter 3


def test_best_setting_is_averaged_over_seeds():
    runs = [
        _fake("copy", "chain", 1.0, 1e-3, 1, 0.05),
        _fake("copy", "chain", 1.0, 1e-3, 2, 0.01),  # mean 0.03
        _fake("copy", "chain", 1.05, 1e-4, 1, 0.02),
        _fake("copy", "chain", 1.05, 1e-4, 2, 0.02),  # mean 0.02: the best setting
        _fake("copy", "chain", 1.02, 1e-4, 1, 0.001),
        _fake("copy", "chain", 1.02, 1e-4, 2, float("nan"), status="diverged"),  # never best
    ]
    best = sweep.summarize(runs)["copy"]["models"]["chain"]["best_setting"]
    assert (best["init_scale"], best["lr"], best["seeds"]) == (1.05, 1e-4, [1, 2])
    assert best["mean_final_val_loss"] == pytest.approx(0.02)
    np.testing.assert_allclose(best["val_loss_mean"], [1.0, 0.02])
    np.testing.assert_allclose(best["val_loss_sem"], [0.0, 0.0])
    assert sweep.summarize(runs[-1:])["copy"]["models"]["chain"]["best_setting"] is None


def test_is_full_scale():
    full = train.preset("copy", quick=False).replace(init="identity", lr=3e-6, seed=4)
    assert sweep.is_full_scale({"config": full.to_dict(), "dataset": {"name": "copy"}})
    quick = train.preset("copy", quick=True)
    assert not sweep.is_full_scale({"config": quick.to_dict()})
    ps = train.preset("psmnist", quick=False).to_dict()
    assert sweep.is_full_scale({"config": ps, "dataset": {"name": "psMNIST"}})
    assert not sweep.is_full_scale({"config": ps, "dataset": {"name": "psDigits"}})  # offline fallback
    with pytest.raises(ValueError, match="result"):
        sweep.is_full_scale({"name": "x"})


def test_chapter_grid_sizes():
    q, c = sweep.chapter_grid("copy", quick=True), sweep.chapter_grid("copy", quick=False)
    assert len(q) == 8 and len(c) == 16
    assert c.base.max_updates == sweep.CHAPTER_UPDATES > q.base.max_updates
    assert not sweep.is_full_scale({"config": c.configs()[0].to_dict()})


def test_figure3_results_prefers_full_scale_results(tmp_path):
    summary, source = sweep.figure3_results(str(tmp_path), tasks=("psmnist",), quick=True, progress=False)
    assert "small CPU sweep" in source and "psDigits" in source and "not the paper's" in source
    assert summary["psmnist"]["models"]["chain"]["n_runs"] == 2
    assert len(list((tmp_path / "quick" / "quick" / "psmnist").glob("*.json"))) == 8
    again, _ = sweep.figure3_results(str(tmp_path), tasks=("psmnist",), quick=True, progress=False)
    assert again["psmnist"]["models"]["chain"]["best"]["name"] == summary["psmnist"]["models"]["chain"]["best"]["name"]
    # a full-scale result (e.g. copied from a GPU run) takes over for its task
    cfg = train.preset("psmnist", quick=False).replace(init="chain", init_scale=1.0, lr=1e-4)
    r = _fake("psmnist", "chain", 1.0, 1e-4, 1, 0.5)
    r.update(config=cfg.to_dict(), dataset={"name": "psMNIST"},
             provenance={"device": "cuda", "git_commit": "abcdef123"})
    os.makedirs(tmp_path / "full")
    train.write_json_atomic(str(tmp_path / "full" / (r["name"] + ".json")), r)
    summary, source = sweep.figure3_results(str(tmp_path), tasks=("psmnist",), quick=True, progress=False)
    assert source.startswith("psmnist: full-scale results (1 runs on cuda, commit abcdef1)")
    assert list(summary["psmnist"]["models"]) == ["chain"]
    with pytest.raises(ValueError, match="tasks"):
        sweep.figure3_results(str(tmp_path), tasks="copy")

"""Chapter 3's CPU sweep and Figure 3 from the best results available (nnrnn_edu.chapters.ch03)."""

import os

import pytest

from _fake_results import fake_result

from nnrnn_edu import training
from nnrnn_edu.chapters import ch03
from nnrnn_edu.training import summary


def test_chapter_grid_sizes():
    q, c = ch03.chapter_grid("copy", quick=True), ch03.chapter_grid("copy", quick=False)
    assert len(q) == 8 and len(c) == 16
    assert c.base.max_updates == ch03.CHAPTER_UPDATES > q.base.max_updates
    assert not summary.is_full_scale({"config": c.configs()[0].to_dict()})


def test_figure3_results_prefers_full_scale_results(tmp_path):
    summary, source = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), quick=True, progress=False)
    source = str(source)
    assert "small CPU run (quick preset" in source and "psDigits" in source and "not the paper's" in source
    assert summary["psmnist"]["models"]["chain"]["n_runs"] == 2
    assert len(list((tmp_path / "quick" / "quick" / "psmnist").glob("psmnist-vanilla-psDigits-*/*.json"))) == 8
    again, _ = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), quick=True, progress=False)
    assert again["psmnist"]["models"]["chain"]["best"]["name"] == summary["psmnist"]["models"]["chain"]["best"]["name"]
    # a full-scale result (e.g. copied from a GPU run) takes over for its task
    cfg = training.preset("psmnist", quick=False).replace(init="chain", init_scale=1.0, lr=1e-4)
    r = fake_result("psmnist", "chain", 1.0, 1e-4, 1, 0.5)
    r.update(config=cfg.to_dict(), dataset={"name": "psMNIST"},
             provenance={"device": "cuda", "git_commit": "abcdef123"})
    os.makedirs(tmp_path / "full")
    training.write_json_atomic(str(tmp_path / "full" / (r["name"] + ".json")), r)
    summary, source = ch03.figure3_results(str(tmp_path), tasks=("psmnist",), quick=True, progress=False)
    assert str(source).startswith("psmnist: full-scale results (1 runs on cuda, commit abcdef1)")
    assert source["psmnist"].full_scale and source["psmnist"].commits == ("abcdef1",)
    assert list(summary["psmnist"]["models"]) == ["chain"]
    with pytest.raises(ValueError, match="tasks"):
        ch03.figure3_results(str(tmp_path), tasks="copy")


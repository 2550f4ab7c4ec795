"""The exercises' checker (nnrnn_edu.exercises): right answers pass, typical wrong ones get their hint."""

import math

import numpy as np
import pytest

from nnrnn_edu import exercises as ex

CLOSED_FORMS = {  # each exercise's answer worked out by hand, independently of the library code that checks it
    "ch01-chain-memory": lambda p: p["alpha"] ** (2 * p["k"]) / sum(p["alpha"] ** (2 * j) for j in range(p["k"] + 1)),
    "ch01-normal-total": lambda p: 1.0,
    "ch02-noisy-chain": lambda p: 1 / (1 + (p["k"] + 1) * p["sigma"] ** 2),
    "ch02-relu-chain": lambda p: 1 / (2 - 2 / math.pi),  # corr(s, relu(s))^2 for s ~ N(0, 1)
    "ch03-copy-baseline": lambda p: 10 * math.log(8) / p["T"],
    "ch03-addition-line": lambda p: 1 / 12,
    "ch04-fbchain-henrici": lambda p: abs(p["alpha"] - p["beta"]) * math.sqrt(p["N"] - 1),
}


@pytest.fixture(autouse=True)
def _cpu_tier(monkeypatch):
    """The read-a-figure exercise of chapter 3 reads the tier's results: the cpu tier's are committed."""
    monkeypatch.delenv("NNRNN_EDU_QUICK", raising=False)
    monkeypatch.delenv("NNRNN_EDU_RESULTS", raising=False)
    monkeypatch.setenv("NNRNN_EDU_TIER", "cpu")


def test_every_exercise_is_well_formed_and_the_book_covers_what_it_must():
    assert {e.kind for e in ex.EXERCISES.values()} == set(ex.KINDS)
    for eid, e in ex.EXERCISES.items():
        assert e.id == eid and eid.startswith(f"ch{e.chapter:02d}-") and e.kind in ex.KINDS
    per_chapter = [sum(e.chapter == c for e in ex.EXERCISES.values()) for c in (1, 2, 3, 4)]
    assert all(2 <= n <= 4 for n in per_chapter)


@pytest.mark.parametrize("eid", sorted(CLOSED_FORMS))
def test_expected_answers_match_the_closed_forms(eid):
    e = ex.EXERCISES[eid]
    assert e.expected(e.params) == pytest.approx(CLOSED_FORMS[eid](e.params), rel=1e-9)


@pytest.mark.parametrize("eid", sorted(ex.EXERCISES))
def test_the_right_answer_passes_and_none_is_not_marked_wrong(eid):
    e = ex.EXERCISES[eid]
    right = e.expected(e.params)
    fb = ex.check(eid, right)
    assert fb and fb.correct and repr(fb) == "Right." and fb.exercise_id == eid
    if isinstance(right, float):  # numbers: tolerant, within rtol, never beyond
        assert ex.check(eid, right * (1 + 0.5 * e.rtol)) and ex.check(eid, np.float32(right))
        assert not ex.check(eid, right * (1 + 2 * e.rtol))
        assert not ex.check(eid, float("nan")) and not ex.check(eid, True)
    pending = ex.check(eid, None)
    assert not pending and str(pending).startswith("Not answered yet") and e.answer in str(pending)


@pytest.mark.parametrize("eid", sorted(e.id for e in ex.EXERCISES.values() if e.wrong))
def test_typical_wrong_answers_fail_with_their_own_hint(eid):
    e = ex.EXERCISES[eid]
    right = e.expected(e.params)
    seen = set()
    for value, hint in e.wrong:
        v = value(e.params)
        assert not math.isclose(v, right, rel_tol=2 * e.rtol)  # a typical mistake is really a different number
        fb = ex.check(eid, v)
        assert not fb and str(fb).startswith("Not yet.")
        seen.add(str(fb))
    assert len(seen) >= len(e.wrong) - 1  # at most two mistakes share a number (and then a hint)
    other = ex.check(eid, right * 3.7 + 1)
    assert not other and e.hint in str(other)
    assert "the answer is" in str(ex.check(eid, "a string"))


def test_read_a_figure_exercises():
    assert ex.EXERCISES["ch03-copy-chain"].expected({}) == 2  # the committed cpu tier: 2 of 8 chain runs
    assert ex.check("ch03-copy-chain", 2) and ex.check("ch03-copy-chain", np.int64(2)) and ex.check("ch03-copy-chain", 2.0)
    assert not ex.check("ch03-copy-chain", 3) and not ex.check("ch03-copy-chain", 2.5)
    letter, lag = ex.EXERCISES["ch04-hidden-chain"].expected(ex.EXERCISES["ch04-hidden-chain"].params)
    assert ex.check("ch04-hidden-chain", (letter, lag)) and ex.check("ch04-hidden-chain", [f" {letter.lower()}", lag])
    for bad in ((letter, -lag), ({"A": "B", "B": "C", "C": "A"}[letter], lag), letter, (letter, lag, 0), (letter, "x")):
        fb = ex.check("ch04-hidden-chain", bad)
        assert not fb and ex.EXERCISES["ch04-hidden-chain"].hint in str(fb)


def test_the_copy_count_without_results_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("NNRNN_EDU_TIER", "quick")
    monkeypatch.setenv("NNRNN_EDU_RESULTS", str(tmp_path))
    with pytest.raises(ValueError, match="run the Figure 3 cell of chapter 3 first"):
        ex.check("ch03-copy-chain", 2)


@pytest.mark.parametrize("seed", range(12))
def test_the_mystery_networks_hide_exactly_one_chain_and_the_checker_finds_it(seed):
    nets = ex.mystery_networks(seed)
    assert sorted(nets) == ["A", "B", "C"]
    chains = [k for k, (W, v, b, f) in nets.items() if np.max(W) > 0.9]  # the chain's 0.99 weights
    assert len(chains) == 1 and all(W.shape == (ex.MYSTERY_N,) * 2 and f == "elu" for W, v, b, f in nets.values())
    W = nets[chains[0]][0]
    assert not np.allclose(np.diag(W, -1), 0.99, atol=0.05)  # shuffled: the chain is not on the sub-diagonal
    assert ex._hidden_chain({"seed": seed, "max_lag": 5}) == (chains[0], 1)
    for k, (W, *_rest) in nets.items():
        if k != chains[0]:
            assert np.max(np.abs(np.linalg.eigvals(W))) < 0.951  # the normal ones are stable
            assert np.allclose(W @ W.T, W.T @ W, atol=1e-10)  # and normal
    assert {k: n[0].tolist() for k, n in ex.mystery_networks(seed).items()} == {k: n[0].tolist() for k, n in nets.items()}


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        ex.check("ch09-nothing", 1.0)
    with pytest.raises(ValueError, match="exercise_id"):
        ex.check(3, 1.0)
    with pytest.raises(ValueError, match="seed must be an integer"):
        ex.mystery_networks(1.5)


def _chapter_cells(chapter: int) -> list:
    import pathlib

    import jupytext

    book = pathlib.Path(__file__).resolve().parents[1] / "book"
    (md,) = book.glob(f"{chapter:02d}_*.md")
    return jupytext.read(md).cells


@pytest.mark.parametrize("eid", sorted(ex.EXERCISES))
def test_every_exercise_is_posed_in_its_chapter_with_a_folded_solution_that_checks_it(eid):
    """A question cell that checks ``answer = None`` (nothing on the page states the answer), then a solution
    cell folded in the book (hide-cell), in JupyterLab (source_hidden) and on Colab (a form titled Solution),
    which asserts that its answer passes the checker: under nbval a stale solution fails."""
    cells = [c for c in _chapter_cells(ex.EXERCISES[eid].chapter) if c.cell_type == "code"]
    asks = [i for i, c in enumerate(cells) if f'exercises.check("{eid}", answer)' in c.source]
    assert len(asks) == 1, f"{eid}: one question cell"
    question, solution = cells[asks[0]], cells[asks[0] + 1]
    assert "answer = None" in question.source and "hide-cell" not in question.metadata.get("tags", [])
    meta = solution.metadata
    assert "hide-cell" in meta.get("tags", []) and meta.get("jupyter", {}).get("source_hidden") is True
    assert meta.get("cellView") == "form" and solution.source.startswith("#@title Solution")
    assert meta.get("mystnb", {}).get("code_prompt_show") == "Show the solution"
    assert f'assert exercises.check("{eid}",' in solution.source or f'exercises.check("{eid}", ' in solution.source
    assert any(line.startswith("assert") and f'exercises.check("{eid}"' in line for line in solution.source.splitlines())


def test_each_chapter_ends_with_two_to_four_exercises_of_different_kinds():
    for chapter in (1, 2, 3, 4):
        cells = _chapter_cells(chapter)
        heads = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Exercises" in c.source]
        assert len(heads) == 1 and not any("\n## " in "\n" + c.source for c in cells[heads[0] + 1:] if c.cell_type == "markdown")
        mine = [e for e in ex.EXERCISES.values() if e.chapter == chapter]
        assert 2 <= len(mine) <= 4 and len({e.kind for e in mine}) >= 2

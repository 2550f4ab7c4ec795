"""The figure-legibility rule (nnrnn_edu.plotting.legibility): what a reader of the book cannot read."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnrnn_edu.plotting import PAGE_WIDTH_IN, legibility_problems, legibility_report


def _good() -> Figure:
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(10), np.arange(10) ** 2, label="quadratic")
    ax.set(xlabel="lag k", ylabel="J(k)", title="A title\nwith a short subtitle")
    ax.legend(fontsize=8)
    return fig


def test_a_page_sized_figure_with_8pt_text_passes():
    fig = _good()
    report = legibility_report(fig)
    assert legibility_problems(fig) == [] and report.problems == ()
    assert report.scale == 1.0 and report.width_px <= 750 and report.title_lines == 2
    assert report.smallest.text == "quadratic" and report.smallest.displayed_pt == pytest.approx(8 * 100 / 96)
    assert {t.role for t in report.texts} >= {"title", "label", "tick label", "legend"}


def test_a_wide_figure_is_shrunk_and_its_text_flagged():
    fig = Figure(figsize=(14, 3.6), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="curve")
        ax.legend(fontsize=7)
    fig.colorbar(axes[0].imshow(np.eye(3)), ax=axes[0])
    fig.suptitle("Figure\nfrom tier quick, 400 updates per run, copy T = 60: 8 runs; addition T = 60: 8 runs")
    report = legibility_report(fig)
    assert report.width_px > 1300 and report.scale == pytest.approx(750 / report.width_px)
    problems = "\n".join(report.problems)
    # a 7 pt legend on a figure shrunk to ~0.54 shows at ~3.8 CSS pt, the smallest problem first
    assert report.problems[0].startswith("legend 'curve' (and 2 more): 7 pt shows as")
    assert "tick label" in problems and "suptitle" in problems
    assert "subtitle of 82 characters" in problems
    # the same figure drawn for the page passes once its text is large enough
    fig.set_size_inches(PAGE_WIDTH_IN, 3.0)
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle("Figure")
    assert legibility_problems(fig) == []


def test_titles_of_three_lines_overlapping_and_escaping_text_are_flagged():
    fig = _good()
    ax = fig.axes[0]
    ax.set_title("one\ntwo\nthree")
    ax.text(2, 50, "here", fontsize=10)
    ax.text(2, 50, "there", fontsize=10)
    fig.text(1.05, 0.5, "outside")
    problems = "\n".join(legibility_problems(fig))
    assert "title 'one / two / three' has 3 lines" in problems
    assert "text 'here' overlaps text 'there'" in problems
    assert "text 'outside' sticks out of the figure" in problems


def test_retina_dpi_does_not_change_what_the_reader_sees():
    fig = Figure(figsize=(10, 3), layout="constrained")
    fig.subplots().plot([0, 1])
    at_100 = legibility_report(fig).smallest.displayed_pt
    at_200 = legibility_report(fig, dpi=200).smallest.displayed_pt
    assert at_100 == pytest.approx(at_200, rel=0.02) and at_100 < 8  # a 10 in wide figure shows 10 pt as ~7.5 pt


def test_bad_arguments():
    with pytest.raises(ValueError, match="fig"):
        legibility_problems("not a figure")
    with pytest.raises(ValueError, match="page_width_px"):
        legibility_problems(_good(), page_width_px=0)

"""Chapter 1 plots (nnrnn_edu.plotting.ch01): connectivity, memory curves, J_tot against N, the explorer figure."""

import numpy as np
import pytest

from nnrnn_edu import connectivity as cx
from nnrnn_edu import plotting
from nnrnn_edu.chapters.ch01 import memory_explorer_data


def test_plot_connectivity_panels_and_labels():
    mats = {k: cx.recurrent_matrix(k, 30, 1.0, seed=0) for k in cx.KINDS}
    fig = plotting.plot_connectivity(mats, max_units=10)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 4
    assert images[2].images[0].get_array().shape == (10, 10)
    assert all(ax.get_xlabel() for ax in images) and images[0].get_ylabel()
    assert plotting.legibility_problems(fig) == []
    with pytest.raises(ValueError, match="matrices"):
        plotting.plot_connectivity({})


def test_plot_memory_curves_drops_zeros_on_log_axis():
    fig = plotting.plot_memory_curves({"a": np.array([1.0, 0.5, 0.0]), "b": np.ones(3)})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel().startswith("lag k")
    assert len(ax.lines[0].get_xdata()) == 2


def test_plot_total_memory_scaling_draws_totals_and_references():
    sizes = np.array([10, 100])
    fig = plotting.plot_total_memory_scaling({"chain": (sizes, np.array([2.9, 5.2]))},
                                             {"N": (sizes, sizes.astype(float))})
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [ln.get_label() for ln in ax.lines] == ["chain", "N"]
    assert np.array_equal(ax.lines[0].get_ydata(), [2.9, 5.2])
    with pytest.raises(ValueError, match="totals"):
        plotting.plot_total_memory_scaling({})


@pytest.mark.parametrize("kind", cx.KINDS)
def test_explorer_figure_draws_the_data(kind):
    data = memory_explorer_data(kind=kind, n=40, alpha=1.2, beta=0.05, lam=0.9, k_max=60)
    fig = plotting.plot_memory_explorer(data)
    keep = data.J > 0
    assert np.array_equal(fig.axes[0].lines[0].get_ydata(), data.J[keep])
    amp = data.amplification
    assert np.array_equal(fig.axes[1].lines[0].get_ydata(), amp[amp > 0])
    assert f"J_tot = {data.J_tot:.3g}" in fig._suptitle.get_text()


def test_explorer_figure_redraws_in_place_and_names_the_horizon():
    fig = plotting.plot_memory_explorer(memory_explorer_data(kind="chain", n=30))
    same = plotting.plot_memory_explorer(memory_explorer_data(kind="orthogonal", n=30, lam=1.0), fig=fig)
    assert same is fig and len(fig.axes) == 2
    assert "finite horizon T=60" in fig._suptitle.get_text()
    assert "J_tot = 1" in fig._suptitle.get_text()


def test_explorer_figure_fits_the_page_with_one_legend_and_passes_the_legibility_rule():
    from nnrnn_edu.plotting import PAGE_WIDTH_IN, legibility_report
    from nnrnn_edu.plotting.style import SMALL_PT

    fig = None
    for kw in (dict(kind="chain", n=100), dict(kind="fbchain", n=30, alpha=2.95, beta=0.45),
               dict(kind="orthogonal", n=40, lam=1.05), dict(kind="fbchain", n=100, alpha=1.5, beta=0.3),
               dict(kind="identity", n=400, lam=0.5), dict(kind="chain", n=10, alpha=0.5)):
        data = memory_explorer_data(**kw)
        for f in (plotting.plot_memory_explorer(data), fig := plotting.plot_memory_explorer(data, fig=fig)):
            report = legibility_report(f)
            assert f.get_figwidth() <= PAGE_WIDTH_IN and report.problems == (), (kw, report.problems)
            assert min(t.fontsize for t in report.texts) >= SMALL_PT, kw
            if data.error is None:  # one legend for both panels, none piled up by the redraws
                assert len(f.legends) == 1 and not any(ax.get_legend() for ax in f.axes), kw
                assert [t.get_text() for t in f.legends[0].get_texts()][1] == "chain, alpha = 1: J(k) = 1/(k+1)"


def test_explorer_figure_reports_the_error_instead_of_curves():
    fig = plotting.plot_memory_explorer(memory_explorer_data(kind="fbchain", n=100, alpha=1.5, beta=0.3))
    assert not fig.axes and any("cannot compute" in t.get_text() for t in fig.texts)


def test_complex_matrices_and_curves_raise_naming_them_instead_of_plotting_the_real_part():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning
        with pytest.raises(ValueError, match=r"^matrices\['chain'\] must be real; got a complex"):
            plotting.plot_connectivity({"chain": cx.chain(4) + 0.5j})
        with pytest.raises(ValueError, match=r"^curves\['J'\] must be real; got a complex"):
            plotting.plot_memory_curves({"J": np.ones(4) * 1j})


def test_network_graphs_draw_every_connection_and_the_input():
    from nnrnn_edu import connectivity as cx

    chain = cx.memory_network("chain", 6, alpha=1.0)
    ident = cx.memory_network("identity", 6, lam=0.9, seed=0)
    orth = cx.memory_network("orthogonal", 6, lam=1.0, seed=0)
    fig = plotting.plot_network_graphs({"chain": chain, "identity": ident, "orthogonal": orth},
                                       strongest={"orthogonal": 0.25})
    a_chain, a_ident, a_orth = fig.axes
    assert len(a_chain.patches) == 5 + 1  # five forward connections, the input into unit 0 only
    assert len(a_ident.patches) == 6 + 6  # six self-loops, Gaussian input into every unit
    n_nonzero = int(np.count_nonzero(orth[0]))
    kept = int(np.sum(np.abs(orth[0]) >= np.quantile(np.abs(orth[0][orth[0] != 0]), 0.75)))
    assert len(a_orth.patches) == kept + 6 and f"strongest {kept} of {n_nonzero} weights" in a_orth.get_title()
    assert [t.get_text() for t in a_chain.texts] == [str(i) for i in range(6)]
    for bad in ({}, {"x": (np.eye(3), np.ones(2))}):
        with pytest.raises(ValueError):
            plotting.plot_network_graphs(bad)
    with pytest.raises(ValueError, match="strongest"):
        plotting.plot_network_graphs({"chain": chain}, strongest=0.0)

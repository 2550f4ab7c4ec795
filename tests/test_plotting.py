"""The chapter-1 plotting functions and the explorer widget (callbacks tested without a browser)."""

import numpy as np
import pytest

from nnrnn_edu import connectivity as cx
from nnrnn_edu import plotting
from nnrnn_edu.memory import fisher_memory_curve, transient_amplification
from nnrnn_edu.widgets import MemoryExplorer


def test_plot_connectivity_panels_and_labels():
    mats = {k: cx.recurrent_matrix(k, 30, 1.0, seed=0) for k in cx.KINDS}
    fig = plotting.plot_connectivity(mats, max_units=10)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 4
    assert images[2].images[0].get_array().shape == (10, 10)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in images)
    with pytest.raises(ValueError, match="matrices"):
        plotting.plot_connectivity({})


def test_plot_memory_curves_drops_zeros_on_log_axis():
    fig = plotting.plot_memory_curves({"a": np.array([1.0, 0.5, 0.0]), "b": np.ones(3)})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel().startswith("lag k")
    assert len(ax.lines[0].get_xdata()) == 2


@pytest.mark.parametrize("kind", cx.KINDS)
def test_explorer_draws_the_library_curves(kind):
    fig = plotting.plot_memory_explorer(kind=kind, n=40, alpha=1.2, beta=0.05, lam=0.9, k_max=60)
    W, v = cx.memory_network(kind, 40, alpha=1.2, beta=0.05, lam=0.9, seed=0)
    J = fisher_memory_curve(W, v, 60)
    line = fig.axes[0].lines[0]
    keep = J > 0
    assert np.allclose(line.get_ydata(), J[keep])
    amp = transient_amplification(W, v, 60)
    assert np.allclose(fig.axes[1].lines[0].get_ydata(), amp[amp > 0])
    assert "J_tot" in fig._suptitle.get_text()


def test_explorer_redraws_in_place_and_uses_horizon_when_unstable():
    fig = plotting.plot_memory_explorer(kind="chain", n=30)
    same = plotting.plot_memory_explorer(kind="orthogonal", n=30, lam=1.0, fig=fig)
    assert same is fig and len(fig.axes) == 2
    assert "finite horizon T=60" in fig._suptitle.get_text()
    assert "J_tot = 1" in fig._suptitle.get_text()


def test_explorer_reports_ill_conditioned_networks_in_the_figure():
    fig = plotting.plot_memory_explorer(kind="fbchain", n=100, alpha=1.5, beta=0.3)
    assert any("cannot compute" in t.get_text() for t in fig.texts)


def test_explorer_bad_input():
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_memory_explorer(kind="ring")
    with pytest.raises(ValueError, match=r"\bn\b"):
        plotting.plot_memory_explorer(n=0)


def test_widget_slider_moves_redraw_the_same_figure():
    ex = MemoryExplorer(kind="chain", n=50, alpha=1.5)
    fig = ex.figure
    before = fig.axes[0].lines[0].get_ydata().copy()
    ex.controls["alpha"].value = 1.1  # what a slider drag does
    after = fig.axes[0].lines[0].get_ydata()
    assert ex.figure is fig
    assert not np.allclose(before[: len(after)], after[: len(before)])
    W, v = cx.memory_network("chain", 50, alpha=1.1)
    J = fisher_memory_curve(W, v, 100)
    assert np.allclose(after, J[J > 0])


def test_widget_kind_switch_enables_relevant_controls():
    ex = MemoryExplorer()
    ex.update(kind="orthogonal")
    assert ex.controls["alpha"].disabled and ex.controls["beta"].disabled and not ex.controls["lam"].disabled
    ex.update(kind="fbchain")
    assert not ex.controls["beta"].disabled and ex.controls["lam"].disabled
    with pytest.raises(ValueError, match="control"):
        ex.update(gamma=1)

"""The explorers (nnrnn_edu.widgets): each callback computes and draws into the widget's one figure;
slider moves redraw it in place. Tested without a browser (tests/browser drives a real JupyterLab)."""

import numpy as np
import pytest

from nnrnn_edu import connectivity as cx
from nnrnn_edu import decoding as dec
from nnrnn_edu.analysis import pseudospectrum_explorer_data
from nnrnn_edu.chapters import ch02
from nnrnn_edu.chapters.ch01 import memory_explorer_data
from nnrnn_edu.memory import fisher_memory_curve
from nnrnn_edu.widgets import (
    DecodingExplorer,
    MemoryExplorer,
    PseudospectrumExplorer,
    draw_decoding_explorer,
    draw_memory_explorer,
    draw_pseudospectrum_explorer,
)


def _e1(n):
    v = np.zeros(n)
    v[0] = 1.0
    return v


# --------------------------------------------------------------------------- callbacks: compute + draw


def test_draw_memory_explorer_draws_the_computed_data_in_place():
    fig = draw_memory_explorer(kind="fbchain", n=40, alpha=1.2, beta=0.05)
    d = memory_explorer_data(kind="fbchain", n=40, alpha=1.2, beta=0.05)
    assert np.array_equal(fig.axes[0].lines[0].get_ydata(), d.J[d.J > 0])
    assert "beta=0.05" in fig._suptitle.get_text()
    assert draw_memory_explorer(fig=fig, kind="identity", n=40) is fig and "lambda=0.99" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="kind"):
        draw_memory_explorer(kind="ring")


def test_draw_decoding_explorer_draws_the_computed_data_in_place():
    fig = draw_decoding_explorer(nonlinearity="linear", n=30, seq_len=30, quick=True)
    d = ch02.decoding_explorer_data(nonlinearity="linear", n=30, seq_len=30, quick=True)
    assert np.array_equal(fig.axes[0].lines[0].get_ydata(), d.simulated["chain"])
    assert draw_decoding_explorer(fig=fig, nonlinearity="tanh", n=30, seq_len=30, quick=True) is fig
    assert "tanh" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="noise_std"):
        draw_decoding_explorer(noise_std=-1.0)


def test_draw_pseudospectrum_explorer_draws_the_computed_data_in_place():
    fig = draw_pseudospectrum_explorer(kind="chain", n=30, n_grid=30)
    d = pseudospectrum_explorer_data(kind="chain", n=30, n_grid=30)
    assert f"≈ {d.pseudospectral_radius:.3g}" in fig.axes[0].get_title()
    assert draw_pseudospectrum_explorer(fig=fig, kind="identity", n=30, n_grid=30) is fig
    assert len(fig.axes) == 1 and "identity" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="eps"):
        draw_pseudospectrum_explorer(eps=0.0)


# --------------------------------------------------------------------------- widgets: sliders redraw the same figure


def test_memory_widget_slider_moves_redraw_the_same_figure():
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


def test_memory_widget_kind_switch_enables_relevant_controls():
    ex = MemoryExplorer()
    ex.update(kind="orthogonal")
    assert ex.controls["alpha"].disabled and ex.controls["beta"].disabled and not ex.controls["lam"].disabled
    ex.update(kind="fbchain")
    assert not ex.controls["beta"].disabled and ex.controls["lam"].disabled
    with pytest.raises(ValueError, match="control"):
        ex.update(gamma=1)


def test_decoding_widget_slider_redraws_the_same_figure_with_the_new_curve():
    ex = DecodingExplorer(n=30, seq_len=30, nonlinearity="linear", noise_std=0.1)
    fig = ex.figure
    before = fig.axes[0].lines[0].get_ydata().copy()  # chain, simulated
    ex.controls["noise_std"].value = 0.5  # what a slider drag does
    after = fig.axes[0].lines[0].get_ydata()
    assert ex.figure is fig and len(fig.axes) == 1
    assert np.all(after < before)  # more noise, less memory at every lag
    p = ch02.decoding_preset()
    expected = dec.r2_curve(cx.chain(30), _e1(30), 30, 0.5, "linear",
                            n_train=max(p.explorer_n_train, 10 * 31), n_test=p.explorer_n_test, seed=0)
    assert np.array_equal(after, expected)
    ex.update(nonlinearity="tanh", input_scale=2.0)
    assert "tanh" in fig.axes[0].get_title() and "input scale 2" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="control"):
        ex.update(beta=1)


def test_pseudospectrum_widget_slider_moves_redraw_the_same_figure():
    ex = PseudospectrumExplorer(kind="fbchain", n=30)
    fig = ex.figure
    before = fig.axes[0].get_title()
    ex.controls["beta"].value = 0.3  # what a slider drag does
    assert ex.figure is fig and fig.axes[0].get_title() != before and "β=0.3" in fig.axes[0].get_title()
    ex.update(kind="identity")
    assert ex.controls["alpha"].disabled and not ex.controls["lam"].disabled
    ex.controls["eps"].value = 1e-4
    assert "ε=0.0001" in fig.axes[0].get_title()

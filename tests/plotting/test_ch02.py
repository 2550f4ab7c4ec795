"""Chapter 2 plots (nnrnn_edu.plotting.ch02): decoding curves, Figure 2, the explorer figure."""

import numpy as np
from matplotlib.figure import Figure

from nnrnn_edu.chapters import ch02
from nnrnn_edu.plotting import plot_decoding_curves, plot_decoding_explorer, plot_decoding_figure


def test_plot_decoding_curves_labels_and_lines():
    fig = plot_decoding_curves(
        {"chain": np.linspace(1, 0.5, 10), "orthogonal": np.full(10, 0.3)},
        {"chain": np.linspace(1, 0.5, 10)},
        title="test",
    )
    assert isinstance(fig, Figure) and fig.canvas.manager is None  # not registered with pyplot
    ax = fig.axes[0]
    assert ax.get_xlabel() == "lag k (steps into the past)" and ax.get_ylabel() == "decoding R²"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["chain (simulated)", "random orthogonal (simulated)", "chain (exact)"]


def test_explorer_figure_draws_the_data_and_redraws_in_place():
    noisy_elu = ch02.decoding_explorer_data(n=30, seq_len=30, quick=True)  # elu, sigma = 0.1: no exact curve
    fig = plot_decoding_explorer(noisy_elu)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert len(fig.axes[0].get_legend().get_texts()) == 2
    assert "elu" in fig.axes[0].get_title() and "σ = 0.1" in fig.axes[0].get_title()
    assert np.array_equal(fig.axes[0].lines[0].get_ydata(), noisy_elu.simulated["chain"])
    linear = ch02.decoding_explorer_data(nonlinearity="linear", n=30, seq_len=30, quick=True)
    same = plot_decoding_explorer(linear, fig=fig)
    assert same is fig and len(fig.axes) == 1
    assert len(fig.axes[0].get_legend().get_texts()) == 4  # both exact population curves
    plot_decoding_explorer(ch02.decoding_explorer_data(noise_std=0.0, n=30, seq_len=40, quick=True), fig=fig)
    assert len(fig.axes[0].get_legend().get_texts()) == 3  # the elu chain's quadrature curve


def test_explorer_figure_reports_the_error_instead_of_curves():
    d = ch02.decoding_explorer_data(nonlinearity="linear", alpha=1e20, n=20, seq_len=20, quick=True)
    fig = plot_decoding_explorer(d)
    assert not fig.axes and any("cannot decode here" in t.get_text() for t in fig.texts)


def test_figure2_plot_has_three_panels():
    p = ch02.DecodingPreset(n=20, seq_len=20, n_train=200, n_test=100, quick=True)
    fig = plot_decoding_figure(ch02.figure2_curves(p), p)
    assert len(fig.axes) == 3
    assert [ax.get_title()[0] for ax in fig.axes] == ["a", "b", "c"]


def test_complex_curves_raise_naming_them_instead_of_plotting_the_real_part():
    import warnings

    import pytest

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning
        with pytest.raises(ValueError, match=r"^curves\['chain'\] must be real; got a complex"):
            plot_decoding_curves({"chain": np.ones(4) * 1j})
        with pytest.raises(ValueError, match=r"^exact\['chain'\] must be real; got a complex"):
            plot_decoding_curves({"chain": np.ones(4)}, exact={"chain": np.ones(4) + 0j})


def test_figure2_and_input_scales_fit_the_page_with_one_legend():
    from nnrnn_edu.plotting import legibility_problems, plot_input_scales

    p = ch02.DecodingPreset(n=20, seq_len=20, n_train=200, n_test=100, quick=True)
    fig = plot_decoding_figure(ch02.figure2_curves(p), p)
    assert legibility_problems(fig) == [] and len(fig.legends) == 1
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert fig.axes[0].get_ylim()[0] <= min(min(c.min() for c in panel.values())
                                            for panel in ch02.figure2_curves(p)["simulated"].values())
    scales = ch02.input_scale_curves(p, scales=(0.5, 2.0))
    fig = plot_input_scales(scales)
    assert [ax.get_title() for ax in fig.axes] == ["input scale 0.5", "input scale 2"]
    assert np.array_equal(fig.axes[1].lines[0].get_ydata(), scales[2.0]["simulated"]["chain"])
    assert legibility_problems(fig) == []

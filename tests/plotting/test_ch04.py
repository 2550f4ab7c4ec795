"""Chapter 4 plots (nnrnn_edu.plotting.ch04): pseudospectra, the explorer figure, weight profiles, Henrici bars."""

import numpy as np
import pytest
from matplotlib.container import BarContainer

from nnrnn_edu import analysis as an
from nnrnn_edu import connectivity as cx
from nnrnn_edu import plotting


def test_plot_pseudospectrum_axes_and_levels():
    ps = an.pseudospectrum(cx.chain(30, 1.0), n_grid=30)
    fig = plotting.plot_pseudospectrum(ps, eps=(1e-1, 1e-3), highlight=1e-2)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Re z" and ax.get_ylabel() == "Im z"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "eigenvalues" in labels and "unit circle" in labels and any("0.001" in s for s in labels)
    eig_line = [ln for ln in ax.lines if ln.get_marker() == "o"][0]
    assert np.allclose(eig_line.get_xdata(), 0.0)
    with pytest.raises(ValueError, match="eps"):
        plotting.plot_pseudospectrum(ps, eps=-1.0)


def test_pseudospectrum_explorer_figure_redraws_in_place():
    data = an.pseudospectrum_explorer_data(kind="chain", n=30, n_grid=30)
    fig = plotting.plot_pseudospectrum_explorer(data)
    title = fig.axes[0].get_title()
    assert f"spectral radius {data.spectral_radius:.3g}" in title and "ε=0.01" in title
    other = an.pseudospectrum_explorer_data(kind="orthogonal", n=30, lam=0.9, n_grid=30)
    same = plotting.plot_pseudospectrum_explorer(other, fig=fig)
    assert same is fig and len(fig.axes) == 1
    assert "random orthogonal" in fig.axes[0].get_title() and "λ=0.9" in fig.axes[0].get_title()


def test_plot_weight_profile_and_henrici_bars():
    n = 20
    chain = an.mean_weight_profile([an.PulseNetwork(cx.chain(n, 1.0), np.eye(n)[0], np.zeros(n), "elu")] * 2)
    fig = plotting.plot_weight_profile({"chain": chain}, max_lag=5)
    ax = fig.axes[0]
    assert np.array_equal(ax.lines[0].get_xdata(), np.arange(-5, 6))
    assert ax.lines[0].get_ydata()[6] == pytest.approx(1.0) and ax.get_xlabel().startswith("order difference")
    assert len(ax.collections) == 1  # the s.e.m. band
    fig = plotting.plot_henrici_before_after(
        {"identity": [0.0, 0.0], "orthogonal": [0.0, 0.0, 0.0]},
        {"identity": [2.0, 2.6], "orthogonal": [2.7, 2.8, 2.75]},
        reference={"identity": (2.33, 1.02), "orthogonal": (2.74, 0.07)},
    )
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 and len(bars[0]) == 2 and bars[1][1].get_height() == pytest.approx(2.75)
    diamonds = [ln for ln in ax.lines if ln.get_marker() == "D"]
    assert [float(d.get_ydata()[0]) for d in diamonds] == [2.33, 2.74]  # the reference, one per kind
    with pytest.raises(ValueError, match="before"):
        plotting.plot_henrici_before_after({}, {"chain": [1.0]})


def test_henrici_bars_reject_complex_values_naming_them():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning
        with pytest.raises(ValueError, match=r"^after\['chain'\] must be real; got a complex"):
            plotting.plot_henrici_before_after({"chain": np.ones(3)}, {"chain": np.ones(3) * 1j})
        with pytest.raises(ValueError, match=r"^before\['chain'\] must be real; got a complex"):
            plotting.plot_henrici_before_after({"chain": 1j}, {"chain": np.ones(3)})


def _profiles():
    from nnrnn_edu.chapters.ch04 import RunGroup

    n = 12
    chain = an.PulseNetwork(cx.chain(n, 1.0), np.eye(n)[0], np.zeros(n), "elu")
    ident = an.PulseNetwork(np.eye(n), np.ones(n) / np.sqrt(n), np.zeros(n), "elu")
    group = RunGroup([{"dataset": {"name": "psDigits"}}], 2, 2, True, "2 of 2 runs successful")
    prof = {"initial": an.mean_weight_profile([ident] * 2), "final": an.mean_weight_profile([chain, ident]), "group": group}
    return {"psmnist": {"identity": prof, "orthogonal": prof}}


def test_figure5_fits_the_page_and_leaves_the_diagonal_off_the_scale():
    from nnrnn_edu.chapters import ch04

    profiles = _profiles()
    fig = plotting.plot_figure5(profiles, max_lag=5)
    assert plotting.legibility_problems(fig) == [] and len(fig.legends) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "psDigits, identity init\n2 of 2 runs successful"
    assert ax.get_ylim()[1] < 1.0  # the identity's diagonal of 1 is off the scale ...
    assert all(float(t).is_integer() for t in ax.get_xticks())  # whole order differences only
    assert ch04.diagonal_weights(profiles)["psmnist"]["identity"] == (1.0, 0.5)  # ... and printed instead
    # a task without one initialiser's networks (e.g. every one blew up): its panel says so instead of a blank
    profiles = {"addition": {"orthogonal": profiles["psmnist"]["orthogonal"]}, **profiles}
    fig = plotting.plot_figure5(profiles, max_lag=5)
    assert [ax.get_title().split(",")[1].strip() for ax in (fig.axes[1], fig.axes[2], fig.axes[3])] == \
        ["random orthogonal init\n2 of 2 runs successful", "identity init\n2 of 2 runs successful",
         "random orthogonal init\n2 of 2 runs successful"]  # identity first in every row, as in the paper
    blank = fig.axes[0]
    assert not blank.axison and [t.get_text() for t in blank.texts] == ["addition:\nno identity network\nto show"]
    assert plotting.legibility_problems(fig) == []
    with pytest.raises(ValueError, match="profiles"):
        plotting.plot_figure5({})


def test_henrici_table_and_pseudospectra_figures():
    from nnrnn_edu.chapters.ch04 import PAPER_TABLE2

    rows = {"identity": {"before": np.zeros(3), "after": np.array([2.0, 2.2, 2.4])},
            "orthogonal": {"before": np.full(3, 1e-7), "after": np.array([2.6, 2.7, 2.8])}}
    fig = plotting.plot_henrici_table({"addition": rows, "psmnist": rows}, reference=PAPER_TABLE2)
    assert [ax.get_title() for ax in fig.axes] == ["addition", "psMNIST"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["at initialisation", "after training",
                                                                  "paper (Table 2)"]
    assert plotting.legibility_problems(fig) == []
    pss = {kind: an.pseudospectrum(cx.memory_network(kind, 20)[0], n_grid=30) for kind in cx.KINDS}
    fig = plotting.plot_pseudospectra(pss, titles={"chain": "the chain"})
    assert [ax.get_title() for ax in fig.axes] == ["identity", "random orthogonal", "the chain", "chain with feedback"]
    assert plotting.legibility_problems(fig) == [] and len(fig.legends) == 1
    explorer = plotting.plot_pseudospectrum_explorer(an.pseudospectrum_explorer_data(kind="fbchain", n=30, n_grid=30))
    assert plotting.legibility_problems(explorer) == []
    with pytest.raises(ValueError, match="table"):
        plotting.plot_henrici_table({})
    with pytest.raises(ValueError, match="pseudospectra"):
        plotting.plot_pseudospectra({})

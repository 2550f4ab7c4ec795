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


# --------------------------------------------------------------------------- values outside a slider's range raise

from nnrnn_edu import widgets  # noqa: E402

EXPLORERS = {
    "memory": (MemoryExplorer, draw_memory_explorer, widgets._MEMORY_CONTROLS),
    "decoding": (DecodingExplorer, draw_decoding_explorer, widgets._DECODING_CONTROLS),
    "pseudospectrum": (PseudospectrumExplorer, draw_pseudospectrum_explorer, widgets._PSEUDOSPECTRUM_CONTROLS),
}

# explorer, argument, bad value, what the message must say
OUT_OF_RANGE = [
    ("memory", "n", 500, r"\[10, 400\]"),
    ("memory", "n", 5, r"\[10, 400\]"),
    ("memory", "alpha", 3.5, r"\[0.5, 3\]"),
    ("memory", "beta", -0.01, r"\[0, 0.5\]"),
    ("memory", "lam", 1.2, r"\[0, 1.05\]"),
    ("memory", "lam", float("nan"), r"\[0, 1.05\]"),
    ("decoding", "noise_std", 1.5, r"\[0, 1\]"),
    ("decoding", "input_scale", 20.0, r"\[0.1, 10\]"),
    ("decoding", "input_scale", 0.05, r"\[0.1, 10\]"),
    ("decoding", "alpha", 0.4, r"\[0.5, 1.2\]"),
    ("decoding", "lam", 1.3, r"\[0.5, 1.2\]"),
    ("decoding", "seq_len", 300, r"\[10, 200\]"),
    ("decoding", "n", 10, r"\[20, 200\]"),
    ("pseudospectrum", "n", 300, r"\[10, 200\]"),
    ("pseudospectrum", "alpha", 2.5, r"\[0.1, 2\]"),
    ("pseudospectrum", "beta", 1.5, r"\[0, 1\]"),
    ("pseudospectrum", "lam", -0.1, r"\[0, 1.2\]"),
    ("pseudospectrum", "eps", 0.5, r"\[1e-08, 0.316228\]"),
    ("pseudospectrum", "eps", 1e-9, r"\[1e-08, 0.316228\]"),
]

WRONG_TYPE = [
    ("memory", "n", 100.0, "an integer"),
    ("memory", "n", True, "an integer"),
    ("memory", "alpha", "1.5", "a real number"),
    ("memory", "alpha", 1.5j, "a real number"),
    ("memory", "kind", "ring", "one of"),
    ("decoding", "seq_len", 50.5, "an integer"),
    ("decoding", "noise_std", None, "a real number"),
    ("decoding", "nonlinearity", "sigmoid", "one of"),
    ("pseudospectrum", "kind", None, "one of"),
    ("pseudospectrum", "eps", False, "a real number"),
]


def _ids(cases):
    return [f"{e}-{a}-{v!r}" for e, a, v, _ in cases]


@pytest.mark.parametrize("explorer, arg, value, says", OUT_OF_RANGE + WRONG_TYPE, ids=_ids(OUT_OF_RANGE + WRONG_TYPE))
def test_constructor_raises_instead_of_clamping(explorer, arg, value, says):
    cls, _, _ = EXPLORERS[explorer]
    with pytest.raises(ValueError, match=rf"^{arg} must be .*{says}"):
        cls(**{arg: value})


@pytest.mark.parametrize("explorer, arg, value, says", OUT_OF_RANGE + WRONG_TYPE, ids=_ids(OUT_OF_RANGE + WRONG_TYPE))
def test_callback_raises_for_the_same_values_before_computing(explorer, arg, value, says, monkeypatch):
    _, draw, _ = EXPLORERS[explorer]
    computed = []
    monkeypatch.setattr(widgets, {"memory": "memory_explorer_data", "decoding": "decoding_explorer_data",
                                  "pseudospectrum": "pseudospectrum_explorer_data"}[explorer],
                        lambda **kw: computed.append(kw))
    with pytest.raises(ValueError, match=rf"^{arg} must be .*{says}"):
        draw(**{arg: value})
    assert computed == []


def test_update_raises_instead_of_clamping_and_keeps_the_figure():
    ex = MemoryExplorer(n=20)
    title = ex.figure._suptitle.get_text()
    with pytest.raises(ValueError, match=r"^alpha must be in \[0.5, 3\]"):
        ex.update(alpha=5.0)
    assert ex.controls["alpha"].value == 1.5 and ex.figure._suptitle.get_text() == title


@pytest.mark.parametrize("explorer", EXPLORERS)
def test_every_value_at_a_range_end_is_accepted_and_not_clamped(explorer):
    _, _, controls = EXPLORERS[explorer]
    for name, spec in controls.items():
        if isinstance(spec, widgets._Slider):
            for end in spec.bounds():
                value = int(end) if spec.cls is widgets.w.IntSlider else end
                assert widgets._checked(controls, {name: value}) == {name: value}
                assert spec.make(value).value == value  # ipywidgets keeps it: the range is the slider's
            lo, hi = spec.bounds()
            assert spec.make(hi + 1).value == hi  # what ipywidgets alone does beyond it: clamp silently


@pytest.mark.parametrize("explorer", EXPLORERS)
def test_sliders_are_built_from_the_checked_ranges(explorer):
    cls, _, controls = EXPLORERS[explorer]
    ex = cls(**({"n": 20} if explorer != "decoding" else {"n": 20, "seq_len": 10}))
    assert list(ex.controls) == list(controls)
    for name, spec in controls.items():
        if isinstance(spec, widgets._Slider):
            assert (ex.controls[name].min, ex.controls[name].max) == (spec.lo, spec.hi)
            assert type(ex.controls[name]) is spec.cls


def test_identity_is_accepted_as_linear_by_the_decoding_explorer():
    ex = DecodingExplorer(nonlinearity="identity", n=20, seq_len=10)
    assert ex.controls["nonlinearity"].value == "linear"

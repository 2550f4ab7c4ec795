"""Thin ipywidgets wrappers: the explorers of chapters 1, 2 and 4.

A widget here owns controls, one matplotlib figure and an ``Output`` area. When
a control moves it calls its callback with the control values and ``fig=`` its
own figure (redrawn in place) and re-shows that figure in the same output area,
as a PNG drawn once (:func:`figure_png`): a move of every explorer (chapters 1, 2
and 4) took 0.10-0.19 s at its default size on a loaded 2-core machine
(``benchmarks/bench_explorers.py``, README).
A callback is one library function that computes
(``*_explorer_data``) and draws (``plotting.plot_*_explorer``):
:func:`draw_memory_explorer`, :func:`draw_decoding_explorer`,
:func:`draw_pseudospectrum_explorer`, each tested without a browser; the classes
only wire controls to arguments. Each explorer's controls (ranges, steps,
labels) are one table, ``_MEMORY_CONTROLS`` etc., which both builds the
sliders and checks values: a value outside a slider's range raises a
ValueError in the constructor, in ``update`` and in the callback, where
ipywidgets would clamp it without a word.
"""

from __future__ import annotations

import base64
import io
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .analysis.pseudospectra import pseudospectrum_explorer_data
from .chapters.ch01 import memory_explorer_data
from .chapters.ch02 import decoding_explorer_data
from .connectivity import FBCHAIN_FEEDBACK, KINDS
from .nonlinearities import NONLINEARITIES, check_nonlinearity
from .plotting import KIND_LABELS, plot_decoding_explorer, plot_memory_explorer, plot_pseudospectrum_explorer

_STYLE = {"description_width": "90px"}
_LAYOUT = w.Layout(width="340px")


# --------------------------------------------------------------------------- controls: one table per explorer


@dataclass(frozen=True)
class _Slider:
    """A slider's range; ``log``: a FloatLogSlider whose ``lo``/``hi`` are exponents of 10."""

    cls: type
    lo: float
    hi: float
    step: float
    label: str
    log: bool = False

    def bounds(self) -> tuple[float, float]:
        # the values ipywidgets clamps to (FloatLogSlider: base ** min, base ** max)
        return (10.0**self.lo, 10.0**self.hi) if self.log else (self.lo, self.hi)

    def check(self, name: str, value: object) -> int | float:
        lo, hi = self.bounds()
        integer = self.cls is w.IntSlider
        kind = numbers.Integral if integer else numbers.Real
        if isinstance(value, bool) or not isinstance(value, kind):
            what = "an integer" if integer else "a real number"
            raise ValueError(f"{name} must be {what} in [{lo:g}, {hi:g}] (the range of its slider), got {value!r}")
        if not lo <= value <= hi:  # NaN fails too
            raise ValueError(f"{name} must be in [{lo:g}, {hi:g}] (the range of its slider), got {value!r}")
        return int(value) if integer else float(value)

    def make(self, value: int | float) -> w.Widget:
        return self.cls(value=value, min=self.lo, max=self.hi, step=self.step, description=self.label,
                        style=_STYLE, layout=_LAYOUT, continuous_update=False)


@dataclass(frozen=True)
class _Choice:
    """A dropdown: ``options`` are (label, value) pairs; ``canonical`` maps accepted synonyms."""

    options: tuple[tuple[str, str], ...]
    label: str
    canonical: Callable[[object], str] | None = None

    def check(self, name: str, value: object) -> str:
        allowed = tuple(v for _, v in self.options)
        if self.canonical is not None:
            try:
                value = self.canonical(value)
            except ValueError:
                pass  # reported below, with the allowed values
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"{name} must be one of {allowed} (the options of its dropdown), got {value!r}")
        return value

    def make(self, value: str) -> w.Widget:
        return w.Dropdown(options=list(self.options), value=value, description=self.label, style=_STYLE)


_KIND_CHOICE = _Choice(tuple((KIND_LABELS[k], k) for k in KINDS), "network")

_MEMORY_CONTROLS = {
    "kind": _KIND_CHOICE,
    "n": _Slider(w.IntSlider, 10, 400, 10, "N"),
    "alpha": _Slider(w.FloatSlider, 0.5, 3.0, 0.01, "alpha"),
    "beta": _Slider(w.FloatSlider, 0.0, 0.5, 0.01, "beta"),
    "lam": _Slider(w.FloatSlider, 0.0, 1.05, 0.01, "lambda"),
}

_DECODING_CONTROLS = {
    "noise_std": _Slider(w.FloatSlider, 0.0, 1.0, 0.01, "noise σ"),
    "input_scale": _Slider(w.FloatLogSlider, -1.0, 1.0, 0.05, "input scale", log=True),
    "alpha": _Slider(w.FloatSlider, 0.5, 1.2, 0.01, "chain α"),
    "lam": _Slider(w.FloatSlider, 0.5, 1.2, 0.01, "orthogonal λ"),
    "nonlinearity": _Choice(tuple((f, f) for f in NONLINEARITIES), "f", canonical=check_nonlinearity),
    "seq_len": _Slider(w.IntSlider, 10, 200, 10, "L"),
    "n": _Slider(w.IntSlider, 20, 200, 10, "N"),
}

_PSEUDOSPECTRUM_CONTROLS = {
    "kind": _KIND_CHOICE,
    "n": _Slider(w.IntSlider, 10, 200, 10, "N"),
    "alpha": _Slider(w.FloatSlider, 0.1, 2.0, 0.01, "α"),
    "beta": _Slider(w.FloatSlider, 0.0, 1.0, 0.01, "β"),
    "lam": _Slider(w.FloatSlider, 0.0, 1.2, 0.01, "λ"),
    "eps": _Slider(w.FloatLogSlider, -8.0, -0.5, 0.25, "ε", log=True),
}


def _checked(controls: Mapping[str, _Slider | _Choice], params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every explorer-controlled value checked against its control's range.

    A value a slider cannot show (ipywidgets would clamp it without a word) raises
    a ValueError naming the argument and the range; other parameters pass through.
    """
    return {name: controls[name].check(name, value) if name in controls else value
            for name, value in params.items()}



def draw_memory_explorer(fig: Figure | None = None, **params: Any) -> Figure:
    """:class:`MemoryExplorer`'s callback: compute, then draw into ``fig``.

    Parameters
    ----------
    fig : Figure or None
        The figure to redraw in place; ``None`` makes one.
    **params :
        ``kind``, ``n``, ``alpha``, ``beta``, ``lam`` (and ``k_max``, ``seed``) of
        :func:`nnrnn_edu.chapters.ch01.memory_explorer_data`.

    Returns
    -------
    Figure
        :func:`nnrnn_edu.plotting.plot_memory_explorer` of the computed data.

    Raises
    ------
    ValueError
        If a value that the explorer has a control for is outside that control's range
        or options (the ranges of the class's sliders) or of the wrong type, naming the
        argument and the range; the data function checks the rest.

    See chapter 1, section 5.
    """
    return plot_memory_explorer(memory_explorer_data(**_checked(_MEMORY_CONTROLS, params)), fig=fig)


def draw_decoding_explorer(fig: Figure | None = None, **params: Any) -> Figure:
    """:class:`DecodingExplorer`'s callback: compute, then draw into ``fig``.

    Parameters
    ----------
    fig : Figure or None
        The figure to redraw in place; ``None`` makes one.
    **params :
        ``noise_std``, ``input_scale``, ``alpha``, ``lam``, ``nonlinearity``, ``seq_len``,
        ``n`` (and ``quick``) of :func:`nnrnn_edu.chapters.ch02.decoding_explorer_data`.

    Returns
    -------
    Figure
        :func:`nnrnn_edu.plotting.plot_decoding_explorer` of the computed data.

    Raises
    ------
    ValueError
        If a value that the explorer has a control for is outside that control's range
        or options (the ranges of the class's sliders) or of the wrong type, naming the
        argument and the range; the data function checks the rest.

    See chapter 2, section 4.
    """
    return plot_decoding_explorer(decoding_explorer_data(**_checked(_DECODING_CONTROLS, params)), fig=fig)


def draw_pseudospectrum_explorer(fig: Figure | None = None, **params: Any) -> Figure:
    """:class:`PseudospectrumExplorer`'s callback: compute, then draw into ``fig``.

    Parameters
    ----------
    fig : Figure or None
        The figure to redraw in place; ``None`` makes one.
    **params :
        ``kind``, ``n``, ``alpha``, ``beta``, ``lam``, ``eps`` (and ``n_grid``, ``seed``) of
        :func:`nnrnn_edu.analysis.pseudospectrum_explorer_data`.

    Returns
    -------
    Figure
        :func:`nnrnn_edu.plotting.plot_pseudospectrum_explorer` of the computed data.

    Raises
    ------
    ValueError
        If a value that the explorer has a control for is outside that control's range
        or options (the ranges of the class's sliders) or of the wrong type, naming the
        argument and the range; the data function checks the rest.

    See chapter 4.
    """
    return plot_pseudospectrum_explorer(
        pseudospectrum_explorer_data(**_checked(_PSEUDOSPECTRUM_CONTROLS, params)), fig=fig)


def figure_png(fig: Figure) -> str:
    """The figure as a PNG, base64-encoded, the way an explorer shows it after a slider move.

    The whole figure at its own size and dpi, drawn once. The notebook's figure formatter
    (``bbox_inches="tight"``, what ``display(fig)`` uses) lays the figure out twice, once to
    find the bounding box of what it draws and once to draw it, which made showing a move
    cost about twice its drawing; the explorers' figures keep everything inside their edges
    (tests/test_widgets.py checks it), so the whole figure is the tight box with a margin.

    Parameters
    ----------
    fig : Figure

    Returns
    -------
    str
        Base64 text of the PNG (the form of ``image/png`` in a notebook output).
    """
    canvas = fig.canvas
    buf = io.BytesIO()
    try:
        # one draw, whatever the rcParams say about savefig; zlib's fastest level: 10 % larger, 10 ms faster
        FigureCanvasAgg(fig).print_png(buf, pil_kwargs={"compress_level": 1})
    finally:
        fig.set_canvas(canvas)  # the figure keeps its canvas (an Agg one would draw on every draw_idle)
    return base64.b64encode(buf.getvalue()).decode("ascii")


class _Explorer:
    """Controls + one figure + an Output area, redrawn by a ``draw_*_explorer`` callback."""

    _callback: Callable[..., Figure]
    _controls: Mapping[str, _Slider | _Choice]
    _columns: tuple[tuple[str, ...], ...]

    def __init__(self, **values: Any) -> None:
        # checked first: ipywidgets would clamp an out-of-range value without a word
        values = _checked(self._controls, values)
        self.controls: dict[str, Any] = {name: spec.make(values[name]) for name, spec in self._controls.items()}
        self._enable_relevant()
        self.figure: Figure = type(self)._callback(**self.values())
        self.output = w.Output()
        self._show()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        columns = [w.VBox([self.controls[name] for name in column]) for column in self._columns]
        self.widget = w.VBox([w.HBox(columns), self.output])

    def values(self) -> dict[str, Any]:
        """Current control values as keyword arguments of the callback."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **changes: Any) -> Figure:
        """Set controls (e.g. ``update(alpha=2.0)``); the figure redraws in place and is returned.

        A value outside a control's range (or of the wrong type) raises a ValueError
        naming the control and its range, as in the constructor.
        """
        unknown = set(changes) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; choose from {sorted(self.controls)}")
        for name, value in _checked(self._controls, changes).items():
            self.controls[name].value = value
        return self.figure

    def _on_change(self, _change: dict) -> None:
        self._enable_relevant()
        type(self)._callback(**self.values(), fig=self.figure)
        self._show()

    def _show(self) -> None:
        """Put the figure into the Output area, replacing what was there, in one state update.

        The outputs are set directly rather than captured with ``with self.output: display(...)``:
        capturing makes nbclient (which executes the book) emulate the Output widget by sending
        comm messages on the shell channel while it awaits the cell's reply on that channel, and
        the reply can be lost: the build then waits forever with the kernel idle (measured on
        2026-12-01: chapter 4's explorer cell hung in 3 of 3 runs under load; jupyter/nbclient#312).
        The PNG is :func:`figure_png`'s, not the notebook's figure formatter's (see there).
        """
        data = {"text/plain": repr(self.figure), "image/png": figure_png(self.figure)}
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)

    def _enable_relevant(self) -> None:
        """Grey out controls that do not affect the current figure (subclasses override)."""

    def _ipython_display_(self) -> None:
        display(self.widget)


class MemoryExplorer(_Explorer):
    """Chapter 1 explorer: network kind, N, alpha, beta, lambda -> J(k) and ``||W^k v||^2``.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int in [10, 400]
    alpha : float in [0.5, 3]
    beta : float in [0, 0.5]
    lam : float in [0, 1.05]
        Initial values, passed to :func:`draw_memory_explorer`; the ranges are the sliders'.

    Raises
    ------
    ValueError
        If a value is outside its slider's range or options, or of the wrong type
        (ipywidgets itself would clamp it silently); also from :meth:`update`.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        ``"kind"``, ``"n"``, ``"alpha"``, ``"beta"``, ``"lam"``.
    figure : matplotlib Figure
        The one figure, redrawn in place on every change.
    widget : ipywidgets.VBox
        What the notebook displays.

    See chapter 1, section 5.
    """

    _callback = staticmethod(draw_memory_explorer)
    _controls = _MEMORY_CONTROLS
    _columns = (("kind", "n"), ("alpha", "beta", "lam"))

    def __init__(
        self,
        kind: str = "chain",
        n: int = 100,
        alpha: float = 1.5,
        beta: float = 0.05,
        lam: float = 0.99,
    ) -> None:
        super().__init__(kind=kind, n=n, alpha=alpha, beta=beta, lam=lam)

    def _enable_relevant(self) -> None:
        kind = self.controls["kind"].value
        self.controls["alpha"].disabled = kind not in ("chain", "fbchain")
        self.controls["beta"].disabled = kind != "fbchain"
        self.controls["lam"].disabled = kind not in ("identity", "orthogonal")


class DecodingExplorer(_Explorer):
    """Chapter 2 explorer: noise, input scale, chain alpha, orthogonal lambda, f, L -> R^2(k).

    Parameters
    ----------
    noise_std : float in [0, 1]
    input_scale : float in [0.1, 10] (log slider)
    alpha : float in [0.5, 1.2]
    lam : float in [0.5, 1.2]
    nonlinearity : {"linear", "elu", "relu", "tanh"}
        ``"identity"`` is accepted as ``"linear"``.
    seq_len : int in [10, 200]
    n : int in [20, 200]
        Initial values, passed to :func:`draw_decoding_explorer`; the ranges are the sliders'.

    Raises
    ------
    ValueError
        If a value is outside its slider's range or options, or of the wrong type
        (ipywidgets itself would clamp it silently); also from :meth:`update`.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        ``"noise_std"``, ``"input_scale"``, ``"alpha"``, ``"lam"``, ``"nonlinearity"``,
        ``"seq_len"``, ``"n"``.
    figure : matplotlib Figure
        The one figure, redrawn in place on every change.
    widget : ipywidgets.VBox
        What the notebook displays.

    See chapter 2, section 4.
    """

    _callback = staticmethod(draw_decoding_explorer)
    _controls = _DECODING_CONTROLS
    _columns = (("nonlinearity", "noise_std", "input_scale"), ("alpha", "lam", "seq_len", "n"))

    def __init__(
        self,
        noise_std: float = 0.1,
        input_scale: float = 1.0,
        alpha: float = 1.0,
        lam: float = 1.0,
        nonlinearity: str = "elu",
        seq_len: int = 100,
        n: int = 100,
    ) -> None:
        super().__init__(noise_std=noise_std, input_scale=input_scale, alpha=alpha, lam=lam,
                         nonlinearity=nonlinearity, seq_len=seq_len, n=n)


class PseudospectrumExplorer(_Explorer):
    """Chapter 4 explorer: network kind, N, alpha, beta, lambda, epsilon -> eigenvalues and pseudospectra.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int in [10, 200]
    alpha : float in [0.1, 2]
    beta : float in [0, 1]
    lam : float in [0, 1.2]
    eps : float in [1e-8, 10^-0.5 = 0.316] (log slider)
        Initial values, passed to :func:`draw_pseudospectrum_explorer`; the ranges are the sliders'.

    Raises
    ------
    ValueError
        If a value is outside its slider's range or options, or of the wrong type
        (ipywidgets itself would clamp it silently); also from :meth:`update`.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        ``"kind"``, ``"n"``, ``"alpha"``, ``"beta"``, ``"lam"``, ``"eps"`` (log slider).
    figure : matplotlib Figure
        The one figure, redrawn in place on every change.
    widget : ipywidgets.VBox
        What the notebook displays.

    See chapter 4.
    """

    _callback = staticmethod(draw_pseudospectrum_explorer)
    _controls = _PSEUDOSPECTRUM_CONTROLS
    _columns = (("kind", "n", "eps"), ("alpha", "beta", "lam"))

    def __init__(
        self,
        kind: str = "chain",
        n: int = 100,
        alpha: float = 1.0,
        beta: float = FBCHAIN_FEEDBACK,
        lam: float = 1.0,
        eps: float = 1e-2,
    ) -> None:
        super().__init__(kind=kind, n=n, alpha=alpha, beta=beta, lam=lam, eps=eps)

    def _enable_relevant(self) -> None:
        kind = self.controls["kind"].value
        self.controls["alpha"].disabled = kind not in ("chain", "fbchain")
        self.controls["beta"].disabled = kind != "fbchain"
        self.controls["lam"].disabled = kind not in ("identity", "orthogonal")


__all__ = [
    "DecodingExplorer",
    "MemoryExplorer",
    "PseudospectrumExplorer",
    "draw_decoding_explorer",
    "draw_memory_explorer",
    "draw_pseudospectrum_explorer",
    "figure_png",
]

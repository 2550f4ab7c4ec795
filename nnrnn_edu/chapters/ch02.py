"""Chapter 2 (decoding the past, paper Figure 2): its presets, the Figure-2 computation, the explorer's data.

The numerics are in :mod:`nnrnn_edu.decoding`; this module decides the sizes
(:class:`DecodingPreset`, full or quick via :func:`decoding_preset`), which networks are
compared (:func:`figure2_networks`), computes every curve of Figure 2
(:func:`figure2_curves`) and what the chapter's explorer shows
(:func:`decoding_explorer_data`). Importing it imports neither torch nor matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .. import config
from .._validate import finite_float, nonnegative_float, positive_int
from ..connectivity import FBCHAIN_FEEDBACK, FBCHAIN_FORWARD, KINDS, memory_network
from ..decoding import Draws, iterated_nonlinearity_r2, monte_carlo_draws, population_r2_curve, r2_curve, r2_curves
from ..nonlinearities import check_nonlinearity

PANELS = ("linear", "noisy", "nonlinear")
"""The three panels of Figure 2: noiseless linear, noisy linear, deterministic non-linear."""


# --------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class DecodingPreset:
    """Sizes for chapter 2 (Figure 2: linear decoding of past inputs).

    The Monte Carlo R^2 of a decoder with N + 1 parameters fitted on
    ``n_train`` sequences is biased down by about ``(1 - R^2) (N + 1) / n_train``
    and scatters by about ``2 (1 - R^2) sqrt(R^2 / n_test)`` (chapter 2 derives
    both): bias 0.02 (1 - R^2) and s.d. at most 0.045 (1 - R^2) in the full
    preset, 0.1 (1 - R^2) and 0.09 (1 - R^2) in the quick one, which leaves every
    qualitative comparison intact (the tests check it).

    Attributes
    ----------
    n : int
        Network size N (the paper's 100).
    seq_len : int
        Sequence length L; lags k = 0 .. L-1 (the paper decodes ``s_1`` from ``h_100``).
    noise_std : float
        Noise s.d. sigma of the noisy linear panel (Figure 2b).
    nonlinearity : str
        Non-linearity of the deterministic panel (Figure 2c: ``"elu"``).
    kinds : tuple of str
        Networks compared (kinds of :func:`nnrnn_edu.connectivity.memory_network`).
    alpha : float
        Forward gain of ``"chain"`` (``"fbchain"`` keeps the paper's forward gain
        :data:`~nnrnn_edu.connectivity.FBCHAIN_FORWARD`).
    beta : float
        Feedback of ``"fbchain"``.
    lam : float
        Scale of the normal networks.
    n_train, n_test : int
        Training and held-out sequences per curve.
    seed : int
        Seed of the signals and the noise (shared by all networks, so that
        their curves differ by the network only).
    network_seed : int
        Seed of the random orthogonal matrix and the normal networks' input vector.
    ridge : float
        Relative ridge penalty of the decoder (see :func:`fit_ridge_decoder`).
    explorer_n_train : int
        The interactive explorer's decoders are fitted on this many sequences (at least
        10 (N + 1)) and scored leave-one-out: each of ``explorer_n_train + 1`` sequences by
        the decoder fitted on the others (bias 0.1 (1 - R^2), s.d. at most 0.063 (1 - R^2)
        at N = 100), so that a slider move, drawn and shown, takes under 0.2 s at
        N = L = 100 (``benchmarks/bench_explorers.py``).
    quick : bool
        Whether this is the quick preset.
    """

    n: int = 100
    seq_len: int = 100
    noise_std: float = 0.1
    nonlinearity: str = "elu"
    kinds: tuple[str, ...] = ("chain", "fbchain", "orthogonal")
    alpha: float = 1.0
    beta: float = FBCHAIN_FEEDBACK
    lam: float = 1.0
    n_train: int = 5000
    n_test: int = 2000
    seed: int = 0
    network_seed: int = 0
    ridge: float = 1e-8
    explorer_n_train: int = 1000
    quick: bool = False


DECODING_PRESET = DecodingPreset()
"""Chapter-2 sizes of the cpu and full tiers (the paper's)."""

DECODING_PRESET_QUICK = DecodingPreset(n_train=1000, n_test=500, quick=True)
"""Quick tier: five times fewer sequences, same N, L and lags; the explorer keeps its sizes (with
fewer than ~10 N sequences the decoder over-fits so much that held-out R^2 goes well below 0)."""


def decoding_preset(quick: bool | None = None) -> DecodingPreset:
    """The full or quick chapter-2 preset.

    Parameters
    ----------
    quick : bool or None
        Force the quick (``True``) or full (``False``) preset; ``None`` follows
        :func:`nnrnn_edu.config.quick_mode`.

    Returns
    -------
    DecodingPreset

    See chapter 2.
    """
    if quick is None:
        quick = config.quick_mode()
    if not isinstance(quick, (bool, np.bool_)):
        raise ValueError(f"quick must be True, False or None, got {quick!r}")
    return DECODING_PRESET_QUICK if quick else DECODING_PRESET


def _panel_settings(panel: str, p: DecodingPreset) -> tuple[float, str]:
    """(noise_std, nonlinearity) of a Figure-2 panel."""
    if panel == "linear":
        return 0.0, "linear"
    if panel == "noisy":
        return p.noise_std, "linear"
    return 0.0, p.nonlinearity


def figure2_networks(preset: DecodingPreset | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The networks of the chapter-2 comparison, with unit input vectors.

    Chains get ``v = e_1`` (the source unit); normal networks a random unit
    vector (:func:`nnrnn_edu.connectivity.memory_network`). ``"fbchain"`` uses
    the paper's forward gain :data:`~nnrnn_edu.connectivity.FBCHAIN_FORWARD` and ``preset.beta``.

    Parameters
    ----------
    preset : DecodingPreset or None
        ``None``: :func:`decoding_preset` (follows the tier: quick or not).

    Returns
    -------
    dict of kind -> (W, v)
        W shape (N, N), v shape (N,).

    See chapter 2.
    """
    p = decoding_preset() if preset is None else preset
    out = {}
    for kind in p.kinds:
        if kind not in KINDS:
            raise ValueError(f"preset.kinds must contain kinds from {KINDS}, got {kind!r}")
        alpha = FBCHAIN_FORWARD if kind == "fbchain" else p.alpha
        out[kind] = memory_network(kind, p.n, alpha=alpha, beta=p.beta, lam=p.lam, seed=p.network_seed)
    return out


def figure2_curves(
    preset: DecodingPreset | None = None,
) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """All decoding curves of Figure 2: every network in every panel, simulated and exact.

    Panels: ``"linear"`` (no noise), ``"noisy"`` (``preset.noise_std``) and
    ``"nonlinear"`` (``preset.nonlinearity``, no noise). Exact curves are
    :func:`population_r2_curve` for both linear panels and, in the non-linear
    panel, the quadrature curve of the chain (when L <= N).

    Parameters
    ----------
    preset : DecodingPreset or None
        ``None``: :func:`decoding_preset` (follows the tier: quick or not).

    Returns
    -------
    dict
        ``{"simulated": {panel: {kind: R2}}, "exact": {panel: {kind: R2}}}``,
        every R2 an ndarray of shape (seq_len,).

    See chapter 2.
    """
    p = decoding_preset() if preset is None else preset
    networks = figure2_networks(p)
    simulated: dict[str, dict[str, np.ndarray]] = {}
    exact: dict[str, dict[str, np.ndarray]] = {}
    for panel in PANELS:
        sigma, f = _panel_settings(panel, p)
        simulated[panel], exact[panel] = {}, {}
        for kind, (W, v) in networks.items():
            simulated[panel][kind] = r2_curve(
                W, v, p.seq_len, noise_std=sigma, nonlinearity=f,
                n_train=p.n_train, n_test=p.n_test, seed=p.seed, ridge=p.ridge,
            )
            if f == "linear":
                exact[panel][kind] = population_r2_curve(W, v, p.seq_len, sigma)
            elif kind == "chain" and p.seq_len <= p.n:
                exact[panel][kind] = iterated_nonlinearity_r2(f, p.seq_len, alpha=p.alpha)
    return {"simulated": simulated, "exact": exact}


INPUT_SCALES: tuple[float, ...] = (0.1, 1.0, 3.0)
"""Input scales of chapter 2, section 3: weak, the paper's, strong."""


def input_scale_curves(
    preset: DecodingPreset | None = None,
    scales: tuple[float, ...] = INPUT_SCALES,
    kinds: tuple[str, ...] = ("chain", "orthogonal"),
) -> dict[float, dict[str, Any]]:
    """Panel (c) of Figure 2 repeated at several input scales: chain against random orthogonal.

    Each network of :func:`figure2_networks` is driven by ``scale * v`` with the preset's
    non-linearity and no noise, decoded as in :func:`figure2_curves` (same seed, same sample sizes).

    Parameters
    ----------
    preset : DecodingPreset or None
        ``None``: :func:`decoding_preset` (follows the tier: quick or not).
    scales : tuple of float
        Input scales (> 0).
    kinds : tuple of str
        The networks compared; the first is the one whose winning lags are counted.

    Returns
    -------
    dict
        ``{scale: {"simulated": {kind: R2}, "exact": {"chain": R2}, "better": int, "wins_from": int | None}}``:
        R2 of shape (seq_len,); the exact curve of the chain (quadrature, when it is among ``kinds``);
        at how many lags the first network decodes better than the second, and the lag from which it
        does at every lag (:func:`nnrnn_edu.decoding.wins_from_lag`).

    See chapter 2, section 3.
    """
    from ..decoding import wins_from_lag

    p = decoding_preset() if preset is None else preset
    if isinstance(scales, (int, float)) or not scales:
        raise ValueError(f"scales must be a non-empty tuple of positive numbers, got {scales!r}")
    scales = tuple(nonnegative_float(c, "scales") for c in scales)
    if min(scales) <= 0:
        raise ValueError(f"scales must be positive, got {scales!r}")
    networks = figure2_networks(p)
    if len(kinds) != 2 or any(k not in networks for k in kinds):
        raise ValueError(f"kinds must be two of the preset's networks {tuple(networks)}, got {kinds!r}")
    out: dict[float, dict[str, Any]] = {}
    for scale in scales:
        sim = {kind: r2_curve(networks[kind][0], scale * networks[kind][1], p.seq_len, nonlinearity=p.nonlinearity,
                              n_train=p.n_train, n_test=p.n_test, seed=p.seed, ridge=p.ridge) for kind in kinds}
        exact = ({"chain": iterated_nonlinearity_r2(p.nonlinearity, p.seq_len, alpha=p.alpha, input_scale=scale)}
                 if "chain" in kinds else {})
        first, second = (sim[k] for k in kinds)
        out[scale] = {"simulated": sim, "exact": exact, "better": int(np.sum(first > second)),
                      "wins_from": wins_from_lag(first, second)}
    return out


# --------------------------------------------------------------------------- the explorer


class DecodingExplorerData(NamedTuple):
    """What chapter 2's explorer shows: chain and orthogonal decoding curves for one setting.

    Attributes
    ----------
    nonlinearity : str
        Canonical name (``"identity"`` becomes ``"linear"``).
    noise_std, input_scale, alpha, lam : float
        sigma, the input scale c, the chain's forward gain, the orthogonal scale.
    seq_len, n : int
        L and N.
    n_train, n_test : int
        Sequences each decoder was fitted on, and sequences scored: leave-one-out, each
        of the ``n_test = n_train + 1`` simulated sequences by the decoder fitted on the others.
    simulated : dict of kind -> ndarray, shape (seq_len,)
        Monte Carlo R^2(k) of ``"chain"`` and ``"orthogonal"`` (empty if ``error``).
    exact : dict of kind -> ndarray, shape (seq_len,)
        Exact curves where they exist (both kinds when f is linear, the chain when
        there is no noise).
    error : str or None
        Why nothing could be computed (the states overflow float64), else None.

    See chapter 2, section 4.
    """

    nonlinearity: str
    noise_std: float
    input_scale: float
    alpha: float
    lam: float
    seq_len: int
    n: int
    n_train: int
    n_test: int
    simulated: dict[str, np.ndarray]
    exact: dict[str, np.ndarray]
    error: str | None


EXPLORER_DRAWS_LIMIT = 128 * 2**20
"""Largest noise (bytes, float32) the explorer keeps between calls: 39 MB at its default N = L = 100
(1011 sequences), 77 MB at N = 100, L = 200; beyond (N = 200: 153 MB) it is drawn at every move."""


_kept_draws: list[Draws] = []  # at most one: the last setting's signals and noise


def _explorer_draws(batch: int, seq_len: int, n: int, noise: bool) -> Draws | None:
    """The explorer's signals and noise (seed 0), kept for the next call.

    A slider move other than N and L draws nothing: the noise is ``sigma z_t`` with the same
    ``z_t`` for every sigma. Draws with noise serve a call without noise too. None (the
    simulation draws as it goes) when the noise would exceed :data:`EXPLORER_DRAWS_LIMIT`.
    """
    if noise and 4 * batch * seq_len * n > EXPLORER_DRAWS_LIMIT:
        return None
    if _kept_draws:
        kept = _kept_draws[0]  # signals do not depend on N; noise does
        if kept.signals.shape == (batch, seq_len) and (not noise or (kept.noise is not None
                                                                      and kept.noise.shape[2] == n)):
            return kept
    _kept_draws.clear()  # free the old noise before drawing the new
    _kept_draws.append(monte_carlo_draws(batch, seq_len, n, seed=0, noise=noise, single_precision=True))
    return _kept_draws[0]


def decoding_explorer_data(
    noise_std: float = 0.1,
    input_scale: float = 1.0,
    alpha: float = 1.0,
    lam: float = 1.0,
    nonlinearity: str = "elu",
    seq_len: int = 100,
    n: int = 100,
    quick: bool | None = None,
) -> DecodingExplorerData:
    """Chain versus random orthogonal decoding curves for one explorer setting (chapter 2, section 4).

    Simulates ``h_t = f(W h_{t-1} + v s_t + sigma z_t)`` for the chain
    ``W = chain(N, alpha)``, ``v = input_scale * e_1`` and the random orthogonal
    ``W = lam Q``, ``v = input_scale * u`` (u a random unit vector, seed 0), and
    computes both R^2(k) curves (:func:`nnrnn_edu.decoding.r2_curve`), with the exact
    curves where they exist: both networks when f is linear
    (:func:`~nnrnn_edu.decoding.population_r2_curve`), the chain when f is non-linear
    and there is no noise (:func:`~nnrnn_edu.decoding.iterated_nonlinearity_r2`; 0 for k >= N).

    To keep one redraw fast the decoder is fitted on the preset's
    ``explorer_n_train`` sequences (1000, and at least 10 (N + 1)), not the
    chapter's thousands: the simulated curves sit about ``(1 - R^2)(N + 1)/n_train``
    (10 % of 1 - R^2 at N = 100) below the exact ones. They are scored leave-one-out
    (:func:`nnrnn_edu.decoding.loo_r2_score`): each of ``n_train + 1`` sequences by the
    decoder fitted on the other ``n_train``, which estimates the held-out R^2 of
    :func:`~nnrnn_edu.decoding.r2_curve` with the same bias and its scatter
    ``2 (1 - R^2) sqrt(R^2 / (n_train + 1))`` without simulating a separate test set.
    Signals and noise are seeded (seed 0), so the same settings give the same curves.
    Both networks are simulated in one pass on the same draws
    (:func:`nnrnn_edu.decoding.r2_curves`), which are kept for the next call (up to
    :data:`EXPLORER_DRAWS_LIMIT` of noise), and, with noise, in single precision (a
    change of float32 rounding, below 1e-5).

    Parameters
    ----------
    noise_std : float
        sigma >= 0.
    input_scale : float
        Multiplies the unit input vector v (non-zero).
    alpha : float
        Forward gain of the chain.
    lam : float
        Scale of the orthogonal matrix.
    nonlinearity : {"linear", "identity", "elu", "relu", "tanh"}
    seq_len : int
        L: lags k = 0 .. L-1 are decoded from ``h_L``.
    n : int
        Network size N.
    quick : bool or None
        Sample sizes of the quick preset; ``None`` follows the tier (quick or not).

    Returns
    -------
    DecodingExplorerData
        With ``error`` set (and no curves) when a slider reaches a network whose
        states overflow float64; bad arguments raise ValueError instead.

    See chapter 2, section 4.
    """
    sigma = nonnegative_float(noise_std, "noise_std")
    f = check_nonlinearity(nonlinearity)
    c = finite_float(input_scale, "input_scale")
    if c == 0:
        raise ValueError("input_scale must be non-zero; the signal never enters the network")
    alpha = finite_float(alpha, "alpha")
    lam = finite_float(lam, "lam")
    L = positive_int(seq_len, "seq_len")
    n = positive_int(n, "n")
    p = decoding_preset(quick)
    n_train = max(p.explorer_n_train, 10 * (n + 1))
    n_test = n_train + 1  # leave-one-out: every sequence is scored, by the decoder fitted on the others

    networks = {
        "chain": memory_network("chain", n, alpha=alpha),
        "orthogonal": memory_network("orthogonal", n, lam=lam, seed=0),
    }
    networks = {kind: (W, c * v) for kind, (W, v) in networks.items()}
    simulated: dict[str, np.ndarray] = {}
    exact: dict[str, np.ndarray] = {}
    error = None
    # One BLAS thread: these products are small (N = 100), and multi-threaded OpenBLAS ran a move
    # 20 times slower (4 s of CPU instead of 0.18 s) while another process held a core.
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    try:
        # both networks on the same signals and noise (seed 0), kept between calls; single
        # precision only with noise, which drowns float32 rounding (see r2_curves)
        with threadpool_limits(limits=1, user_api="blas"):
            simulated = r2_curves(networks, L, noise_std=sigma, nonlinearity=f, n_train=n_train, n_test=None,
                                  leave_one_out=True, single_precision=sigma > 0,
                                  draws=_explorer_draws(n_test, L, n, sigma > 0))
        for kind, (W, v) in networks.items():
            if f == "linear":
                exact[kind] = population_r2_curve(W, v, L, sigma)
            elif kind == "chain" and sigma == 0:
                curve = np.zeros(L)  # inputs older than N - 1 steps have left the chain
                depth = min(L, n)
                curve[:depth] = iterated_nonlinearity_r2(f, depth, alpha=alpha, input_scale=c)
                exact[kind] = curve
    except ValueError as exc:  # a slider can reach networks that overflow float64
        simulated, exact, error = {}, {}, str(exc)
    return DecodingExplorerData(f, sigma, c, alpha, lam, L, n, n_train, n_test, simulated, exact, error)


__all__ = [
    "DECODING_PRESET",
    "DECODING_PRESET_QUICK",
    "PANELS",
    "DecodingExplorerData",
    "DecodingPreset",
    "EXPLORER_DRAWS_LIMIT",
    "decoding_explorer_data",
    "decoding_preset",
    "figure2_curves",
    "INPUT_SCALES",
    "input_scale_curves",
    "figure2_networks",
]

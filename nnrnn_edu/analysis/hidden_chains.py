"""Hidden chains in trained networks: the peak-time ordering of Rajan et al. (2016), paper Figure 5.

Pulse a network once (:func:`pulse_response`), order its units by the time of
their peak activity (:func:`peak_time_order`), and average the recurrent
weights by order difference ``i - j`` (:func:`weight_profile`). A hidden chain
shows up as a bump at ``i - j = +1``. :func:`mean_weight_profile` averages over
networks, fed from numpy arrays or from a trained
:class:`~nnrnn_edu.models.VanillaRNN` via :func:`networks_from_rnn`.

Convention as everywhere in the library (column vectors): ``h_t = f(W h_{t-1} + V x_t + b)``,
so ``W[i, j]`` is the connection *from* unit j *to* unit i. Importing this module
imports neither torch nor matplotlib. See chapter 4.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from .._validate import finite_float, input_vector, positive_int, real_array, seed_or_generator, square_matrix
from ..nonlinearities import apply_, check_nonlinearity

PULSE_STEPS = 100
"""Steps simulated after the pulse (paper section 2.4: "100 time steps afterwards")."""



class PulseNetwork(NamedTuple):
    """What the pulse-response analysis needs from one network: ``h_t = f(W h_{t-1} + v x_t + b)``.

    Attributes
    ----------
    W : ndarray, shape (N, N)
        Recurrent weights, column convention.
    v : ndarray, shape (N,)
        Input weights of the channel that carries the pulse.
    bias : ndarray, shape (N,)
    nonlinearity : str
        One of :data:`nnrnn_edu.nonlinearities.NONLINEARITIES`.

    See chapter 4.
    """

    W: np.ndarray
    v: np.ndarray
    bias: np.ndarray
    nonlinearity: str


class WeightProfile(NamedTuple):
    """Mean recurrent weight against the peak-order difference ``i - j``, over networks.

    Attributes
    ----------
    lags : ndarray, shape (2N - 1,), int
        ``i - j`` from ``-(N - 1)`` to ``N - 1``; positive: from an earlier- to a later-peaking unit.
    mean : ndarray, shape (2N - 1,)
        Mean over networks of each network's mean ``W_ij`` at that order difference.
    sem : ndarray, shape (2N - 1,)
        Standard error of that mean across networks (``std(ddof=1) / sqrt(K)``; NaN if K = 1).
    n_networks : int
        K.

    See chapter 4.
    """

    lags: np.ndarray
    mean: np.ndarray
    sem: np.ndarray
    n_networks: int


def pulse_response(
    W: Any,
    v: Any,
    bias: Any = None,
    nonlinearity: str = "elu",
    n_steps: int = PULSE_STEPS,
    subtract_baseline: bool = False,
) -> np.ndarray:
    """States after a unit input pulse at t = 0, with no input afterwards.

    ``h_0 = f(v + b)`` (the pulse ``x_0 = 1`` from the rest state ``h_{-1} = 0``,
    as in training), then ``h_t = f(W h_{t-1} + b)`` for ``t = 1 .. n_steps``: the
    network's own non-linear dynamics, bias included.

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
    v : array_like, shape (N,)
        Input weights of the pulsed channel (``V[:, c]``).
    bias : array_like, shape (N,), or None
        ``None``: zero bias.
    nonlinearity : {"elu", "relu", "tanh", "linear"}
    n_steps : int
        Steps after the pulse (paper: 100).
    subtract_baseline : bool
        Return the response minus the trajectory without pulse (``x_0 = 0``), which
        removes the bias-driven drift of trained networks. The paper orders the raw
        activity (``False``); with zero bias both are the same.

    Returns
    -------
    ndarray, shape (n_steps + 1, N)
        Row t is ``h_t``. Entries are inf/NaN if the network explodes.

    See chapter 4.
    """
    W = square_matrix(W, "W")
    n = W.shape[0]
    v = input_vector(v, n, "v", role="pulse")
    b = np.zeros(n) if bias is None else input_vector(bias, n, "bias", allow_zero=True)
    f = check_nonlinearity(nonlinearity)
    steps = positive_int(n_steps, "n_steps")
    drive = np.stack([v, np.zeros(n)], axis=1) if subtract_baseline else v[:, None]  # (N, 1 or 2)
    out = np.empty((steps + 1, n, drive.shape[1]))
    with np.errstate(over="ignore", invalid="ignore"):
        h = apply_(f, drive + b[:, None])
        out[0] = h
        for t in range(1, steps + 1):
            h = apply_(f, W @ h + b[:, None])  # (N, N) @ (N, 1 or 2), f in place
            out[t] = h
    return out[:, :, 0] - out[:, :, 1] if subtract_baseline else out[:, :, 0]


def peak_times(states: Any, use_abs: bool = False) -> np.ndarray:
    """Time of each unit's peak activity (first time the maximum is reached).

    Parameters
    ----------
    states : array_like, shape (T, N)
        E.g. :func:`pulse_response`.
    use_abs : bool
        Peak of ``|h|`` instead of ``h`` (for tanh units that swing negative).

    Returns
    -------
    ndarray, shape (N,), float
        In ``0 .. T-1``; units whose activity never changes get ``T`` (after the window,
        so silent units go last in the ordering).

    See chapter 4.
    """
    S = real_array(states, "states", "array of shape (T, N)")
    if S.ndim != 2 or S.shape[0] < 1:
        raise ValueError(f"states must have shape (T, N), got shape {S.shape}")
    S = np.abs(S) if use_abs else S
    S = np.where(np.isnan(S), -np.inf, S)
    times = np.argmax(S, axis=0).astype(np.float64)
    flat = np.all(S == S[:1], axis=0)
    times[flat] = S.shape[0]
    return times


def peak_time_order(
    W: Any,
    v: Any,
    bias: Any = None,
    nonlinearity: str = "elu",
    n_steps: int = PULSE_STEPS,
    seed: int | np.random.Generator | None = 0,
    jitter: float = 0.25,
    use_abs: bool = False,
    subtract_baseline: bool = False,
) -> np.ndarray:
    """Units ordered by the time of their peak pulse response (Rajan et al. 2016).

    Ties (units peaking at the same step, silent units) are broken by adding
    seeded uniform jitter in ``[-jitter, jitter]`` to the integer peak times;
    ``jitter < 0.5`` never swaps units that peak at different steps.

    Parameters
    ----------
    W, v, bias, nonlinearity, n_steps, subtract_baseline :
        As in :func:`pulse_response`.
    seed : int, Generator or None
        Seed of the tie-breaking jitter (same seed, same order).
    jitter : float
        In ``[0, 0.5)``.
    use_abs : bool
        As in :func:`peak_times`.

    Returns
    -------
    ndarray, shape (N,), int
        ``order[r]`` is the unit with the r-th earliest peak.

    See chapter 4.
    """
    jitter = finite_float(jitter, "jitter")
    if not 0.0 <= jitter < 0.5:
        raise ValueError(f"jitter must be in [0, 0.5) so that it only breaks ties, got {jitter!r}")
    rng = seed_or_generator(seed)
    states = pulse_response(W, v, bias, nonlinearity, n_steps, subtract_baseline)
    times = peak_times(states, use_abs)
    return np.argsort(times + rng.uniform(-jitter, jitter, times.size), kind="stable")


def weight_profile(W: Any, order: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``W_ij`` as a function of the order difference ``i - j`` (one network).

    With units relabelled by their rank in ``order``, ``W'[i, j] = W[order[i], order[j]]``
    and ``profile[k] = mean_{i - j = k} W'[i, j]`` (``N - |k|`` pairs each, the
    diagonal included). A chain ``W[i, i-1] = alpha`` in its natural order gives
    ``alpha`` at ``i - j = +1`` and 0 elsewhere.

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
    order : array_like of int, shape (N,)
        A permutation of ``0 .. N-1`` (e.g. :func:`peak_time_order`).

    Returns
    -------
    lags : ndarray, shape (2N - 1,), int
        ``-(N-1) .. N-1``.
    profile : ndarray, shape (2N - 1,)

    See chapter 4.
    """
    W = square_matrix(W, "W")
    n = W.shape[0]
    order = np.asarray(order)
    if order.shape != (n,) or not np.issubdtype(order.dtype, np.integer) or not np.array_equal(
        np.sort(order), np.arange(n)
    ):
        raise ValueError(f"order must be a permutation of 0..{n - 1}")
    Wp = W[np.ix_(order, order)]
    rank = np.arange(n)
    diff = (rank[:, None] - rank[None, :]).ravel() + (n - 1)  # i - j shifted to 0 .. 2N-2
    sums = np.bincount(diff, weights=Wp.ravel(), minlength=2 * n - 1)
    counts = np.bincount(diff, minlength=2 * n - 1)
    return np.arange(-(n - 1), n), sums / counts


def hidden_chain_profile(
    W: Any,
    v: Any,
    bias: Any = None,
    nonlinearity: str = "elu",
    n_steps: int = PULSE_STEPS,
    seed: int | np.random.Generator | None = 0,
    **order_kw: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Rajan et al.'s analysis for one network: order by peak time, then :func:`weight_profile`.

    Parameters
    ----------
    W, v, bias, nonlinearity, n_steps, seed :
        As in :func:`peak_time_order`.
    **order_kw :
        ``jitter``, ``use_abs``, ``subtract_baseline`` of :func:`peak_time_order`.

    Returns
    -------
    lags : ndarray, shape (2N - 1,), int
    profile : ndarray, shape (2N - 1,)

    See chapter 4.
    """
    order = peak_time_order(W, v, bias, nonlinearity, n_steps, seed, **order_kw)
    return weight_profile(W, order)


def networks_from_rnn(model: Any, input_channel: int | None = None) -> list[PulseNetwork]:
    """Extract ``(W, v, b, f)`` from a trained :class:`~nnrnn_edu.models.VanillaRNN` or ``EnsembleRNN``.

    Which channel carries the pulse: for one-input tasks (psMNIST) channel 0.
    For the addition task, whose inputs are ``[mask, signal]``, the default is
    channel 1, the **signal**: it is the channel whose content the network has to
    carry forward in time (the mask only says which values count), it is driven
    at every step of every trial, so its pulse response is the dynamics that
    training shaped for memory, and it is the analogue of the input vector ``v`` of
    the linear memory analysis (chapters 1-2). The paper does not say which
    channel it used; pass ``input_channel=0`` to pulse the mask instead. With more
    than two channels (copy) there is no default: say which channel.

    Parameters
    ----------
    model : VanillaRNN or EnsembleRNN
        Anything with ``weight_hh`` (N, N) or (K, N, N), ``weight_ih`` (N, d) or
        (K, N, d), ``bias`` (N,) or (K, N) and ``nonlinearity``.
    input_channel : int or None
        Column of ``weight_ih`` that receives the pulse; ``None``: 0 if d = 1,
        1 (addition's signal) if d = 2.

    Returns
    -------
    list of PulseNetwork
        One per network (K for an ensemble), float64 numpy copies detached from autograd.

    See chapter 4.
    """
    try:
        W, V, b = (real_array(getattr(model, name), f"model.{name}") for name in ("weight_hh", "weight_ih", "bias"))
        f = check_nonlinearity(model.nonlinearity)
    except AttributeError as exc:
        raise ValueError(f"model must be a VanillaRNN or EnsembleRNN: {exc}") from None
    if W.ndim == 2:
        W, V, b = W[None], V[None], b[None]
    d = V.shape[-1]
    if input_channel is None:
        if d > 2:
            raise ValueError(f"input_channel must be given for a model with d={d} input channels")
        input_channel = 0 if d == 1 else 1
    if isinstance(input_channel, bool) or not isinstance(input_channel, numbers.Integral) or not (
        0 <= input_channel < d
    ):
        raise ValueError(f"input_channel must be an integer in [0, {d}), got {input_channel!r}")
    c = int(input_channel)
    return [PulseNetwork(W[k].copy(), V[k][:, c].copy(), b[k].copy(), f) for k in range(W.shape[0])]


def mean_weight_profile(
    networks: Iterable[Any],
    n_steps: int = PULSE_STEPS,
    seed: int | np.random.Generator | None = 0,
    input_channel: int | None = None,
    **order_kw: Any,
) -> WeightProfile:
    """Paper Figure 5: mean and s.e.m. across networks of :func:`hidden_chain_profile`.

    Parameters
    ----------
    networks : iterable
        Items are :class:`PulseNetwork` / ``(W, v, bias, nonlinearity)`` tuples, or
        trained models (``VanillaRNN``, ``EnsembleRNN``; expanded by
        :func:`networks_from_rnn` with ``input_channel``). All of the same size N.
    n_steps : int
        Steps after the pulse.
    seed : int, Generator or None
        One stream of tie-breaking jitter for all networks, in order.
    input_channel : int or None
        Passed to :func:`networks_from_rnn` for model items.
    **order_kw :
        ``jitter``, ``use_abs``, ``subtract_baseline`` of :func:`peak_time_order`.

    Returns
    -------
    WeightProfile
        ``lags``, ``mean``, ``sem`` of shape (2N - 1,), ``n_networks``.

    See chapter 4.
    """
    nets: list[PulseNetwork] = []
    for item in networks:
        if hasattr(item, "weight_hh"):
            nets.extend(networks_from_rnn(item, input_channel))
        elif isinstance(item, tuple) and len(item) == 4:
            nets.append(PulseNetwork(*item))
        else:
            raise ValueError(
                "networks must hold PulseNetwork / (W, v, bias, nonlinearity) tuples or models, "
                f"got {type(item).__name__}"
            )
    if not nets:
        raise ValueError("networks must contain at least one network")
    sizes = {np.shape(net.W)[0] for net in nets}
    if len(sizes) != 1:
        raise ValueError(f"networks must all have the same size N, got sizes {sorted(sizes)}")
    rng = seed_or_generator(seed)
    profiles = []
    for net in nets:
        lags, p = hidden_chain_profile(net.W, net.v, net.bias, net.nonlinearity, n_steps, rng, **order_kw)
        profiles.append(p)
    P = np.stack(profiles)  # (K, 2N - 1)
    k = P.shape[0]
    sem = P.std(axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.full(P.shape[1], np.nan)
    return WeightProfile(lags, P.mean(axis=0), sem, k)



def profile_asymmetry(profile: WeightProfile, max_lag: int = 5) -> float:
    """Forward minus backward mean weight near the diagonal: the size of the hidden-chain bump.

    ``mean(profile.mean[1 <= i - j <= max_lag]) - mean(profile.mean[-max_lag <= i - j <= -1])``:
    positive when connections from earlier- to later-peaking units are stronger
    (a chain gives ``alpha / max_lag``), about 0 for a symmetric profile.

    Parameters
    ----------
    profile : WeightProfile
        From :func:`mean_weight_profile`.
    max_lag : int
        Largest ``|i - j|`` included.

    Returns
    -------
    float

    See chapter 4.
    """
    if not isinstance(profile, WeightProfile):
        raise ValueError(f"profile must be a WeightProfile, got {type(profile).__name__}")
    max_lag = positive_int(max_lag, "max_lag")
    fwd = (profile.lags >= 1) & (profile.lags <= max_lag)
    bwd = (profile.lags <= -1) & (profile.lags >= -max_lag)
    if not np.any(fwd):
        raise ValueError("profile has no order difference i - j >= 1 (N = 1)")
    return float(profile.mean[fwd].mean() - profile.mean[bwd].mean())


__all__ = [
    "PULSE_STEPS",
    "PulseNetwork",
    "WeightProfile",
    "hidden_chain_profile",
    "mean_weight_profile",
    "networks_from_rnn",
    "peak_time_order",
    "peak_times",
    "profile_asymmetry",
    "pulse_response",
    "weight_profile",
]

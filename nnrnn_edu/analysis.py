"""What trained networks became: non-normality, hidden chains, pseudospectra.

Three tools of the paper's section 2.4 and of the reading around it (chapter 4):

- :func:`henrici_index` - Henrici's departure from normality
  ``d(W) = sqrt(||W||_F^2 - sum_i |lambda_i|^2)`` (the paper's Table 2, unnormalised),
  robust to torch tensors and float32 weights. It is the very function of
  :mod:`nnrnn_edu.connectivity`, re-exported; :func:`henrici_indices` maps it over
  a stack of networks.
- The peak-time ordering of Rajan et al. (2016): :func:`pulse_response`,
  :func:`peak_time_order`, :func:`weight_profile`, :func:`hidden_chain_profile`,
  :func:`mean_weight_profile` (paper Figure 5), fed from numpy arrays or from a
  trained :class:`~nnrnn_edu.models.VanillaRNN` via :func:`networks_from_rnn`.
- epsilon-pseudospectra (Trefethen & Embree; used on trained RNNs by Sengupta &
  Friston): :func:`sigma_min`, :func:`pseudospectrum`, :func:`pseudospectral_radius`.

Convention as everywhere in the library (column vectors): ``h_t = f(W h_{t-1} + V x_t + b)``,
so ``W[i, j]`` is the connection *from* unit j *to* unit i. Importing this module
imports neither torch nor matplotlib. See chapter 4.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg

from ._validate import finite_float, positive_int, seed_or_generator
from .connectivity import _as_real_matrix, eigenvalues, henrici_index

NONLINEARITIES = ("elu", "relu", "tanh", "linear")
"""Non-linearities of the pulse-response simulation (``"identity"`` is accepted for ``"linear"``)."""

PULSE_STEPS = 100
"""Steps simulated after the pulse (paper section 2.4: "100 time steps afterwards")."""



# --------------------------------------------------------------------------- Henrici index


def henrici_indices(matrices: Any, normalized: bool = False) -> np.ndarray:
    """:func:`henrici_index` of each matrix of a stack (e.g. an ensemble's recurrent weights).

    Parameters
    ----------
    matrices : array_like or torch Tensor, shape (K, N, N), or an iterable of (N, N) matrices
        For example ``EnsembleRNN.recurrent_weight`` or a list of ``VanillaRNN.recurrent_weight``.
    normalized : bool
        Divide each ``d(W)`` by ``||W||_F`` (scale-free, in [0, 1]); the paper's
        Table 2 is *unnormalised* (``normalized=False``).

    Returns
    -------
    ndarray, shape (K,), float64

    See chapter 4.
    """
    if hasattr(matrices, "detach") and getattr(matrices, "ndim", 0) == 3:
        matrices = list(matrices)
    elif isinstance(matrices, np.ndarray):
        if matrices.ndim != 3:
            raise ValueError(f"matrices must be a stack of shape (K, N, N), got shape {matrices.shape}")
        matrices = list(matrices)
    mats = list(matrices)
    if not mats:
        raise ValueError("matrices must contain at least one matrix")
    return np.array([henrici_index(W, normalized=normalized) for W in mats], dtype=np.float64)


# --------------------------------------------------------------------------- hidden chains


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
        One of :data:`NONLINEARITIES`.

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


def _nonlinearity(name: object) -> str:
    if name == "identity":
        return "linear"
    if not isinstance(name, str) or name not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {name!r}")
    return name


def _activate(name: str, x: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "tanh":
        return np.tanh(x)
    if name == "elu":  # x for x > 0, exp(x) - 1 otherwise
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))
    return x


def _vector(x: object, n: int, name: str, allow_zero: bool = False) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real vector: {exc}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a vector of length N={n}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if not allow_zero and not np.any(arr):
        raise ValueError(f"{name} is the zero vector; the pulse never enters the network")
    return arr


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
    W = _as_real_matrix(W, "W")
    n = W.shape[0]
    v = _vector(v, n, "v")
    b = np.zeros(n) if bias is None else _vector(bias, n, "bias", allow_zero=True)
    f = _nonlinearity(nonlinearity)
    steps = positive_int(n_steps, "n_steps")
    drive = np.stack([v, np.zeros(n)], axis=1) if subtract_baseline else v[:, None]  # (N, 1 or 2)
    out = np.empty((steps + 1, n, drive.shape[1]))
    with np.errstate(over="ignore", invalid="ignore"):
        h = _activate(f, drive + b[:, None])
        out[0] = h
        for t in range(1, steps + 1):
            h = _activate(f, W @ h + b[:, None])  # (N, N) @ (N, 1 or 2)
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
    S = np.asarray(states, dtype=np.float64)
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
    W = _as_real_matrix(W, "W")
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
        W, V, b = (_numpy(getattr(model, name)) for name in ("weight_hh", "weight_ih", "bias"))
        f = _nonlinearity(model.nonlinearity)
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


def _numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


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


# --------------------------------------------------------------------------- pseudospectra


class Pseudospectrum(NamedTuple):
    """``sigma_min(zI - W)`` on a rectangular grid of the complex plane.

    The epsilon-pseudospectrum is the region ``sigma < eps``: the set of z that are
    eigenvalues of some ``W + E`` with ``||E||_2 < eps``.

    Attributes
    ----------
    re : ndarray, shape (n_re,)
        Real parts of the grid.
    im : ndarray, shape (n_im,)
        Imaginary parts of the grid.
    sigma : ndarray, shape (n_im, n_re)
        ``sigma[a, b] = sigma_min((re[b] + 1j im[a]) I - W)`` (``matplotlib.contour`` layout).
    eigenvalues : ndarray, shape (N,), complex
        By :func:`nnrnn_edu.connectivity.eigenvalues` (exact for the structured initialisers).

    See chapter 4.
    """

    re: np.ndarray
    im: np.ndarray
    sigma: np.ndarray
    eigenvalues: np.ndarray


PSEUDOSPECTRUM_METHODS = ("auto", "lanczos", "svd")
"""``"auto"``: exact distances for normal W, else ``"lanczos"``; ``"svd"``: batched dense SVD (reference)."""


def _triangular_form(W: np.ndarray) -> np.ndarray:
    """Upper-triangular T with ``sigma(zI - T) = sigma(zI - W)`` for every z.

    Triangular W is used as it is (transposed if lower: transposition keeps
    singular values), which keeps the chain's tiny singular values accurate;
    otherwise the complex Schur form (unitary similarity, backward stable).
    """
    if np.array_equal(np.triu(W), W):
        return W.astype(np.complex128)
    if np.array_equal(np.tril(W), W):
        return W.T.astype(np.complex128)
    T, _ = scipy.linalg.schur(W, output="complex")
    return T


def _solve_upper(T: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``(strict_upper(T) + diag(d[:, g])) x[:, g] = b[:, g]`` for all columns g at once."""
    n = T.shape[0]
    x = np.empty_like(b)
    x[n - 1] = b[n - 1] / d[n - 1]
    for i in range(n - 2, -1, -1):  # row i: a (1, n-i-1) @ (n-i-1, G) product per step
        x[i] = (b[i] - T[i, i + 1 :] @ x[i + 1 :]) / d[i]
    return x


def _solve_lower(L: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``(strict_lower(L) + diag(d[:, g])) y[:, g] = b[:, g]`` for all columns g at once."""
    n = L.shape[0]
    y = np.empty_like(b)
    y[0] = b[0] / d[0]
    for i in range(1, n):
        y[i] = (b[i] - L[i, :i] @ y[:i]) / d[i]
    return y


def _sigma_min_lanczos(T: np.ndarray, z: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Inverse Lanczos (Trefethen's ``psa`` scheme), vectorised over grid points.

    Lanczos on ``B = (A^H A)^{-1}``, ``A = T - zI``, one column per z; each step
    costs two triangular solves, O(N^2) per z. ``1 / sqrt(lambda_max(B))`` is
    ``sigma_min(A)``. Columns leave the active set once the largest Ritz value
    changes by less than ``tol`` (relative) between checks.
    """
    n = T.shape[0]
    out = np.empty(z.size)
    diag_all = np.diag(T)[:, None] - z[None, :]  # (N, G): diagonal of A per grid point
    exact_zero = np.any(diag_all == 0, axis=0)  # z is an eigenvalue (a diagonal entry of T)
    out[exact_zero] = 0.0
    idx = np.flatnonzero(~exact_zero)
    d, dh = diag_all[:, idx], diag_all[:, idx].conj()
    L = np.ascontiguousarray(T.conj().T)  # A^H = L - conj(z) I is lower triangular
    rng = np.random.default_rng(0)  # fixed start vector: same grid, same picture
    q0 = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    q = np.repeat((q0 / np.linalg.norm(q0))[:, None], idx.size, axis=1)  # (N, G)
    q_prev = np.zeros_like(q)
    beta_prev = np.zeros(idx.size)
    alphas: list[np.ndarray] = []
    betas: list[np.ndarray] = []
    theta_old = np.zeros(idx.size)
    next_check = 2
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(1, max_iter + 1):
            w = _solve_upper(T, d, _solve_lower(L, dh, q))  # B q
            alpha = np.real(np.einsum("ig,ig->g", q.conj(), w))
            w -= alpha * q + beta_prev * q_prev
            beta = np.linalg.norm(w, axis=0)
            alphas.append(alpha)
            betas.append(beta)
            overflow = ~(np.isfinite(alpha) & np.isfinite(beta))  # sigma_min below ~1e-150
            breakdown = beta <= 1e-13 * np.abs(alpha)  # invariant subspace: Ritz value exact
            if k >= next_check or k == max_iter or np.any(overflow) or np.all(breakdown):
                next_check = k + max(1, k // 2)
                a = np.stack(alphas, axis=1)  # (G_active, k)
                bt = np.stack(betas, axis=1)[:, :-1]
                scale = np.where(np.isfinite(a[:, :1]) & (a[:, :1] > 0), a[:, :1], 1.0)
                M = np.zeros((idx.size, k, k))
                i = np.arange(k)
                M[:, i, i] = a / scale
                M[:, i[:-1], i[1:]] = bt / scale
                M[:, i[1:], i[:-1]] = bt / scale
                M = np.nan_to_num(M, nan=0.0, posinf=0.0, neginf=0.0)
                theta = np.linalg.eigvalsh(M)[:, -1] * scale[:, 0]
                done = (np.abs(theta - theta_old) <= tol * theta) | breakdown | (k == max_iter)
                out[idx[done]] = 1.0 / np.sqrt(theta[done])
                out[idx[overflow]] = 0.0
                done |= overflow
                keep = ~done
                if not np.any(keep):
                    break
                idx, d, dh, w = idx[keep], d[:, keep], dh[:, keep], w[:, keep]
                q, beta = q[:, keep], beta[keep]
                alphas = [x[keep] for x in alphas]
                betas = [x[keep] for x in betas]
                theta_old = theta[keep]
                breakdown = breakdown[keep]
                # q_prev is replaced below; beta_prev too
            q_prev = q
            q = np.where(breakdown, 0.0, w / np.where(beta > 0, beta, 1.0))
            beta_prev = np.where(breakdown, 0.0, beta)
    return out


def _sigma_min_svd(W: np.ndarray, z: np.ndarray) -> np.ndarray:
    n = W.shape[0]
    chunk = max(1, 2**22 // (n * n))  # ~64 MiB of complex matrices per batch
    out = np.empty(z.size)
    eye = np.eye(n)
    for lo in range(0, z.size, chunk):
        zz = z[lo : lo + chunk]
        out[lo : lo + chunk] = np.linalg.svd(zz[:, None, None] * eye - W, compute_uv=False)[:, -1]
    return out


def sigma_min(
    W: Any,
    z: Any,
    method: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 100,
) -> np.ndarray:
    """Smallest singular value of ``zI - W`` for every point z (the pseudospectrum's function).

    Methods (measured at N = 100 on an 80 x 80 grid, 2 CPU cores: see chapter 4):

    - ``"auto"``: if the Schur form of W is diagonal to rounding (W normal), the
      exact ``min_i |z - lambda_i|`` (milliseconds); otherwise ``"lanczos"``.
    - ``"lanczos"``: triangular form once (W itself if triangular, else complex
      Schur), then inverse Lanczos on ``((T - zI)^H (T - zI))^{-1}`` for all grid
      points at once, two O(N^2) triangular solves per step (~0.3-1 s).
      Relative accuracy about ``tol``.
    - ``"svd"``: batched dense SVD of every ``zI - W`` (exact to rounding, ~8 s).

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
        Real matrix (float32 and tensors are converted to float64).
    z : complex array_like, any shape
    method : {"auto", "lanczos", "svd"}
    tol : float
        Relative convergence tolerance of the Lanczos iteration, in (0, 0.1].
    max_iter : int
        Lanczos steps at most.

    Returns
    -------
    ndarray, same shape as z, float64
        ``sigma_min(zI - W) >= 0``. Values below ~1e-150 (deep inside the
        pseudospectrum of a long chain, where ``(zI - W)^{-1}`` overflows) are
        returned as 0.

    See chapter 4.
    """
    W = _as_real_matrix(W, "W")
    if method not in PSEUDOSPECTRUM_METHODS:
        raise ValueError(f"method must be one of {PSEUDOSPECTRUM_METHODS}, got {method!r}")
    tol = finite_float(tol, "tol")
    if not 0 < tol <= 0.1:
        raise ValueError(f"tol must be in (0, 0.1], got {tol!r}")
    max_iter = positive_int(max_iter, "max_iter")
    try:
        zz = np.asarray(z, dtype=np.complex128)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"z must be an array of complex numbers: {exc}") from None
    if not np.all(np.isfinite(zz)):
        raise ValueError("z contains NaN or infinite entries")
    flat = zz.ravel()
    if flat.size == 0:
        return np.zeros(zz.shape)
    if method == "svd":
        return _sigma_min_svd(W, flat).reshape(zz.shape)
    T = _triangular_form(W)
    if method == "auto":
        off = np.linalg.norm(np.triu(T, 1))
        if off <= 1e-13 * max(1.0, float(np.linalg.norm(W))):  # normal: sigma_min = distance to spectrum
            dist = np.abs(flat[:, None] - np.diag(T)[None, :])  # (G, N)
            return dist.min(axis=1).reshape(zz.shape)
    chunk = max(256, 2_000_000 // W.shape[0])  # bounds the (N, G) work arrays
    out = np.empty(flat.size)
    for lo in range(0, flat.size, chunk):
        out[lo : lo + chunk] = _sigma_min_lanczos(T, flat[lo : lo + chunk], tol, max_iter)
    return out.reshape(zz.shape)


def pseudospectrum(
    W: Any,
    extent: float | tuple[float, float, float, float] | None = None,
    n_grid: int = 80,
    method: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 100,
) -> Pseudospectrum:
    """``sigma_min(zI - W)`` on an ``n_grid x n_grid`` grid (epsilon-pseudospectra by contouring).

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
    extent : float, (re_min, re_max, im_min, im_max) or None
        A float R means the square ``[-R, R]^2``. ``None``: ``R = 1.15 max(1, ||W||_2)``,
        which holds the unit circle and every epsilon-pseudospectrum with
        ``eps < 0.15 max(1, ||W||_2)`` (they lie in the disc of radius ``||W||_2 + eps``).
    n_grid : int
        Points per axis (>= 2).
    method, tol, max_iter :
        As in :func:`sigma_min`.

    Returns
    -------
    Pseudospectrum
        ``re`` (n_grid,), ``im`` (n_grid,), ``sigma`` (n_grid, n_grid), ``eigenvalues`` (N,).

    See chapter 4.
    """
    W = _as_real_matrix(W, "W")
    n_grid = positive_int(n_grid, "n_grid")
    if n_grid < 2:
        raise ValueError(f"n_grid must be >= 2, got {n_grid}")
    if extent is None:
        R = 1.15 * max(1.0, float(np.linalg.norm(W, 2)))
        box = (-R, R, -R, R)
    elif isinstance(extent, numbers.Real) and not isinstance(extent, bool):
        R = finite_float(extent, "extent")
        if R <= 0:
            raise ValueError(f"extent must be > 0, got {extent!r}")
        box = (-R, R, -R, R)
    else:
        try:
            box = tuple(finite_float(x, "extent") for x in extent)  # type: ignore[union-attr]
        except TypeError:
            raise ValueError(f"extent must be a float or (re_min, re_max, im_min, im_max), got {extent!r}") from None
        if len(box) != 4 or box[0] >= box[1] or box[2] >= box[3]:
            raise ValueError(f"extent must be (re_min, re_max, im_min, im_max) with min < max, got {extent!r}")
    re = np.linspace(box[0], box[1], n_grid)
    im = np.linspace(box[2], box[3], n_grid)
    Z = re[None, :] + 1j * im[:, None]  # (n_im, n_re)
    sigma = sigma_min(W, Z, method=method, tol=tol, max_iter=max_iter)
    return Pseudospectrum(re, im, sigma, eigenvalues(W))


def pseudospectral_radius(ps: Pseudospectrum, eps: float) -> float:
    """Largest ``|z|`` on the grid inside the epsilon-pseudospectrum (``sigma_min < eps``).

    A grid estimate (to the grid spacing) of ``max{|z| : sigma_min(zI - W) < eps}``;
    ``eps + rho(W)`` for normal W, far larger than the spectral radius for chains.

    Parameters
    ----------
    ps : Pseudospectrum
        From :func:`pseudospectrum`.
    eps : float
        > 0.

    Returns
    -------
    float
        NaN if no grid point has ``sigma < eps``.

    See chapter 4.
    """
    eps = finite_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    Z = ps.re[None, :] + 1j * ps.im[:, None]
    inside = ps.sigma < eps
    return float(np.max(np.abs(Z[inside]))) if np.any(inside) else float("nan")


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
    "profile_asymmetry",
    "NONLINEARITIES",
    "PSEUDOSPECTRUM_METHODS",
    "PULSE_STEPS",
    "Pseudospectrum",
    "PulseNetwork",
    "WeightProfile",
    "henrici_index",
    "henrici_indices",
    "hidden_chain_profile",
    "mean_weight_profile",
    "networks_from_rnn",
    "peak_time_order",
    "peak_times",
    "pseudospectral_radius",
    "pseudospectrum",
    "sigma_min",
    "pulse_response",
    "weight_profile",
]

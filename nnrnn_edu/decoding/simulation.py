"""Simulating a driven network, ``h_t = f(W h_{t-1} + v s_t + sigma z_t)``, and the lagged targets.

See chapter 2.
"""

from __future__ import annotations

import numpy as np

from .._validate import input_vector, seed_or_generator, square_matrix
from ..nonlinearities import apply_, check_nonlinearity
from ._checks import _noise_std, _signals

def simulate(
    W: np.ndarray,
    v: np.ndarray,
    signals: np.ndarray,
    noise_std: float = 0.0,
    nonlinearity: str = "linear",
    rng: int | np.random.Generator | None = None,
    return_all: bool = False,
) -> np.ndarray:
    """Run ``h_t = f(W h_{t-1} + v s_t + sigma z_t)`` from ``h_0 = 0`` for a batch of sequences.

    All sequences advance together (one ``(batch, N) @ (N, N)`` product per
    step); the only Python loop is over time. A chain (W non-zero only on the
    sub-diagonal) is shifted instead of multiplied, and for ``h_L`` alone only the
    units whose values reach ``h_L`` are updated: the same numbers, bit for bit,
    at a fraction of the cost.

    Parameters
    ----------
    W : array_like, shape (N, N)
        Recurrent matrix (column convention, as in :mod:`nnrnn_edu.connectivity`).
    v : array_like, shape (N,)
        Input vector.
    signals : array_like, shape (batch, L)
        Scalar input sequences; ``signals[:, t-1]`` is ``s_t``.
    noise_std : float
        sigma >= 0; fresh noise ``sigma z_t``, ``z_t ~ N(0, I)``, at every step.
    nonlinearity : {"linear", "identity", "elu", "relu", "tanh"}
        f (``"identity"`` is a synonym of ``"linear"``).
    rng : int, numpy Generator or None
        Source of the noise (unused when ``noise_std == 0``). Pass a seeded
        Generator for reproducible noisy runs.
    return_all : bool
        Return every state instead of the final one (memory: ``8 batch L N`` bytes).

    Returns
    -------
    ndarray, float64
        shape (batch, N): the final states ``h_L``; with ``return_all``,
        shape (batch, L, N) with ``out[:, t-1] = h_t``.

    Raises
    ------
    ValueError
        On bad input, or if the states overflow float64.

    See chapter 2, section 1.
    """
    W = square_matrix(W, "W")
    n = W.shape[0]
    v = input_vector(v, n, "v")
    S = _signals(signals)
    sigma = _noise_std(noise_std)
    f = check_nonlinearity(nonlinearity)
    rng = seed_or_generator(rng, "rng") if sigma > 0 else None
    batch, L = S.shape
    out = np.empty((batch, L, n)) if return_all else None
    (h,) = _run(((W, v),), S, sigma, f, rng, np.float64, record=out)
    if not np.all(np.isfinite(h)):
        raise ValueError(_OVERFLOW)
    return out if out is not None else h


_OVERFLOW = ("the states overflow float64 (the network blows up); reduce the gain of W, "
             "the input scale or seq_len")


def _sub_diagonal(W: np.ndarray) -> np.ndarray | None:
    """``W``'s sub-diagonal if W is zero everywhere else (a chain), else None."""
    n = W.shape[0]
    if n < 2:
        return None
    d = np.diagonal(W, -1)
    return d.copy() if np.count_nonzero(W) == np.count_nonzero(d) else None


def _run(
    networks,
    S: np.ndarray,
    sigma: float,
    f: str,
    noise,
    dtype,
    record: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Final states ``h_L`` of every ``(W, v)`` in ``networks``, all driven by the same signals and noise.

    The one simulation loop of this module (:func:`simulate`, :func:`r2_curves`). ``noise`` is
    None (``sigma == 0``), a Generator (``z_t`` drawn step by step, shape (batch, N) each, shared
    by all networks: the stream :func:`simulate` has always drawn) or an array of shape
    (L, batch, N) holding ``z_1 .. z_L`` drawn beforehand (:func:`monte_carlo_draws`).
    ``dtype`` float32 runs the recurrence in single precision (``sigma z_t`` computed as
    ``float32(sigma) * float32(z_t)`` either way). ``record`` (one network only), shape
    (batch, L, N): every state is stored there. Each network's operations are those of the
    textbook loop ``h = f(h @ W.T + s_t v + sigma z_t)`` (a chain's product is a shift, zero
    columns of v add nothing), so its final state does not depend on the other networks.
    States are returned in ``dtype``; the caller checks them for overflow.
    """
    batch, L = S.shape
    n = networks[0][0].shape[0]
    ST = np.ascontiguousarray(S.T, dtype=dtype)  # (L, batch): s_t for all sequences, contiguous
    sig = dtype(sigma)
    nets = []
    for W, v in networks:
        sub = _sub_diagonal(W)
        nz = np.flatnonzero(v)
        # A chain is stored unit by unit, (N, batch), so that "units 0 .. m-1" is a contiguous block;
        # any other W sequence by sequence, (batch, N), for the product h @ W^T (as it always was).
        shape = (n, batch) if sub is not None else (batch, n)
        nets.append({
            "WT": None if sub is not None else np.ascontiguousarray(W.T, dtype=dtype),  # h @ W^T is W h per row
            "sub": None if sub is None else sub.astype(dtype)[:, None],  # (N-1, 1)
            "v": v.astype(dtype),
            "nz": nz if nz.size <= n // 4 else None,  # input into a few units: add only there
            "vnz": v[nz].astype(dtype),
            # Preallocated buffers: fresh 8 MB arrays per step page-fault on glibc (perf notes).
            "h": np.zeros(shape, dtype),
            "a": np.empty(shape, dtype),
            "tmp": np.empty(shape, dtype),
        })
    z = None
    if isinstance(noise, np.random.Generator):
        z64 = np.empty((batch, n))
        z = z64 if dtype == np.float64 else np.empty((batch, n), dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # blow-up is reported by the caller
        for t in range(L):
            if isinstance(noise, np.random.Generator):
                noise.standard_normal(out=z64)  # drawn even when no unit needs it: the stream stays the same
                if z is not z64:
                    np.copyto(z, z64)
            elif noise is not None:
                z = noise[t]  # (batch, N)
            for net in nets:
                h, a, tmp = net["h"], net["a"], net["tmp"]
                if net["sub"] is not None:
                    # a chain, (N, batch): unit i takes unit i-1. Only units i <= N - L + t reach h_L
                    # (the others leave the chain first), so without a record the others are not computed.
                    m = n if record is not None else min(n, n - L + t + 1)
                    if m <= 0:
                        continue
                    np.multiply(h[: m - 1], net["sub"][: m - 1], out=a[1:m])
                    a[0] = 0.0
                    am, tm = a[:m], tmp[:m]
                    if net["nz"] is not None:
                        cols = net["nz"][net["nz"] < m]
                        am[cols] += net["vnz"][: cols.size, None] * ST[t][None, :]  # v s_t where v is non-zero
                    else:
                        np.multiply(net["v"][:m, None], ST[t][None, :], out=tm)
                        am += tm
                    if sigma > 0:
                        np.multiply(z.T[:m], sig, out=tm)
                        am += tm
                else:
                    np.matmul(h, net["WT"], out=a)  # (batch, N): W h_{t-1}
                    am, tm = a, tmp
                    if net["nz"] is not None:
                        am[:, net["nz"]] += ST[t][:, None] * net["vnz"]  # v s_t where v is non-zero
                    else:
                        np.multiply(ST[t][:, None], net["v"][None, :], out=tm)  # (batch, N): v s_t
                        am += tm
                    if sigma > 0:
                        np.multiply(z, sig, out=tm)
                        am += tm
                _apply(f, am, tm)
                net["h"], net["a"] = a, h  # h is now h_t; the old buffer is reused next step
                if record is not None:
                    record[:, t] = a.T if net["sub"] is not None else a
    return [np.ascontiguousarray(net["h"].T) if net["sub"] is not None else net["h"] for net in nets]


def _apply(f: str, a: np.ndarray, tmp: np.ndarray) -> None:
    """``a = f(a)`` in place: :func:`nnrnn_edu.nonlinearities.apply_`, with elu in three passes
    instead of four: ``max(a, expm1(min(a, 0)))`` is ``max(a, 0) + expm1(min(a, 0))``, value for
    value (``expm1(x) >= x``), and the simulation's most frequent non-linearity."""
    if f == "elu":
        np.minimum(a, 0.0, out=tmp)
        np.expm1(tmp, out=tmp)
        np.maximum(a, tmp, out=a)
    else:
        apply_(f, a, tmp)


def lagged_targets(signals: np.ndarray) -> np.ndarray:
    """Decoding targets by lag: column k is ``s_{L-k}``, the input k steps before ``h_L``.

    Parameters
    ----------
    signals : array_like, shape (batch, L)

    Returns
    -------
    ndarray, shape (batch, L)
        ``signals[:, ::-1]``; column 0 is ``s_L``, column L-1 is ``s_1``.

    See chapter 2, section 1.
    """
    return _signals(signals)[:, ::-1]

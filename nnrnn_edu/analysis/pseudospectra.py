"""epsilon-pseudospectra of recurrent matrices (Trefethen & Embree; on trained RNNs: Sengupta & Friston).

``sigma_min(zI - W)`` on a grid of the complex plane (:func:`sigma_min`,
:func:`pseudospectrum`); its level sets ``sigma_min < eps`` are the
epsilon-pseudospectra, and :func:`pseudospectral_radius` their reach. For
non-normal W (chains) they are far larger than the eigenvalues suggest.
:func:`pseudospectrum_explorer_data` is the computation behind chapter 4's
explorer (:func:`sigma_min` says how the grid is computed in a few hundredths of a
second). Importing this module imports neither torch nor matplotlib. See chapter 4.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from .._validate import finite_float, positive_int, square_matrix
from ..connectivity import eigenvalues, henrici_index, memory_network
from .shifted_solves import _bandwidths, _norm2
from .singular_values import PSEUDOSPECTRUM_METHODS, sigma_min

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


def _axis(lo: float, hi: float, n: int) -> np.ndarray:
    """``np.linspace(lo, hi, n)``, exactly symmetric about 0 when ``lo == -hi`` (it is to within an ulp).

    :func:`sigma_min` computes each value of sigma_min once per symmetry class (z, conj z and,
    for W coupling only opposite parities, -z); a grid that is symmetric to the last bit has
    four (or two) points per class instead of one.
    """
    x = np.linspace(lo, hi, n)
    return (x - x[::-1]) / 2 if lo == -hi else x


def pseudospectrum(
    W: Any,
    extent: float | tuple[float, float, float, float] | None = None,
    n_grid: int = 80,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 300,
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
    W = square_matrix(W, "W")
    n_grid = positive_int(n_grid, "n_grid")
    if n_grid < 2:
        raise ValueError(f"n_grid must be >= 2, got {n_grid}")
    if extent is None:
        kl, ku = _bandwidths(W)
        norm = _norm2(W, kl, ku) if kl + ku <= W.shape[0] // 4 else float(np.linalg.norm(W, 2))
        R = 1.15 * max(1.0, norm)
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
    re, im = _axis(box[0], box[1], n_grid), _axis(box[2], box[3], n_grid)
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



class PseudospectrumExplorerData(NamedTuple):
    """What chapter 4's pseudospectrum explorer shows for one initialiser (see :func:`pseudospectrum_explorer_data`).

    Attributes
    ----------
    kind : str
        One of :data:`nnrnn_edu.connectivity.KINDS`.
    n : int
        Network size N.
    alpha, beta, lam : float
        Chain forward gain, chain feedback, scale of the normal networks (as passed).
    eps : float
        The highlighted epsilon.
    pseudospectrum : Pseudospectrum
        ``sigma_min(zI - W)`` on the grid, with the eigenvalues.
    spectral_radius : float
        Largest eigenvalue modulus.
    pseudospectral_radius : float
        Grid estimate of the epsilon-pseudospectral radius (:func:`pseudospectral_radius`).
    henrici : float
        Henrici index ``d(W)``.

    See chapter 4.
    """

    kind: str
    n: int
    alpha: float
    beta: float
    lam: float
    eps: float
    pseudospectrum: Pseudospectrum
    spectral_radius: float
    pseudospectral_radius: float
    henrici: float


def pseudospectrum_explorer_data(
    kind: str = "chain",
    n: int = 100,
    alpha: float = 1.0,
    beta: float = 0.04,
    lam: float = 1.0,
    eps: float = 1e-2,
    n_grid: int = 80,
    seed: int = 0,
) -> PseudospectrumExplorerData:
    """Eigenvalues, epsilon-pseudospectra and their radii of one initialiser (chapter 4's explorer).

    Builds W with :func:`nnrnn_edu.connectivity.memory_network` (``alpha`` the chain's
    forward gain, also for ``"fbchain"``; ``beta`` its feedback) and computes
    ``sigma_min(zI - W)`` on an ``n_grid x n_grid`` grid (:func:`pseudospectrum`; about 0.03-0.05 s
    at N = 100, 80 x 80). A call with the same W and grid as the last one (only ``eps`` moved, or a
    parameter the kind ignores) reuses its grid: the returned arrays are read-only.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int
        Network size N.
    alpha, beta : float
        Chain forward gain and feedback weight.
    lam : float
        Scale of the normal networks.
    eps : float
        The highlighted epsilon (> 0).
    n_grid : int
        Grid points per axis.
    seed : int
        Seed of the random orthogonal matrix.

    Returns
    -------
    PseudospectrumExplorerData
        ``pseudospectrum.sigma`` has shape (n_grid, n_grid).

    See chapter 4.
    """
    eps = finite_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    # all three checked, also those the kind ignores: the data records them (and the plot shows them)
    alpha, beta, lam = (finite_float(x, name) for x, name in ((alpha, "alpha"), (beta, "beta"), (lam, "lam")))
    # One BLAS thread: the products and factorisations are small (N <= 200), and multi-threaded
    # OpenBLAS made the orthogonal network's move take 3 s instead of 0.04 s while another process
    # held a core (its QR, Schur form and norm).
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        W, _ = memory_network(kind, n, alpha=alpha, beta=beta, lam=lam, seed=seed)
        key = (W.tobytes(), W.shape, positive_int(n_grid, "n_grid"))
        if _EXPLORER_LAST.get("key") != key:  # the epsilon slider (and a control the kind ignores) reuses the grid
            ps = pseudospectrum(W, n_grid=n_grid)
            for a in ps:
                a.flags.writeable = False  # shared with the next call's data
            _EXPLORER_LAST.update(key=key, ps=ps, henrici=henrici_index(W))
    ps = _EXPLORER_LAST["ps"]
    return PseudospectrumExplorerData(
        kind=kind, n=n, alpha=alpha, beta=beta, lam=lam, eps=eps, pseudospectrum=ps,
        spectral_radius=float(np.max(np.abs(ps.eigenvalues))),
        pseudospectral_radius=pseudospectral_radius(ps, eps),
        henrici=_EXPLORER_LAST["henrici"],
    )


_EXPLORER_LAST: dict[str, Any] = {}
"""The last grid :func:`pseudospectrum_explorer_data` computed, by W and n_grid (read-only arrays)."""


__all__ = [
    "PSEUDOSPECTRUM_METHODS",
    "Pseudospectrum",
    "PseudospectrumExplorerData",
    "pseudospectral_radius",
    "pseudospectrum",
    "pseudospectrum_explorer_data",
    "sigma_min",
]

"""Exercises a learner can check: :func:`check` says right or wrong, with a hint.

Every chapter ends with a few exercises of three kinds: *predict, then compute* (work the answer out
by hand, then with the library), *modify and explain* (change a cell, report what it prints, and say
why) and *read a figure*. A chapter poses the question and calls ``check(exercise_id, answer)``;
its solution is a folded cell that computes the answer with the library and passes the checker
under the notebook tests, so a solution cannot go stale.

The expected answers are not written down anywhere, not on the page and not here: each exercise
computes its own from the library (:attr:`Exercise.expected`) when it is checked. Numbers are
compared with a relative tolerance; typical wrong answers (a forgotten normalisation, a standard
deviation where a variance belongs, ...) get a hint aimed at the mistake.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

KINDS: tuple[str, ...] = ("predict-compute", "modify-explain", "read-figure")
"""The kinds of exercise: predict then compute, modify a cell and explain, read a figure."""


@dataclass(frozen=True)
class Feedback:
    """What :func:`check` says: right or wrong, and a hint when wrong.

    Attributes
    ----------
    exercise_id : str
    correct : bool
    message : str
        Shown in the notebook (``repr``); starts with "Right" or "Not yet".

    ``bool(feedback)`` is ``correct``, so a solution cell can ``assert check(...)``.
    """

    exercise_id: str
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise.

    Attributes
    ----------
    id : str
        ``"chNN-short-name"``; the chapter's cell passes it to :func:`check`.
    chapter : int
    kind : str
        One of :data:`KINDS`.
    params : mapping
        The numbers the question states (the chapter's text gives the same ones; a test checks it).
    answer : str
        What form the answer takes, e.g. ``"a number"`` or ``'a pair ("A", 2)'``.
    expected : callable
        ``expected(params)``: the right answer, computed by the library.
    is_right : callable
        ``is_right(answer, expected)``.
    wrong : tuple of (callable, str)
        Typical wrong answers: ``(value(params), hint)``; an answer matching ``value`` gets that hint.
    hint : str
        The hint for any other wrong answer.
    rtol : float
        Relative tolerance for numbers.
    """

    id: str
    chapter: int
    kind: str
    params: Mapping[str, Any]
    answer: str
    expected: Callable[[Mapping[str, Any]], Any]
    hint: str
    wrong: tuple[tuple[Callable[[Mapping[str, Any]], Any], str], ...] = ()
    rtol: float = 0.02
    is_right: Callable[[Any, Any, float], bool] = field(default=None)  # type: ignore[assignment]

    def right(self, answer: Any, expected: Any) -> bool:
        """Whether ``answer`` matches ``expected`` (numbers within :attr:`rtol`)."""
        return (self.is_right or _close)(answer, expected, self.rtol)


# --------------------------------------------------------------------------- comparing answers

def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        if isinstance(x, np.ndarray) and x.size == 1 and np.isrealobj(x):
            return float(x.reshape(()))
        return None
    return float(x)


def _close(answer: Any, expected: Any, rtol: float) -> bool:
    a = _number(answer)
    return a is not None and math.isfinite(a) and abs(a - float(expected)) <= rtol * abs(float(expected)) + 1e-12


def _label(x: Any) -> str | None:
    return x.strip().strip("\"'").strip().lower() if isinstance(x, str) else None


def _label_and_lag(answer: Any, expected: Any, rtol: float) -> bool:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return False
    lag = _number(answer[1])
    return _label(answer[0]) == _label(expected[0]) and lag is not None and lag == expected[1]


# --------------------------------------------------------------------------- the exercises' answers

def _chain_j(p: Mapping[str, Any]) -> float:
    from .connectivity import chain
    from .memory import fisher_memory_curve

    return float(fisher_memory_curve(chain(p["N"], p["alpha"]), np.eye(p["N"])[0], p["k"] + 1)[p["k"]])


def _normal_total(p: Mapping[str, Any]) -> float:
    from .connectivity import memory_network
    from .memory import total_fisher_memory

    W, v = memory_network("orthogonal", p["N"], lam=p["lam"], seed=p["seed"])
    return float(total_fisher_memory(W, v))


def _noisy_chain_r2(p: Mapping[str, Any]) -> float:
    from .connectivity import chain
    from .decoding import population_r2_curve

    n = p["k"] + 1
    return float(population_r2_curve(chain(n, 1.0), np.eye(n)[0], n, noise_std=p["sigma"])[p["k"]])


def _relu_chain(p: Mapping[str, Any]) -> float:
    from .decoding import iterated_nonlinearity_r2

    return float(iterated_nonlinearity_r2("relu", p["k"] + 1)[p["k"]])


def _copy_chain_successes(p: Mapping[str, Any]) -> int:
    from .chapters import ch03

    summary, _ = ch03.figure3_results(tasks=("copy",), train=False, progress=False)
    if "copy" not in summary:
        raise ValueError("no copy runs of this tier were found: run the Figure 3 cell of chapter 3 first")
    return int(summary["copy"]["models"]["chain"]["n_success"])


def _copy_baseline(p: Mapping[str, Any]) -> float:
    from .tasks import baseline_loss

    return baseline_loss("copy", p["T"])


def _addition_line(p: Mapping[str, Any]) -> float:
    from .tasks import success_threshold

    return success_threshold("addition", p["T"])


def _fbchain_henrici(p: Mapping[str, Any]) -> float:
    from .connectivity import chain_with_feedback, henrici_index

    return henrici_index(chain_with_feedback(p["N"], p["alpha"], p["beta"]))


def _hidden_chain(p: Mapping[str, Any]) -> tuple[str, int]:
    from .analysis import hidden_chain_profile

    nets = mystery_networks(p["seed"])
    scores = {}
    for name, net in nets.items():
        lags, prof = hidden_chain_profile(*net)
        near = (np.abs(lags) <= p["max_lag"]) & (lags != 0)
        scores[name] = (float(np.max(prof[near])), int(lags[near][np.argmax(prof[near])]),
                        float(np.sum(prof[near & (lags > 0)]) - np.sum(prof[near & (lags < 0)])))
    name = max(scores, key=lambda n: scores[n][2])  # the most one-sided profile: forward minus backward weight
    return name, scores[name][1]


MYSTERY_N = 30
"""Units of each of :func:`mystery_networks`."""


def mystery_networks(seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
    """Three unlabelled elu networks for chapter 4's read-a-figure exercise: which one hides a chain?

    One is a chain with feedback (0.99 forward, 0.05 back) plus weak random weights (s.d. 0.01), its units
    shuffled; one is a random orthogonal matrix scaled by 0.95; one is a random symmetric matrix with
    spectral radius 0.95. Which letter is which depends on ``seed`` (the page does not say).

    Parameters
    ----------
    seed : int
        Seeds the matrices, the shuffle and the letters.

    Returns
    -------
    dict
        ``{"A": (W, v, bias, "elu"), "B": ..., "C": ...}``, each ready for
        :func:`nnrnn_edu.analysis.hidden_chain_profile` (``W`` of shape (30, 30), input ``v``, zero bias).
    """
    from ._validate import seed_or_generator
    from .connectivity import chain_with_feedback, random_orthogonal

    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    rng = seed_or_generator(int(seed))
    n = MYSTERY_N
    perm = rng.permutation(n)
    P = np.eye(n)[perm]
    chain = chain_with_feedback(n, 0.99, 0.05) + 0.01 * rng.standard_normal((n, n))
    e1 = np.zeros(n)
    e1[0] = 1.0
    hidden = (P @ chain @ P.T, P @ e1)
    ortho = 0.95 * random_orthogonal(n, seed=rng)
    A = rng.standard_normal((n, n))
    sym = A + A.T
    sym *= 0.95 / np.max(np.abs(np.linalg.eigvalsh(sym)))
    v = rng.standard_normal(n) / np.sqrt(n)
    nets = [hidden, (ortho, v), (sym, v)]
    letters = rng.permutation(3)
    return {"ABC"[letters[i]]: (W, x, np.zeros(n), "elu") for i, (W, x) in enumerate(nets)}


EXERCISES: dict[str, Exercise] = {
    e.id: e
    for e in (
        Exercise(
            "ch01-chain-memory", 1, "predict-compute", {"N": 10, "alpha": 1.5, "k": 3}, "a number",
            _chain_j, rtol=0.01,
            hint="J(k) is a signal-to-noise ratio: the signal alpha^(2k) that reaches unit k+1, over the noise "
                 "that piled up on the way (one unit of variance per step, amplified like the signal).",
            wrong=(
                (lambda p: p["alpha"] ** (2 * p["k"]), "That is the signal alone; divide by the noise it "
                 "accumulated, sum_{j<=k} alpha^(2j)."),
                (lambda p: 1 / (p["k"] + 1), "That is J(k) of the chain with alpha = 1; here alpha = 1.5."),
                (lambda p: p["alpha"] ** (2 * p["k"] + 2) / sum(p["alpha"] ** (2 * j) for j in range(p["k"] + 2)),
                 "Off by one step: k = 0 is the input that just arrived (unit 1), k = 3 sits in unit 4."),
            ),
        ),
        Exercise(
            "ch01-normal-total", 1, "modify-explain", {"N": 100, "lam": 0.5, "seed": 1}, "a number",
            _normal_total,
            hint="For a normal W the noise is amplified exactly like the signal, in every direction at once.",
            wrong=(
                (lambda p: p["N"], "N is the upper bound, reached only by non-normal networks (a long chain)."),
                (lambda p: 1 / (1 - p["lam"] ** 2), "That is the total signal sum_k lam^(2k); the noise "
                 "grows by the same factor, so their ratio is what counts."),
            ),
        ),
        Exercise(
            "ch02-noisy-chain", 2, "predict-compute", {"sigma": 0.5, "k": 3}, "a number",
            _noisy_chain_r2,
            hint="The input from k steps ago sits in unit k+1 alone, with the noise of every step it took to get "
                 "there: R^2 = signal variance / (signal variance + noise variance).",
            wrong=(
                (lambda p: 1 / (1 + p["k"] * p["sigma"] ** 2), "Count the noise of the step the input arrived "
                 "in too: k + 1 noise terms."),
                (lambda p: 1 / (1 + (p["k"] + 1) * p["sigma"]), "sigma is a standard deviation: noise adds "
                 "variances, sigma^2 per step."),
            ),
        ),
        Exercise(
            "ch02-relu-chain", 2, "modify-explain", {"k": 50}, "a number",
            _relu_chain,
            hint="relu(relu(x)) = relu(x): after the first step nothing more is lost, so every lag keeps what "
                 "one relu keeps of a standard normal input, corr(s, relu(s))^2.",
            wrong=(
                (lambda p: 0.5, "relu keeps the positive half of the inputs, but the half it keeps carries more "
                 "than half of the variance that a linear decoder can use: compute corr(s, relu(s))^2."),
                (lambda p: 0.0, "relu forgets nothing after its first step: relu(relu(x)) = relu(x)."),
                (lambda p: 2 / math.pi, "2/pi is corr(s, sign(s))^2, the limit for tanh; relu keeps more."),
            ),
        ),
        Exercise(
            "ch03-copy-baseline", 3, "predict-compute", {"T": 1000}, "a number (nats per step)",
            _copy_baseline,
            hint="A memoryless model knows every blank and guesses the 10 recalled digits uniformly among 8; "
                 "the loss is the mean over all T steps.",
            wrong=(
                (lambda p: math.log(8), "ln 8 is the cost of one guessed digit; only 10 of the T steps are guesses."),
                (lambda p: 10 * math.log(8), "That is the total over the sequence; the loss is per step."),
                (lambda p: 10 * math.log(10) / p["T"], "The copied symbols are 8 digits, not 10."),
                (lambda p: 10 * math.log(9) / p["T"], "The blank is never guessed: a memoryless model knows "
                 "where the blanks are. 8 symbols, not 9."),
            ),
        ),
        Exercise(
            "ch03-addition-line", 3, "modify-explain", {"T": 750}, "a number (mean squared error)",
            _addition_line,
            hint="The memoryless model answers the mean of the sum of two uniform numbers; success is half its loss.",
            wrong=(
                (lambda p: 1 / 6, "That is the baseline itself (the variance of the sum of two uniforms); "
                 "success means half of it."),
                (lambda p: 1 / 24, "The sum of two independent uniforms has variance 1/12 + 1/12."),
            ),
        ),
        Exercise(
            "ch03-copy-chain", 3, "read-figure", {}, "a whole number",
            _copy_chain_successes, rtol=0.0,
            hint="Read the copy panel of the success counts (Figure 3d-f) at the tier this page was built at: "
                 "the chain's bar is labelled with its count.",
        ),
        Exercise(
            "ch04-fbchain-henrici", 4, "predict-compute", {"N": 100, "alpha": 0.99, "beta": 0.04}, "a number",
            _fbchain_henrici, rtol=0.01,
            hint="d(W)^2 = ||W||_F^2 - sum |lambda_i|^2; the tridiagonal W has eigenvalues "
                 "2 sqrt(alpha beta) cos(j pi / (N + 1)).",
            wrong=(
                (lambda p: p["alpha"] * math.sqrt(p["N"] - 1), "That is the chain without feedback, whose "
                 "eigenvalues are all 0. Feedback gives the eigenvalues a size."),
                (lambda p: math.sqrt((p["alpha"] ** 2 + p["beta"] ** 2) * (p["N"] - 1)), "That is ||W||_F, "
                 "the whole matrix; subtract the eigenvalues' part."),
                (lambda p: (p["alpha"] + p["beta"]) * math.sqrt(p["N"] - 1), "Feedback lowers the index: the "
                 "eigenvalues take away alpha beta per pair of units."),
                (lambda p: 0.0, "A matrix with d = 0 is normal; this one is not symmetric."),
            ),
        ),
        Exercise(
            "ch04-hidden-chain", 4, "read-figure", {"seed": 0, "max_lag": 5}, 'a pair ("A", 2): letter and i - j',
            _hidden_chain, is_right=_label_and_lag,
            hint="A hidden chain shows as a bump on one side of i - j = 0: strong weights from earlier- to "
                 "later-peaking units. A normal network's profile has no such one-sided peak.",
        ),
    )
}
"""Every exercise of the book, by id."""


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check an answer to one of the book's exercises.

    Parameters
    ----------
    exercise_id : str
        A key of :data:`EXERCISES`, e.g. ``"ch01-chain-memory"``.
    answer :
        Your answer, in the form the exercise asks for (:attr:`Exercise.answer`); ``None`` (not
        answered yet) says so instead of marking it wrong.

    Returns
    -------
    Feedback
        ``bool(feedback)`` is whether it is right; the notebook shows its message, with a hint
        aimed at the mistake when it is one of the typical ones.

    Raises
    ------
    ValueError
        For an unknown ``exercise_id``.
    """
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    ex = EXERCISES[exercise_id]
    if answer is None:
        return Feedback(exercise_id, False, f"Not answered yet: replace None by your answer ({ex.answer}).")
    expected = ex.expected(ex.params)
    if ex.right(answer, expected):
        return Feedback(exercise_id, True, "Right.")
    if ex.is_right is None and _number(answer) is None:
        return Feedback(exercise_id, False, f"Not yet: the answer is {ex.answer}, got {answer!r}.")
    for value, hint in ex.wrong:
        if _close(answer, value(ex.params), ex.rtol):
            return Feedback(exercise_id, False, f"Not yet. {hint}")
    return Feedback(exercise_id, False, f"Not yet. Hint: {ex.hint}")

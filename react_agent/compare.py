"""`react compare RUN_A RUN_B`: two runs on the same tasks, compared task by task.

Two runs' scores on the same tasks are paired: a task both solved says nothing of which run is
better, only the tasks one solved and the other did not do. So the comparison counts the four
cases, gives the difference of the scores with a paired bootstrap interval (tasks resampled, both
runs' scores of a task kept together), and McNemar's exact test on the tasks only one solved
(two-sided; under no difference, each of them is equally likely to be A's or B's).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from typing import Any

from react_agent.errors import OptionError
from react_agent.leaderboard import BOOTSTRAP_SAMPLES, scoring_of
from react_agent.trajectory import EpisodeResult


@dataclass(frozen=True)
class Comparison:
    score: str  # the metric compared (the task's score: em, success)
    tasks: int  # tasks both runs played
    both: int  # solved by both (score 1)
    only_a: int
    only_b: int
    neither: int
    difference: float  # mean score of A minus that of B, in points (x 100)
    low: float  # its 95% paired bootstrap interval
    high: float
    p_value: float  # McNemar's exact test, two-sided
    only_in_a: int = 0  # tasks one run played and the other did not (left out)
    only_in_b: int = 0
    # Which runs judged Reflexion's attempts by the gold answer (`oracle_feedback`): no test scores.
    oracle_a: bool = False
    oracle_b: bool = False

    def as_record(self) -> dict[str, Any]:
        return self.__dict__.copy()


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """The two-sided exact p of McNemar's test: the chance, if A and B were alike, of a split of the
    discordant tasks at least as uneven as this one (a binomial test at one half)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_bootstrap(
    differences: Sequence[float], *, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """The 95% percentile interval of the mean of paired differences, tasks resampled (seeded)."""
    rng = random.Random(seed)
    n = len(differences)
    means = sorted(sum(rng.choices(differences, k=n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[min(samples - 1, int(0.975 * samples))]


def compare(a: Sequence[EpisodeResult], b: Sequence[EpisodeResult]) -> Comparison:
    """Run A against run B on the tasks both played (each run's latest result of a task), trial
    against trial where they played several (`--epochs`)."""
    if not a or not b:
        raise OptionError("both runs need results to compare")
    score = scoring_of(a[0]).score
    if scoring_of(b[0]).score != score:
        raise OptionError(f"the runs have different scores: {score} and {scoring_of(b[0]).score}")
    by_task_a = {r.trial: r.metrics.get(score, 0.0) for r in a}
    by_task_b = {r.trial: r.metrics.get(score, 0.0) for r in b}
    shared = [task for task in by_task_a if task in by_task_b]
    if not shared:
        raise OptionError("the runs have no task in common")
    pairs = [(by_task_a[task], by_task_b[task]) for task in shared]
    solved = [(x >= 1, y >= 1) for x, y in pairs]
    differences = [100 * (x - y) for x, y in pairs]
    low, high = paired_bootstrap(differences)
    only_a, only_b = solved.count((True, False)), solved.count((False, True))
    return Comparison(
        score=score,
        tasks=len(shared),
        both=solved.count((True, True)),
        only_a=only_a,
        only_b=only_b,
        neither=solved.count((False, False)),
        difference=sum(differences) / len(differences),
        low=low,
        high=high,
        p_value=mcnemar_exact(only_a, only_b),
        only_in_a=len(by_task_a) - len(shared),
        only_in_b=len(by_task_b) - len(shared),
        oracle_a=_oracle(a),
        oracle_b=_oracle(b),
    )


def _oracle(run: Sequence[EpisodeResult]) -> bool:
    return any(r.config is not None and r.config.oracle_feedback for r in run)


def as_lines(comparison: Comparison, name_a: str, name_b: str) -> list[str]:
    c = comparison
    lines = [
        f"A: {name_a}",
        f"B: {name_b}",
        f"{c.tasks} tasks in both: solved by both {c.both}, only A {c.only_a}, only B {c.only_b}, "
        f"neither {c.neither}",
        f"{c.score} A - B: {c.difference:+.1f} points, 95% paired bootstrap interval "
        f"[{c.low:+.1f}, {c.high:+.1f}]",
        f"McNemar's exact test (the {c.only_a + c.only_b} tasks only one solved): p = {c.p_value:.4g}",
    ]
    if c.only_in_a or c.only_in_b:
        lines.append(f"left out: {c.only_in_a} tasks only A played, {c.only_in_b} only B played")
    for run, oracle in (("A", c.oracle_a), ("B", c.oracle_b)):
        if oracle:
            lines.append(
                f"oracle feedback: {run}'s attempts were judged by the gold answer (Reflexion's HotpotQA "
                f"setup), so {run}'s score is no test score"
            )
    return lines

"""`react compare`: two runs whose answers we know, so the counts, the interval and p are known."""

import json
import subprocess
import sys

import pytest

from react_agent.compare import compare, mcnemar_exact
from react_agent.results import append_result
from react_agent.trajectory import EpisodeResult, StopReason


def run(solved: list[bool], prefix: str = "t") -> list[EpisodeResult]:
    return [
        EpisodeResult(
            task_id=f"{prefix}{i}",
            question="q",
            stop_reason=StopReason.finished,
            metrics={"em": float(ok), "f1": float(ok)},
        )
        for i, ok in enumerate(solved)
    ]


# Ten tasks: both solve 0-2, only A 3-7, only B 8, neither 9.
A = [True] * 8 + [False] * 2
B = [True] * 3 + [False] * 5 + [True, False]


def react(*args):
    return subprocess.run(
        [sys.executable, "-m", "react_agent.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_counts_difference_and_exact_p_of_two_small_runs(tmp_path):
    for name, solved in (("a", A), ("b", B)):
        for result in run(solved):
            append_result(tmp_path / f"{name}.jsonl", result)
    process = react("compare", tmp_path / "a.jsonl", tmp_path / "b.jsonl", "--format", "json")
    assert process.returncode == 0, process.stderr
    got = json.loads(process.stdout)
    assert (got["tasks"], got["both"], got["only_a"], got["only_b"], got["neither"]) == (10, 3, 5, 1, 1)
    assert got["difference"] == pytest.approx(40.0)  # 80% - 40%
    # Exact: 2 * P(X <= 1), X ~ Binomial(6, 1/2) = 2 * 7/64.
    assert got["p_value"] == pytest.approx(0.21875)
    # Means of ten differences of -100, 0 or +100 are multiples of 10, and hold the observed one.
    assert got["low"] < 40 < got["high"] and got["low"] % 10 == 0 and got["high"] % 10 == 0
    text = react("compare", tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert "solved by both 3, only A 5, only B 1, neither 1" in text.stdout
    assert "em A - B: +40.0 points" in text.stdout and "p = 0.2188" in text.stdout


def test_the_interval_of_a_large_paired_sample_is_the_normal_one():
    # 200 tasks: 60 only A, 20 only B, 120 tied: differences of mean 20 points, sd 60, se 60/sqrt(200).
    a = [True] * 60 + [False] * 20 + [True] * 60 + [False] * 60
    b = [False] * 60 + [True] * 20 + [True] * 60 + [False] * 60
    got = compare(run(a), run(b))
    half = 1.96 * 60 / 200**0.5
    assert got.difference == pytest.approx(20.0)
    assert got.low == pytest.approx(20 - half, abs=1.5) and got.high == pytest.approx(20 + half, abs=1.5)
    # McNemar with continuity correction, chi2 = (|60 - 20| - 1)^2 / 80 = 19.0: p about 1.3e-5.
    assert 1e-6 < got.p_value < 1e-4


def test_mcnemar_edges():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)
    assert mcnemar_exact(0, 5) == mcnemar_exact(5, 0)


def test_only_shared_tasks_count_and_runs_with_none_in_common_fail_in_one_line(tmp_path):
    got = compare(run(A), run(B[:6]))
    assert (got.tasks, got.only_in_a, got.only_in_b) == (6, 4, 0)
    for result in run(A):
        append_result(tmp_path / "a.jsonl", result)
    for result in run(B, prefix="other"):
        append_result(tmp_path / "b.jsonl", result)
    process = react("compare", tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert (
        process.returncode == 2 and process.stderr.strip() == "react: error: the runs have no task in common"
    )

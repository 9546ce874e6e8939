"""Publish a whole run of a suite: move its file from `pending/` into `runs/` once every task is in
it, with today's failure categories, replayed through today's code to the same answers, metrics and
categories, and write the leaderboard into benchmarks/README.md.

Long runs are played into `benchmarks/pending/` and committed there at each working session's end,
so that the next session resumes them on whatever machine it gets (`suite NAME --runs
benchmarks/pending`); this is their way out.

    python -m benchmarks.publish SUITE FILE [--pending DIR] [--runs DIR] [--shared DIR]
                                             [--readme benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.rediagnose import rediagnosed, replaying
from benchmarks.refresh_readme import refreshed
from react_agent.bench import bench
from react_agent.models.base import ModelUnavailable
from react_agent.results import latest_results, read_results
from react_agent.suites import Places, load_suites, out_of, spec_of


class NotPublished(Exception):
    """Why a run was left where it was, in one line."""


def outcome(path: Path) -> dict[tuple[str, int], tuple[Any, ...]]:
    """What a replay must give again, by trial."""
    return {
        result.trial: (result.answer, result.metrics, len(result.steps), result.failure_category)
        for result in latest_results(read_results(path))
    }


def publish(entry: dict[str, Any], pending: Path, runs: Path, shared: Path) -> int:
    """Move the entry's whole run from `pending` into `runs` (see the module's docstring); returns its
    episode count. Raises `NotPublished`, leaving both folders as they were."""
    name = out_of(entry)
    source = pending / name
    if not source.exists():
        raise NotPublished(f"no {name} in {pending}")
    if (runs / name).exists():
        raise NotPublished(f"{runs / name} is already published")
    run = replaying(source, entry, shared)
    wanted = len(run.tasks) * run.spec.epochs
    if (held := len(outcome(source))) != wanted:
        raise NotPublished(f"{name} holds {held} of its {wanted} episodes: resume it first")
    text, _ = rediagnosed(source, run)
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / "candidate" / name
        candidate.parent.mkdir()
        candidate.write_text(text, encoding="utf-8")
        replayed = Path(folder) / name
        bench(spec_of(entry, Places(Path(folder), shared), model=f"replay:{candidate}"))
        again, published = outcome(replayed), outcome(candidate)
        if differing := [trial for trial in published if again.get(trial) != published[trial]]:
            task, epoch = differing[0]
            first = f"{task}, epoch {epoch}" if epoch else task
            raise NotPublished(f"{name}: {len(differing)} episodes replay otherwise, the first {first}")
    (runs / name).write_text(text, encoding="utf-8")
    source.unlink()
    return wanted


def main() -> None:
    suites = load_suites()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=sorted(suites))
    parser.add_argument("file", help="the results file, as the suite names it")
    parser.add_argument(
        "--pending", type=Path, default=Path("benchmarks/pending"), help="where it was played"
    )
    parser.add_argument("--runs", type=Path, default=Path("benchmarks/runs"), help="the published runs")
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the reference data")
    parser.add_argument("--readme", type=Path, default=Path("benchmarks/README.md"))
    args = parser.parse_args()
    entries = {out_of(entry): entry for entry in suites[args.suite]}
    if args.file not in entries:
        sys.exit(f"publish: suite {args.suite} writes no {args.file}")
    try:
        episodes = publish(entries[args.file], args.pending, args.runs, args.shared)
    except (NotPublished, ModelUnavailable, ValueError) as why:  # a replay that stops says where
        sys.exit(f"publish: {why}")
    args.readme.write_text(refreshed(args.readme.read_text(), args.runs))
    print(f"published {args.file}: {episodes} episodes, replayed; {args.readme} refreshed")


if __name__ == "__main__":
    main()

"""Give the episodes of recorded runs the failure categories that today's rules give them, and change
nothing else in their files.

A category is read off the recorded episode and its task (`react_agent.diagnosis`, each task's
`diagnose`), not asked of the model, so a change to those rules needs no model run: this rewrites
the `failure_category` of every line in place, and nothing else, byte for byte. The replay tests
then hold every published file to today's rules.

    python -m benchmarks.rediagnose SUITE FILE ... [--runs benchmarks/runs] [--shared DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from react_agent.bench import Run
from react_agent.environment import task_id_of
from react_agent.models.base import ModelUnavailable
from react_agent.suites import Places, load_suites, out_of, spec_of
from react_agent.trajectory import EpisodeResult


def category_field(category: str | None) -> str:
    """The field as a result line holds it: one key, found by its text so nothing else is rewritten
    (a key inside a string would have its quotes escaped)."""
    return f'"failure_category":{json.dumps(category, ensure_ascii=False)}'


def replaying(path: Path, entry: dict, shared: Path) -> Run:
    """The suite entry's run, set up to replay `path` (its tasks, its rules; nothing is played)."""
    return Run(spec_of(entry, Places(path.parent, shared), model=f"replay:{path}", out=None))


def rediagnosed(path: Path, run: Run) -> tuple[str, int]:
    """The text of `path`, a results file of `run`, with today's categories, and how many lines
    changed category."""
    tasks = {task_id_of(task): task for task in run.setup.tasks}
    lines, changed = [], 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        result = EpisodeResult.model_validate_json(line)
        recorded = category_field(result.failure_category)
        if line.count(recorded) != 1:
            raise ValueError(f"{path}:{number} has no failure_category field to rewrite")
        category = run.setup.failure_category(result, tasks[result.task_id])
        changed += category != result.failure_category
        lines.append(line.replace(recorded, category_field(category)))
    return "".join(line + "\n" for line in lines), changed


def main() -> None:
    suites = load_suites()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=sorted(suites))
    parser.add_argument("files", nargs="+", metavar="FILE", help="results files the suite writes")
    parser.add_argument("--runs", type=Path, default=Path("benchmarks/runs"), help="where they are")
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the reference data")
    args = parser.parse_args()
    entries = {out_of(entry): entry for entry in suites[args.suite]}
    for name in args.files:
        if name not in entries:
            sys.exit(f"rediagnose: suite {args.suite} writes no {name}")
        path = args.runs / name
        try:
            text, changed = rediagnosed(path, replaying(path, entries[name], args.shared))
        except (ModelUnavailable, ValueError) as error:  # a file that is no run's, or not the suite's
            sys.exit(f"rediagnose: {error}")
        path.write_text(text, encoding="utf-8")
        print(f"{name}: {changed} episodes changed category", flush=True)


if __name__ == "__main__":
    main()

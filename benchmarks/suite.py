"""Run a benchmark suite of `suites.json`: each entry is the `BenchSpec` of one run (resumable), with
the embedded model unless the entry names another; `{shared}` in it stands for the reference data
folder, and `{benchmarks}` for this one (its prompt files, `prompts/`). Results go to
`benchmarks/runs/`.

    python -m react_agent.benchmarks.suite demo|shared|alfworld [--runs DIR] [--shared DIR]
                                          [--only FILE ...] [--workers N] [--replay DIR] [--n N]
    react leaderboard benchmarks/runs/*.jsonl --format markdown

`--replay DIR` plays each entry's recorded model outputs back from `DIR/<its results file>` (the
check that today's code sends exactly the recorded requests and gives the published scores).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from react_agent.bench import BenchSpec, RunInterrupted, bench


def load_suites() -> dict[str, list[dict[str, Any]]]:
    """Each suite's entries, as `suites.json` gives them."""
    return json.loads(files("react_agent.benchmarks").joinpath("suites.json").read_text())


def out_of(entry: dict[str, Any]) -> str:
    """The results file an entry writes."""
    return entry["out"]


# Where the package's benchmark files are (prompt files that `react optimize` wrote: prompts/).
BENCHMARKS = Path(str(files("react_agent.benchmarks")))


def _filled(value: Any, shared: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{shared}", str(shared)).replace("{benchmarks}", str(BENCHMARKS))
    if isinstance(value, dict):
        return {key: _filled(item, shared) for key, item in value.items()}
    return value


def spec_of(entry: dict[str, Any], runs: Path, shared: Path, **changes: Any) -> BenchSpec:
    """The entry's spec, writing into `runs`, with the reference data at `shared`."""
    fields = _filled(entry, shared) | {"out": runs / out_of(entry)}
    return BenchSpec.model_validate(fields | changes)


def main() -> None:
    suites = load_suites()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=sorted(suites))
    parser.add_argument("--runs", type=Path, default=Path("benchmarks/runs"), help="where results go")
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the reference data")
    parser.add_argument("--only", nargs="+", metavar="FILE", help="only the runs writing these files")
    parser.add_argument(
        "--workers", type=int, default=1, help="episodes at once (one model; results do not change)"
    )
    parser.add_argument("--replay", type=Path, help="play back the recorded runs of this folder")
    parser.add_argument("--n", type=int, help="only the first N tasks of each run")
    args = parser.parse_args()
    entries = [entry for entry in suites[args.suite] if not args.only or out_of(entry) in args.only]
    if args.only and len(entries) != len(args.only):
        known = ", ".join(out_of(entry) for entry in suites[args.suite])
        parser.error(f"--only names a file that suite {args.suite} does not write; it writes: {known}")
    args.runs.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        changes: dict[str, Any] = {"workers": args.workers}
        if args.n is not None:  # a sample of the entry's tasks, never more than the entry plays
            changes["n"] = min(args.n, entry.get("n") or args.n)
        if args.replay:
            changes["model"] = f"replay:{args.replay / out_of(entry)}"
        spec = spec_of(entry, args.runs, args.shared, **changes)
        print(spec.model_dump_json(exclude_defaults=True), flush=True)
        try:
            summary = bench(spec)
        except RunInterrupted as stopped:  # what finished is written: rerunning the suite resumes
            where = f"{stopped.written} episodes in {spec.out}"
            sys.exit(f"suite {args.suite}: {stopped.name}: stopped with {where}; run it again to resume")
        print(f"{summary.played} episodes played, {summary.already} already in {spec.out}", flush=True)


if __name__ == "__main__":
    main()

"""Run a benchmark suite of `suites.json`: each entry is one `react bench` (resumable), with the
embedded model unless the entry names another. Results go to `benchmarks/runs/`.

    python -m react_agent.benchmarks.suite demo|shared|alfworld [--runs DIR] [--shared DIR]
                                          [--only FILE ...] [--workers N]
    react leaderboard benchmarks/runs/*.jsonl --format markdown
"""

from __future__ import annotations

import argparse
import json
from importlib.resources import files
from pathlib import Path

from react_agent.cli import main as react


def load_suites() -> dict[str, list[list[str]]]:
    """Each suite's `react bench` argument lists, as `suites.json` gives them."""
    return json.loads(files("react_agent.benchmarks").joinpath("suites.json").read_text())


def out_of(argv: list[str]) -> str:
    """The results file that an entry's arguments name."""
    return argv[argv.index("--out") + 1]


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
    args = parser.parse_args()
    entries = [entry for entry in suites[args.suite] if not args.only or out_of(entry) in args.only]
    if args.only and len(entries) != len(args.only):
        known = ", ".join(out_of(entry) for entry in suites[args.suite])
        parser.error(f"--only names a file that suite {args.suite} does not write; it writes: {known}")
    args.runs.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        argv = [part.replace("{shared}", str(args.shared)) for part in entry]
        argv[argv.index("--out") + 1] = str(args.runs / out_of(argv))
        if args.workers > 1:
            argv += ["--workers", str(args.workers)]
        print("react bench " + " ".join(argv), flush=True)
        react(["bench", *argv])


if __name__ == "__main__":
    main()

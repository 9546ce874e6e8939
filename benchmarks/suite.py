"""Run a benchmark suite of `suites.json`: each entry is one `react bench` (resumable), with the
embedded model unless the entry names another. Results go to `benchmarks/runs/`.

    python -m react_agent.benchmarks.suite demo|shared|alfworld [--runs DIR] [--shared DIR]
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
    args = parser.parse_args()
    args.runs.mkdir(parents=True, exist_ok=True)
    for entry in suites[args.suite]:
        argv = [part.replace("{shared}", str(args.shared)) for part in entry]
        argv[argv.index("--out") + 1] = str(args.runs / out_of(argv))
        print("react bench " + " ".join(argv), flush=True)
        react(["bench", *argv])


if __name__ == "__main__":
    main()

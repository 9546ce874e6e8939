"""Write the leaderboard of `benchmarks/runs/`, and the comparison of step formats made from it,
into benchmarks/README.md, each between its markers.

python -m benchmarks.refresh_readme [--readme benchmarks/README.md] [--runs benchmarks/runs]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks import step_formats
from react_agent.leaderboard import as_markdown, rows
from react_agent.results import latest_results, read_results, results_files
from react_agent.suites import load_suites, out_of

LEADERBOARD = ("<!-- leaderboard -->\n", "<!-- end of leaderboard -->\n")
STEP_FORMATS = ("<!-- step formats -->\n", "<!-- end of step formats -->\n")


def leaderboard_block(runs: Path) -> str:
    files = results_files([runs])
    results = [list(latest_results(read_results(path))) for path in files]
    block = (
        as_markdown(rows(*results, names=[path.stem for path in files]), breakdown=True).rstrip("\n") + "\n"
    )
    if missing := not_run_yet(runs):
        listed = ", ".join(f"`{out}` (suite `{suite}`)" for suite, out in missing)
        block += f"\nIn `suites.json` but not run yet (no file in `runs/`): {listed}.\n"
    return block


def not_run_yet(runs: Path) -> list[tuple[str, str]]:
    """(suite, results file) of the suite entries whose results file is not in `runs`."""
    outs = [(suite, out_of(argv)) for suite, entries in load_suites().items() for argv in entries]
    return [(suite, out) for suite, out in outs if not (runs / out).exists()]


def refreshed(readme_text: str, runs: Path) -> str:
    for (start, end), block in (
        (LEADERBOARD, leaderboard_block(runs)),
        (STEP_FORMATS, step_formats.as_markdown(runs)),
    ):
        before, rest = readme_text.split(start, 1)
        _, after = rest.split(end, 1)
        readme_text = f"{before}{start}{block}{end}{after}"
    return readme_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=Path("benchmarks/README.md"))
    parser.add_argument("--runs", type=Path, default=Path("benchmarks/runs"))
    args = parser.parse_args()
    args.readme.write_text(refreshed(args.readme.read_text(), args.runs))


if __name__ == "__main__":
    main()

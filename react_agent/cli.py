"""`react ...`: parses the command line, calls the library, shows what it gives back.

Every option of `react run` and `react bench` is a field of the library's records (see
`react_agent.flags`); the library checks them all. Bad input ends the run with one line on stderr
and exit code 2; episodes already written to `--out` stay written.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console

from react_agent.errors import OptionError
from react_agent.flags import build_parser, fail, flag, spec_of


def run_command(args: argparse.Namespace) -> int:
    from react_agent.bench import stream
    from react_agent.display import show_event, summary_table
    from react_agent.trajectory import EpisodeResult

    console, results, started = Console(quiet=args.quiet), [], time.perf_counter()
    try:
        for event in stream(spec_of(args)):
            show_event(console, event)
            results += [event] if isinstance(event, EpisodeResult) else []
    finally:
        if results:
            Console().print(summary_table(results, time.perf_counter() - started))
    return 0


def _resume_command() -> str:
    """The command line that was run, the way to resume it (secrets redacted)."""
    from react_agent.results import redacted_arguments

    return shlex.join(["react", *redacted_arguments(sys.argv[1:])])


def _with_progress(play: Any, kept: Callable[[int], str]) -> Any:
    """`play(on_start=..., on_result=...)` with a progress bar; SIGINT or SIGTERM end the command,
    saying what was kept (`kept(written)`) and how to resume (exit 128 + the signal)."""
    from react_agent.bench import RunInterrupted
    from react_agent.display import BenchProgress

    progress = BenchProgress(Console(stderr=True))
    try:
        return play(on_start=progress.on_start, on_result=progress.on_result)
    except RunInterrupted as stopped:
        where, resume = kept(stopped.written), _resume_command()
        print(f"react: {stopped.name}: stopped with {where}; resume with: {resume}", file=sys.stderr)
        raise SystemExit(128 + stopped.signal) from None
    finally:
        progress.stop()


def bench_command(args: argparse.Namespace) -> int:
    from react_agent.bench import bench
    from react_agent.display import summary_table

    spec = spec_of(args)
    summary = _with_progress(partial(bench, spec), lambda written: f"{written} episodes in {spec.out}")
    print(f"{summary.played} episodes played, {summary.already} already in {spec.out}")
    if summary.budget_reached:
        budget = f"--run-tokens {spec.run_tokens:,} ({summary.tokens:,} tokens)"
        print(f"stopped at {budget}; resume with: {_resume_command()}")
    if summary.cache_hits is not None:
        calls, cache = summary.cache_hits + (summary.cache_misses or 0), spec.model_options.cache
        print(f"{summary.cache_hits} of {calls} model calls answered from the cache in {cache}")
    Console().print(summary_table(summary.results, summary.seconds))
    return 0


def optimize_command(args: argparse.Namespace) -> int:
    from react_agent.optimize import OptimizeSpec, optimize

    prompt_file, args.out = args.out, args.train_out
    given = {name: getattr(args, name) for name in ("from_run", "exclude", "k", "select")}
    spec = OptimizeSpec(
        train=spec_of(args), out=prompt_file, **{k: v for k, v in given.items() if v is not None}
    )
    summary = _with_progress(partial(optimize, spec), lambda written: f"{written} training episodes")
    record = summary.record
    for key, ids in record.examples.items():
        print(f"{key}: {len(ids)} examples ({summary.example_chars[key]:,} characters) from {', '.join(ids)}")
    episodes = spec.train.out or prompt_file.with_suffix(".train.jsonl")
    where = "" if spec.from_run else f"; its episodes in {episodes}"
    print(
        f"wrote {prompt_file}: {record.successes} of {record.training_tasks} training tasks "
        f"({record.data} {record.range}) succeeded, {summary.played} played now{where}"
    )
    return 0


def _runs(paths: list[Path]) -> list[tuple[Path, list[Any]]]:
    from react_agent.results import read_run, results_files

    files = results_files(paths)
    if not files:
        fail(f"no results files (*.jsonl) in {', '.join(map(str, paths))}")
    return [(path, read_run(path)) for path in files]


def leaderboard_command(args: argparse.Namespace) -> int:
    from react_agent.display import leaderboard_tables
    from react_agent.leaderboard import as_breakdown_tables, as_markdown, as_records, as_text_tables, rows

    runs = _runs(args.runs)
    table = rows(*(results for _, results in runs), names=[path.stem for path, _ in runs])
    if args.format == "json":
        print(json.dumps(as_records(table), indent=1))
    elif args.format == "markdown":
        print(as_markdown(table, breakdown=args.breakdown))
    else:
        leaderboard_tables(Console(), as_text_tables(table))
        if args.breakdown:
            breakdown = as_breakdown_tables(table)
            leaderboard_tables(Console(), {f"{task}: why episodes ended": t for task, t in breakdown.items()})
    return 0


def report_command(args: argparse.Namespace) -> int:
    from react_agent.report import write_report

    runs = [(path.stem, results) for path, results in _runs(args.runs)]
    out = write_report(runs, args.out)
    episodes = sum(len(results) for _, results in runs)
    print(f"wrote {out}: {len(runs)} run(s), {episodes} episodes, {out.stat().st_size:,} bytes")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from react_agent.export import write_examples

    results = [result for _, results in _runs(args.runs) for result in results]
    written, unreadable = write_examples(results, args.out, args.format or "completion", args.only_success)
    print(f"wrote {written} examples of {len(results)} episodes to {args.out}")
    if unreadable:
        print(
            f"left out {unreadable} episodes whose steps their format cannot write back"
            " (an action or thought spanning lines, as the paper's parsing takes them)"
        )
    return 0


def show_command(args: argparse.Namespace) -> int:
    from react_agent.display import show_event
    from react_agent.results import read_run
    from react_agent.trajectory import EpisodeStart

    results = [r for r in read_run(args.run) if args.id is None or r.task_id == args.id]
    if not results:
        fail(f"{args.run} has no task {args.id!r}")
    console = Console()
    for result in results:
        for event in [EpisodeStart(task_id=result.task_id, question=result.question), *result.steps, result]:
            show_event(console, event)
    return 0


def data_command(args: argparse.Namespace) -> int:
    from react_agent import downloads

    if args.data_command == "get":
        path = downloads.get(args.name, url=args.url, progress=Console(stderr=True).is_terminal)
        print(f"{args.name}: {path}")
    else:
        print("\n".join(downloads.listing()))
    return 0


def compare_command(args: argparse.Namespace) -> int:
    from react_agent.compare import as_lines, compare
    from react_agent.results import read_run

    a, b = args.runs
    comparison = compare(read_run(a), read_run(b))
    lines = [json.dumps(comparison.as_record())] if args.format == "json" else as_lines(comparison, a, b)
    print("\n".join(lines))
    return 0


def suite_command(args: argparse.Namespace) -> int:
    from react_agent.bench import bench
    from react_agent.suites import Places, suite_specs

    places = Places(args.runs, args.shared, args.prompts)
    given = {"only": args.only, "workers": args.workers, "replay": args.replay, "n": args.n}
    for spec in suite_specs(args.name, places, **given):
        print(spec.model_dump_json(exclude_defaults=True), flush=True)
        summary = _with_progress(partial(bench, spec), lambda written: f"{written} episodes in {spec.out}")  # noqa: B023
        print(f"{summary.played} episodes played, {summary.already} already in {spec.out}", flush=True)
    return 0


def alfworld_command(args: argparse.Namespace) -> int:
    from react_agent.envs.alfworld.generator import generate

    written = generate(args.out, args.n, args.seed, args.wording, progress=Console(stderr=True).print)
    print(f"wrote {len(written)} games below {args.out / 'json_2.1.1'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from react_agent.datafiles import DataFileError
    from react_agent.display import log_to_stderr
    from react_agent.errors import as_option_error
    from react_agent.models.base import ModelUnavailable
    from react_agent.ray_executor import RayUnavailable
    from react_agent.results import ResultsFileError
    from react_agent.tasks import TaskError

    handler = log_to_stderr()
    try:
        return globals()[f"{args.command}_command"](args)  # each command's function is named after it
    except (ValidationError, OptionError) as error:  # what a user chose: options spelled as flags
        fail((as_option_error(error) if isinstance(error, ValidationError) else error).spelled(flag))
    except (RayUnavailable, ModelUnavailable, DataFileError, ResultsFileError, TaskError) as error:
        fail(str(error))
    except KeyboardInterrupt:
        print("react: interrupted", file=sys.stderr)
        return 130
    finally:
        logging.getLogger("react_agent").removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())

"""What a grammar changes: the same episodes with and without `grammar=True`, measured in one run.

    python -m benchmarks.grammar [--questions 22] [--games 6] [--workers 8] [--model PATH]
    python -m benchmarks.grammar --runs benchmarks/runs/FILE.jsonl ...

Plays ReAct on the HotpotQA demo questions and on ALFWorld's built-in games (the first `--games`:
the task types in turn), each once without and once with the grammar, `--workers` episodes at a
time on one local model (temperature 0), each run through `bench()`. Prints per task and setting:
format failures (replies that gave no action to carry out: `react_agent.diagnosis.format_failures`),
ALFWorld's commands the game could not carry out (`Nothing happens.`), episodes that ended on their
own (Finish, or a game won), the score, steps per episode, generated tokens per second of model
time, and wall seconds. With `--runs`, the same columns for results files made by `react bench`
(with and without `--grammar`), wall seconds left out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from react_agent import AgentSettings, BenchSpec, StopReason, bench
from react_agent.diagnosis import format_failures
from react_agent.envs.alfworld import inadmissible
from react_agent.leaderboard import scoring_of
from react_agent.results import latest_results, read_results
from react_agent.trajectory import EpisodeResult


def row(task: str, grammar: bool, results: list[EpisodeResult], seconds: float | None) -> str:
    failures = sum(map(format_failures, results))
    not_carried_out = "-"
    if task == "alfworld":
        not_carried_out = str(sum(inadmissible(s) for r in results for s in r.steps))
    ended = sum(r.stop_reason is StopReason.finished for r in results)
    score = scoring_of(results[0]).score
    mean = 100 * sum(r.metrics.get(score, 0.0) for r in results) / len(results)
    steps = sum(len(r.steps) for r in results) / len(results)
    generated = sum(r.usage.completion_tokens for r in results)
    model_seconds = sum(s.model_seconds for r in results for s in r.steps)
    return (
        f"| {task} | {'yes' if grammar else 'no'} | {len(results)} | {failures} | {not_carried_out} "
        f"| {ended} "
        f"| {score} {mean:.1f} | {steps:.1f} | {generated / model_seconds:.1f} "
        f"| {'-' if seconds is None else f'{seconds:.0f}'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=22, help="demo questions (22 in all)")
    parser.add_argument("--games", type=int, default=6, help="built-in ALFWorld games (60 in all)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the embedded SmolLM2)")
    parser.add_argument("--runs", type=Path, nargs="+", help="results files to compare instead of playing")
    args = parser.parse_args()
    header = (
        "| task | grammar | episodes | format failures | not admissible | ended on their own | score | "
        "steps | generated tokens/s | s |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    if args.runs:
        print(header)
        for path in args.runs:
            results = latest_results(read_results(path))
            config = results[0].config
            print(row(config.task, config.grammar, results, None))
        return

    print(f"ReAct, {args.workers} episodes at a time on one model, temperature 0")
    print(header)
    model = str(args.model) if args.model else None
    for task, n in (("hotpotqa", args.questions), ("alfworld", args.games)):
        if n <= 0:
            continue
        for grammar in (False, True):
            settings = AgentSettings(grammar=grammar)
            spec = BenchSpec(task=task, model=model, n=n, workers=args.workers, settings=settings)
            summary = bench(spec)
            print(row(task, grammar, summary.results, summary.seconds), flush=True)


if __name__ == "__main__":
    main()

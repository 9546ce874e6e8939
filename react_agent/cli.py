"""`react ...`: the one place that wires models, tasks and environments together.

Bad input (a missing file, a malformed line, an unreachable server) ends the run with one line on
stderr and exit code 2; episodes already written to `--out` stay written.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from react_agent import __version__
from react_agent.agent import Agent
from react_agent.display import show_question, show_result, show_step, summary_table
from react_agent.environment import Environment
from react_agent.models.base import Model, ModelUnavailable
from react_agent.prompts import PromptFileError
from react_agent.results import append_result, read_results
from react_agent.trajectory import EpisodeResult, EpisodeStart, Step

EXIT_BAD_INPUT = 2
PROMPT_METHODS = ("react", "act", "cot", "standard")  # one prompt of their own each
COMBINED_METHODS = ("cot-sc", "react-then-cot-sc", "cot-sc-then-react")  # see react_agent.methods
METHODS = PROMPT_METHODS + COMBINED_METHODS  # the rows of the paper's Table 1
ONE_STEP_METHODS = {"cot", "standard"}  # they answer at once, with no tool
REACT500 = (7405, 233, 500)  # the official dev file's size, the paper's shuffle seed, the sample


class UserError(Exception):
    """Something the user can fix; shown as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        fail(f"{message} (see '{self.prog} --help')")


def fail(message: str) -> NoReturn:
    print(f"react: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="react", description="ReAct agents on local or remote language models.")
    parser.add_argument("--version", action="version", version=f"react-agent {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="play episodes of a task and show each step")
    add_task_options(run)
    run.add_argument("--out", type=Path, help="append one JSON line per episode, as each ends")

    bench = commands.add_parser("bench", help="benchmark a model and method; resumable, concurrent")
    add_task_options(bench)
    bench.add_argument("--out", type=Path, required=True, help="results file (rerun to resume)")
    bench.add_argument("--method", default="react", choices=METHODS, help="prompting method (Table 1)")
    bench.add_argument("--sample", choices=["react500"], help="the paper's 500 dev questions")
    bench.add_argument("--workers", type=int, default=1, help="episodes played at once")
    bench.add_argument(
        "--sc-samples", type=int, default=21, help="CoT-SC: chains sampled (at temperature 0.7)"
    )

    board = commands.add_parser("leaderboard", help="tables of results with 95%% confidence intervals")
    board.add_argument("runs", type=Path, nargs="+", help="results files")
    board.add_argument("--format", choices=["table", "markdown", "json"], default="table")

    show = commands.add_parser("show", help="replay recorded trajectories step by step")
    show.add_argument("run", type=Path, help="results file")
    show.add_argument("--id", help="only this task")

    alfworld = commands.add_parser("alfworld", help="ALFWorld tools")
    alfworld_commands = alfworld.add_subparsers(dest="alfworld_command", required=True, parser_class=_Parser)
    generate = alfworld_commands.add_parser(
        "generate", help="write new ALFWorld games, each checked solvable"
    )
    generate.add_argument("--n", type=int, required=True, help="how many games (the six task types in turn)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--out", type=Path, required=True, help="folder; games go to json_2.1.1/valid_unseen/"
    )
    generate.add_argument("--wording", default="react", help="react (put X in/on Y) or current (move X to Y)")
    return parser


# ---------------------------------------------------------------- wiring


def add_task_options(run: argparse.ArgumentParser) -> None:
    """The options of `react run`, which `react bench` accepts too."""
    run.add_argument("--task", required=True, help="the task: " + ", ".join(TASKS))
    run.add_argument(
        "--model",
        help="PATH.gguf for a local model, or openai:NAME for an OpenAI-compatible server "
        "(default: the embedded SmolLM2-135M-Instruct)",
    )
    run.add_argument("--base-url", help="the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    run.add_argument("--endpoint", choices=["completions", "chat"], default="completions")
    run.add_argument("--data", type=Path, help="hotpotqa: question file (default: the built-in demo set)")
    run.add_argument(
        "--games",
        type=Path,
        help="alfworld: folder of games in the official layout (default: $ALFWORLD_DATA's valid_unseen "
        "split, else the built-in generated set)",
    )
    run.add_argument(
        "--wiki",
        action="append",
        help="'live' for Wikipedia, or a file to index (abstracts dump, its bz2 shards' folder, or a "
        "question file's context paragraphs); repeatable. Default: the demo wiki, or --data's "
        "context paragraphs",
    )
    run.add_argument("--n", type=int, help="play only the first N tasks")
    run.add_argument("--max-steps", type=int, help="step limit (default: the paper's, 7 or 50)")
    run.add_argument("--max-tokens", type=int, default=128, help="token budget of one model call")
    run.add_argument("--prompt-file", type=Path, help="few-shot examples from this JSON file")
    run.add_argument("--prompt-key", default="react", help="which prompt of the file (default: react)")
    run.add_argument("--n-gpu-layers", type=int, default=0, help="layers offloaded to a GPU (-1: all)")
    run.add_argument("--n-ctx", type=int, default=8192, help="context window of a local model")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--quiet", action="store_true", help="show only the summary")


def make_model(args: argparse.Namespace, n_threads: int | None = None) -> Model:
    spec = args.model or ""
    if spec.startswith("replay:"):
        from react_agent.models.replay import ReplayModel

        return ReplayModel(spec.removeprefix("replay:"))
    if spec.startswith("openai:"):
        from react_agent.models.openai import OpenAIModel

        return OpenAIModel(spec.removeprefix("openai:"), base_url=args.base_url, endpoint=args.endpoint)
    if args.base_url:
        raise UserError("--base-url goes with --model openai:NAME")
    from react_agent.models.llama_cpp import LlamaCppModel

    return LlamaCppModel(
        spec or None, n_ctx=args.n_ctx, n_gpu_layers=args.n_gpu_layers, seed=args.seed, n_threads=n_threads
    )


@dataclass
class TaskSetup:
    env: Environment
    tasks: list[Any]
    max_steps: int  # the paper's limit for the task
    make_env: Callable[[], Environment]  # a fresh environment, for each concurrent worker


def hotpotqa_task(args: argparse.Namespace) -> TaskSetup:
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
    from react_agent.tools.wikipedia import LiveWikipedia, LocalWiki

    questions = load_questions(args.data or DEMO_QUESTIONS)
    if getattr(args, "sample", None) == "react500":
        size, seed, take = REACT500
        if len(questions) != size:
            raise UserError(
                f"--sample react500 needs HotpotQA's official dev file ({size:,} questions); "
                f"{args.data or DEMO_QUESTIONS} has {len(questions):,}"
            )
        indices = list(range(size))
        random.Random(seed).shuffle(indices)
        questions = [questions[i] for i in indices[:take]]
    sources = args.wiki or [DEMO_WIKI if args.data is None else args.data]
    if "live" in sources:
        if len(sources) > 1:
            raise UserError("--wiki live cannot be combined with wiki files")
        wiki = LiveWikipedia()
    else:
        if args.data is not None and not args.wiki and not any(q.context for q in questions):
            raise UserError(f"{args.data} has no context paragraphs: give --wiki FILE or --wiki live")
        wiki = LocalWiki.from_corpus(*sources)
    method = getattr(args, "method", "react")
    prompt_key = (
        (method if method in PROMPT_METHODS else "react") if args.prompt_file is None else args.prompt_key
    )
    env = HotpotQAEnv(wiki, prompt_file=args.prompt_file, prompt_key=prompt_key)
    make_env = partial(HotpotQAEnv, wiki, prompt_file=args.prompt_file, prompt_key=prompt_key)
    return TaskSetup(env, questions, max_steps=1 if method in ONE_STEP_METHODS else 7, make_env=make_env)


def alfworld_task(args: argparse.Namespace) -> TaskSetup:
    user_data = os.environ.get("ALFWORLD_DATA")  # read first: importing alfworld sets a default of its own
    from react_agent.envs.alfworld import EVAL_SPLIT, MAX_STEPS, AlfWorldEnv, find_games

    env = AlfWorldEnv(prompt_file=args.prompt_file)  # first: it says clearly when alfworld is missing
    if args.games is not None:
        folder = args.games
    elif user_data:
        folder = Path(user_data) / "json_2.1.1" / EVAL_SPLIT
    else:
        from react_agent.envs.alfworld_games import builtin_games_folder

        folder = builtin_games_folder()
    if getattr(args, "method", "react") != "react":
        raise UserError(f"method {args.method!r} is not available for alfworld (only react)")
    make_env = partial(AlfWorldEnv, prompt_file=args.prompt_file)
    return TaskSetup(env, find_games(folder), max_steps=MAX_STEPS, make_env=make_env)


TASKS: dict[str, Callable[[argparse.Namespace], TaskSetup]] = {
    "hotpotqa": hotpotqa_task,
    "alfworld": alfworld_task,
}


# ---------------------------------------------------------------- commands


def check_task_options(args: argparse.Namespace) -> None:
    if args.task not in TASKS:
        raise UserError(f"unknown task {args.task!r} (known: {', '.join(TASKS)})")
    if args.n is not None and args.n < 1:
        raise UserError("--n must be at least 1")
    if args.max_steps is not None and args.max_steps < 1:
        raise UserError("--max-steps must be at least 1")
    if args.out:
        try:
            args.out.open("a").close()
        except OSError as error:
            raise UserError(f"cannot write results file {args.out}: {error.strerror}") from None


def run_command(args: argparse.Namespace) -> int:
    check_task_options(args)
    setup = TASKS[args.task](args)
    model = make_model(args)
    max_steps = args.max_steps or setup.max_steps
    agent = Agent(model, setup.env, max_steps=max_steps, max_tokens=args.max_tokens)
    console = Console(quiet=args.quiet)
    results: list[EpisodeResult] = []
    started = time.perf_counter()
    try:
        for task in setup.tasks[: args.n]:
            for event in agent.stream(task):
                if isinstance(event, EpisodeStart):
                    show_question(console, event.task_id, event.question)
                elif isinstance(event, Step):
                    show_step(console, event)
                else:
                    show_result(console, event)
                    results.append(event)
                    if args.out:
                        append_result(args.out, event)
    finally:
        if results:
            Console().print(summary_table(results, time.perf_counter() - started))
    return 0


def run_config(args: argparse.Namespace, model: Model, setup: TaskSetup, max_steps: int) -> dict[str, Any]:
    """What a bench result line records of its setup, so that a number can be traced to it."""
    prompt = setup.env.prompt(setup.tasks[0]) if setup.tasks else None
    model_file = getattr(model, "path", None)
    return {
        "task": args.task,
        "model": model.name,
        "model_sha256": _file_sha256(model_file) if isinstance(model_file, Path) else None,
        "base_url": args.base_url,
        "method": args.method,
        "prompt_file": str(args.prompt_file) if args.prompt_file else None,
        "prompt_key": args.prompt_key if args.prompt_file else args.method,
        "sc_samples": args.sc_samples if args.method in COMBINED_METHODS else None,
        "prompt_sha256": hashlib.sha256(f"{prompt.instruction}{prompt.examples}".encode()).hexdigest()
        if prompt
        else None,
        "data": str(args.data or args.games or "built-in"),
        "sample": args.sample,
        "seed": args.seed,
        "temperature": getattr(model, "temperature", 0.0),
        "max_steps": max_steps,
        "max_tokens": args.max_tokens,
        "version": __version__,
    }


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bench_command(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from react_agent.runner import finished_task_ids, run_many

    check_task_options(args)
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    setup = TASKS[args.task](args)
    model = make_model(args)
    max_steps = args.max_steps or setup.max_steps
    tasks = setup.tasks[: args.n]
    config = run_config(args, model, setup, max_steps)
    done = finished_task_ids(args.out) & {str(t.id) for t in tasks}
    # A local model keeps one KV cache, which episodes taking turns would evict for each other:
    # with several workers each gets a model of its own, the cores shared out among them.
    local = model.__class__.__name__ == "LlamaCppModel" and args.workers > 1
    threads = max(1, (os.cpu_count() or 1) // args.workers)

    def make_agent() -> Any:
        worker_model = make_model(args, n_threads=threads) if local else model
        env = setup.make_env()
        agent = Agent(worker_model, env, max_steps=max_steps, max_tokens=args.max_tokens)
        if args.method not in COMBINED_METHODS:
            return agent
        from react_agent import methods
        from react_agent.prompts import builtin_prompt

        vote = methods.SelfConsistency(
            worker_model, env, builtin_prompt("hotpotqa", "cot"), samples=args.sc_samples
        )
        if args.method == "cot-sc":
            return vote
        if args.method == "react-then-cot-sc":
            return methods.ReactThenSelfConsistency(agent, vote)
        return methods.SelfConsistencyThenReact(vote, agent)

    score_name = "em" if args.task == "hotpotqa" else "success"
    scores: list[float] = []
    tokens = [0]
    started = time.perf_counter()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )

    def on_result(result: EpisodeResult) -> None:
        scores.append(result.metrics.get(score_name, 0.0))
        tokens[0] += result.usage.completion_tokens or 0
        rate = tokens[0] / (time.perf_counter() - started)
        mean = 100 * sum(scores) / len(scores)
        progress.update(job, advance=1, description=f"{score_name.upper()} {mean:.1f}  {rate:.0f} tok/s")

    with progress:
        job = progress.add_task("starting", total=len(tasks), completed=len(done))
        results = asyncio.run(
            run_many(
                tasks, make_agent, workers=args.workers, out=args.out, config=config, on_result=on_result
            )
        )
    print(f"{len(results)} episodes played, {len(done)} already in {args.out}")
    Console().print(summary_table(read_run(args.out), time.perf_counter() - started))
    return 0


def leaderboard_command(args: argparse.Namespace) -> int:
    from react_agent.leaderboard import as_markdown, as_records, as_text_tables, rows

    results = [result for path in args.runs for result in read_run(path)]
    table = rows(results)
    if args.format == "json":
        print(json.dumps(as_records(table), indent=1))
    elif args.format == "markdown":
        print(as_markdown(table))
    else:
        from rich.table import Table

        for task, (header, cells) in as_text_tables(table).items():
            rich_table = Table(*header, title=task)
            for row in cells:
                rich_table.add_row(*row)
            Console().print(rich_table)
    return 0


def read_run(path: Path) -> list[EpisodeResult]:
    try:
        return list(read_results(path))
    except FileNotFoundError:
        raise UserError(f"results file not found: {path}") from None
    except ValueError as error:
        raise UserError(f"{path} is not a results file: {str(error).splitlines()[0]}") from None


def show_command(args: argparse.Namespace) -> int:
    results = read_run(args.run)
    if args.id is not None:
        results = [r for r in results if r.task_id == args.id]
        if not results:
            raise UserError(f"{args.run} has no task {args.id!r}")
    console = Console()
    for result in results:
        show_question(console, result.task_id, result.question)
        for step in result.steps:
            show_step(console, step)
        show_result(console, result)
    return 0


def generate_command(args: argparse.Namespace) -> int:
    from react_agent.envs.alfworld_games import WORDINGS, generate

    if args.wording not in WORDINGS:
        raise UserError(f"unknown wording {args.wording!r} (use one of: {', '.join(WORDINGS)})")
    if args.n < 1:
        raise UserError("--n must be at least 1")
    console = Console(stderr=True)
    written = generate(args.out, args.n, args.seed, args.wording, progress=console.print)
    print(f"wrote {len(written)} games below {args.out / 'json_2.1.1'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from react_agent.datafiles import DataFileError

    try:
        commands = {
            "alfworld": generate_command,
            "bench": bench_command,
            "leaderboard": leaderboard_command,
            "show": show_command,
            "run": run_command,
        }
        return commands[args.command](args)
    except (UserError, ModelUnavailable, DataFileError, PromptFileError) as error:
        fail(str(error))
    except KeyboardInterrupt:
        print("react: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

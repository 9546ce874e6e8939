"""`react ...`: the one place that wires models, tasks and environments together.

Bad input (a missing file, a malformed line, an unreachable server) ends the run with one line on
stderr and exit code 2; episodes already written to `--out` stay written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from react_agent import __version__
from react_agent.agent import Agent
from react_agent.display import show_question, show_result, show_step, summary_table
from react_agent.environment import Environment
from react_agent.models.base import Model, ModelUnavailable
from react_agent.prompts import PromptFileError
from react_agent.results import append_result
from react_agent.trajectory import EpisodeResult, EpisodeStart, Step

EXIT_BAD_INPUT = 2


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
    run.add_argument("--out", type=Path, help="append one JSON line per episode, as each ends")
    run.add_argument("--n-gpu-layers", type=int, default=0, help="layers offloaded to a GPU (-1: all)")
    run.add_argument("--n-ctx", type=int, default=8192, help="context window of a local model")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--quiet", action="store_true", help="show only the summary")

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


def make_model(args: argparse.Namespace) -> Model:
    spec = args.model or ""
    if spec.startswith("openai:"):
        from react_agent.models.openai import OpenAIModel

        return OpenAIModel(spec.removeprefix("openai:"), base_url=args.base_url, endpoint=args.endpoint)
    if args.base_url:
        raise UserError("--base-url goes with --model openai:NAME")
    from react_agent.models.llama_cpp import LlamaCppModel

    return LlamaCppModel(spec or None, n_ctx=args.n_ctx, n_gpu_layers=args.n_gpu_layers, seed=args.seed)


@dataclass
class TaskSetup:
    env: Environment
    tasks: list[Any]
    max_steps: int  # the paper's limit for the task


def hotpotqa_task(args: argparse.Namespace) -> TaskSetup:
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
    from react_agent.tools.wikipedia import LiveWikipedia, LocalWiki

    questions = load_questions(args.data or DEMO_QUESTIONS)
    sources = args.wiki or [DEMO_WIKI if args.data is None else args.data]
    if "live" in sources:
        if len(sources) > 1:
            raise UserError("--wiki live cannot be combined with wiki files")
        wiki = LiveWikipedia()
    else:
        if args.data is not None and not args.wiki and not any(q.context for q in questions):
            raise UserError(f"{args.data} has no context paragraphs: give --wiki FILE or --wiki live")
        wiki = LocalWiki.from_corpus(*sources)
    env = HotpotQAEnv(wiki, prompt_file=args.prompt_file, prompt_key=args.prompt_key)
    return TaskSetup(env, questions, max_steps=7)


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
    return TaskSetup(env, find_games(folder), max_steps=MAX_STEPS)


TASKS: dict[str, Callable[[argparse.Namespace], TaskSetup]] = {
    "hotpotqa": hotpotqa_task,
    "alfworld": alfworld_task,
}


# ---------------------------------------------------------------- commands


def run_command(args: argparse.Namespace) -> int:
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
    from react_agent.tools.wikipedia import DataFileError

    try:
        if args.command == "alfworld":
            return generate_command(args)
        return run_command(args)
    except (UserError, ModelUnavailable, DataFileError, PromptFileError) as error:
        fail(str(error))
    except KeyboardInterrupt:
        print("react: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

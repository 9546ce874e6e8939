"""`react ...`: the one place that wires models, tasks and environments together.

Bad input (a missing file, a malformed line, an unreachable server) ends the run with one line on
stderr and exit code 2; episodes already written to `--out` stay written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from functools import partial
from math import ceil
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from react_agent import __version__, tasks
from react_agent.agent import Agent
from react_agent.datafiles import file_sha256
from react_agent.display import show_question, show_result, show_step, summary_table
from react_agent.methods import METHODS, SC_SAMPLES, SC_TEMPERATURE, VOTES, roles
from react_agent.models.base import Model, ModelUnavailable
from react_agent.prompts import PromptFileError
from react_agent.provenance import RunConfig, git_commit, package_versions, prompt_use
from react_agent.results import (
    ResultsFileBusy,
    ResultsFileError,
    append_result,
    latest_results,
    read_results,
    redacted_arguments,
    results_files,
)
from react_agent.tasks import TaskError, TaskOptions, TaskSetup
from react_agent.trajectory import EpisodeResult, EpisodeStart, Step

EXIT_BAD_INPUT = 2


class UserError(Exception):
    """Something the user can fix; shown as one line, exit code 2."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived during a run."""

    def __init__(self, signal_number: int):
        super().__init__(signal_number)
        self.signal = signal_number
        self.name = signal.Signals(signal_number).name


async def until_signalled(work: Coroutine[Any, Any, Any]) -> Any:
    """Await `work`; on SIGINT or SIGTERM, cancel it (what has finished is already written, what is
    in flight stops) and raise `Interrupted`."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    received: list[int] = []

    def stop(number: int) -> None:
        received.append(number)
        task.cancel()

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop, number)
    try:
        return await task
    except asyncio.CancelledError:
        if received:
            raise Interrupted(received[0]) from None
        raise
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        fail(f"{message} (see '{self.prog} --help')")


def command_line() -> list[str]:
    """This command's arguments, with the value of --api-key hidden: they are shown and stored."""
    return redacted_arguments(sys.argv[1:])


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
    bench.add_argument("--workers", type=int, default=1, help="episodes played at once (with Ray: actors)")
    bench.add_argument(
        "--executor", choices=["local", "ray"], default="local", help="play here, or on a Ray cluster"
    )
    bench.add_argument("--ray-address", help="the Ray cluster to join (default: start one on this machine)")
    bench.add_argument("--ray-num-cpus", type=float, default=1, help="CPUs each Ray actor holds")
    bench.add_argument("--ray-num-gpus", type=float, default=0, help="GPUs each Ray actor holds")
    bench.add_argument(
        "--sc-samples",
        type=int,
        default=SC_SAMPLES,
        help=f"CoT-SC: chains sampled (at temperature {SC_TEMPERATURE})",
    )
    bench.add_argument(
        "--cot-prompt-key",
        help="the CoT prompt of --prompt-file that cot-sc and the hybrids vote with "
        "(default: 'cot', else the paper's 'cotqa_simple6', when the file has one; else ours)",
    )

    board = commands.add_parser("leaderboard", help="tables of results with 95%% confidence intervals")
    board.add_argument("runs", type=Path, nargs="+", help="results files, or folders of them (*.jsonl)")
    board.add_argument("--format", choices=["table", "markdown", "json"], default="table")

    report = commands.add_parser("report", help="one HTML file to look at runs: scores, charts, episodes")
    report.add_argument("runs", type=Path, nargs="+", help="results files, or folders of them (*.jsonl)")
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write")

    export = commands.add_parser("export", help="trajectories as fine-tuning examples (FireAct's recipe)")
    export.add_argument("runs", type=Path, nargs="+", help="results files, or folders of them (*.jsonl)")
    export.add_argument("--out", type=Path, required=True, help="the JSON lines file to write")
    export.add_argument("--format", choices=["completion", "chat"], default="completion")
    export.add_argument(
        "--only-success", action="store_true", help="keep the episodes that solved their task"
    )

    show = commands.add_parser("show", help="replay recorded trajectories step by step")
    show.add_argument("run", type=Path, help="results file")
    show.add_argument("--id", help="only this task")

    data = commands.add_parser("data", help="the real data sets, fetched into the cache folder")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    get = data_commands.add_parser("get", help="download a data set (resumable), check it, record it")
    get.add_argument("name", help="hotpotqa-dev, hotpotqa-abstracts or alfworld")
    get.add_argument("--url", help="another place to fetch it from (a mirror)")
    data_commands.add_parser("list", help="the data sets, and which are downloaded")

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
    run.add_argument("--task", required=True, help="the task: " + ", ".join(tasks.available()))
    run.add_argument(
        "--model",
        help="PATH.gguf for a local model, or openai:NAME for an OpenAI-compatible server "
        "(default: the embedded SmolLM2-135M-Instruct)",
    )
    run.add_argument("--base-url", help="the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    run.add_argument("--endpoint", choices=["completions", "chat"], default="completions")
    run.add_argument(
        "--api-key", help="the server's API key (default: $OPENAI_API_KEY); never written anywhere"
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds a remote model may take to answer, and to send the next piece of its stream",
    )
    run.add_argument(
        "--data",
        type=Path,
        help="hotpotqa: question file, or hotpotqa-dev (react data get) (default: the demo set)",
    )
    run.add_argument(
        "--games",
        type=Path,
        help="alfworld's --data: folder of games in the official layout (default: $ALFWORLD_DATA's "
        "valid_unseen split, else the built-in generated set)",
    )
    run.add_argument(
        "--wiki",
        action="append",
        help="'live' for Wikipedia, or a file to index (abstracts dump, its bz2 shards' folder, or a "
        "question file's context paragraphs), or hotpotqa-abstracts (react data get); repeatable. "
        "Default: the demo wiki, or --data's context paragraphs",
    )
    run.add_argument("--n", type=int, help="play only the first N tasks")
    run.add_argument("--max-steps", type=int, help="step limit (default: the paper's, 7 or 50)")
    run.add_argument("--max-tokens", type=int, default=128, help="token budget of one model call")
    run.add_argument(
        "--otel", action="store_true", help="send OpenTelemetry spans over OTLP, as the OTEL_* variables say"
    )
    run.add_argument(
        "--max-repeats",
        type=int,
        default=3,
        help="end an episode when the same action gives the same observation this many times in a row "
        "(0: never, as in the paper)",
    )
    run.add_argument(
        "--grammar",
        action="store_true",
        help="let the model write only well-formed steps over the task's actions (a GBNF grammar: "
        "llama.cpp's sampler locally; sent to a server as llama.cpp's `grammar` and vLLM's "
        "`structured_outputs`, and a server that ignores both stops the run)",
    )
    run.add_argument(
        "--final-answer",
        action="store_true",
        help="at the step limit, ask once more for Finish[ and score that answer (off in the paper)",
    )
    run.add_argument("--prompt-file", type=Path, help="few-shot examples from this JSON file")
    run.add_argument(
        "--prompt-key",
        help="which prompt of the file (default: the method's name, else the paper's key for it; "
        "for alfworld, the prefix of <key>_<type>_1 and _0)",
    )
    run.add_argument(
        "--wiki-timeout", type=float, default=10.0, help="seconds for each request to live Wikipedia"
    )
    run.add_argument(
        "--shots",
        type=int,
        help="few-shot examples in each prompt: 0 (the instruction alone), 1, ... (default: all)",
    )
    run.add_argument("--n-gpu-layers", type=int, default=0, help="layers offloaded to a GPU (-1: all)")
    run.add_argument("--n-ctx", type=int, default=8192, help="context window of a local model")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--quiet", action="store_true", help="show only the summary")


def make_model(args: argparse.Namespace, n_threads: int | None = None, sequences: int = 1) -> Model:
    """The model of `--model`; a local one decodes `sequences` requests at once (one per worker)."""
    spec = args.model or ""
    if spec.startswith("replay:"):
        from react_agent.models.replay import ReplayModel

        return ReplayModel(spec.removeprefix("replay:"))
    if spec.startswith("openai:"):
        from react_agent.models.openai import OpenAIModel

        return OpenAIModel(
            spec.removeprefix("openai:"),
            base_url=args.base_url,
            api_key=args.api_key,
            endpoint=args.endpoint,
            timeout=args.timeout,
        )
    if args.base_url or args.api_key:
        raise UserError("--base-url and --api-key go with --model openai:NAME")
    from react_agent.models.llama_cpp import LlamaCppModel

    return LlamaCppModel(
        spec or None,
        n_ctx=args.n_ctx,
        n_gpu_layers=args.n_gpu_layers,
        seed=args.seed,
        n_threads=n_threads,
        sequences=sequences,
    )


def task_setup(args: argparse.Namespace) -> TaskSetup:
    """The task of `--task`, from the registry (react_agent.tasks), given what the options say."""
    options = TaskOptions(
        method=getattr(args, "method", "react"),
        data=args.data or args.games,
        wiki=args.wiki,
        wiki_timeout=args.wiki_timeout,
        prompt_file=args.prompt_file,
        prompt_key=args.prompt_key,
        cot_prompt_key=getattr(args, "cot_prompt_key", None),
        sample=getattr(args, "sample", None),
        shots=args.shots,
    )
    return tasks.setup(args.task, options)


def run_config(args: argparse.Namespace, model: Model, setup: TaskSetup, max_steps: int) -> RunConfig:
    """What each results line records of how it was made (see react_agent.provenance)."""
    from react_agent.models.llama_cpp import LlamaCppModel

    method = getattr(args, "method", "react")
    env = setup.make_env()
    prompts = {}
    for role in roles(method):
        if role == VOTES:
            assert setup.votes_prompt is not None
            prompts[role] = prompt_use([setup.votes_prompt], SC_TEMPERATURE)
        else:  # the environment's prompt, over every task (ALFWorld's differ by task type)
            prompts[role] = prompt_use(
                (env.prompt(task) for task in setup.tasks), getattr(model, "temperature", None)
            )
    local = isinstance(model, LlamaCppModel)
    remote = (args.model or "").startswith("openai:")
    model_file = getattr(model, "path", None)
    backend = ["llama-cpp-python"] if local else ["openai"] if remote else []
    return RunConfig(
        task=args.task,
        method=method,
        data=setup.data,
        data_files=setup.data_files,
        sample=getattr(args, "sample", None),
        wiki=setup.wiki,
        prompts=prompts,
        sc_samples=args.sc_samples if VOTES in prompts else None,
        model=model.name,
        model_sha256=file_sha256(model_file) if local and model_file else None,
        base_url=args.base_url,
        endpoint=args.endpoint if remote else None,
        n_ctx=args.n_ctx if local else None,
        seed=args.seed,
        max_steps=max_steps,
        max_tokens=args.max_tokens,
        final_answer=args.final_answer,
        shots=args.shots,
        max_repeats=args.max_repeats,
        grammar=args.grammar,
        packages=package_versions(["react-agent", *backend, *setup.packages]),
        git_commit=git_commit(),
        build=model.build if local else None,
    )


# ---------------------------------------------------------------- commands


def check_task_options(args: argparse.Namespace) -> None:
    if args.n is not None and args.n < 1:
        raise UserError("--n must be at least 1")
    if args.max_steps is not None and args.max_steps < 1:
        raise UserError("--max-steps must be at least 1")
    if args.max_repeats < 0:
        raise UserError("--max-repeats must be 0 (off) or more")
    if args.timeout <= 0:
        raise UserError("--timeout must be more than 0 seconds")
    if args.shots is not None and args.shots < 0:
        raise UserError("--shots must be 0 or more")
    if args.prompt_key and args.prompt_file is None:
        raise UserError("--prompt-key picks an entry of --prompt-file, which is missing")
    if args.out:
        try:
            args.out.open("a").close()
        except OSError as error:
            raise UserError(f"cannot write results file {args.out}: {error.strerror}") from None


def player(args: argparse.Namespace, model: Model, setup: TaskSetup, max_steps: int, tracer: Any) -> Any:
    """What plays the method of `args` (react for `react run`) with a fresh environment."""
    from react_agent.methods import make_player

    return make_player(
        getattr(args, "method", "react"),
        model,
        setup.make_env(),
        votes_prompt=setup.votes_prompt,
        max_steps=max_steps,
        max_tokens=args.max_tokens,
        sc_samples=getattr(args, "sc_samples", 1),
        final_answer_on_limit=args.final_answer,
        max_repeats=args.max_repeats,
        grammar=args.grammar,
        tracer=tracer,
    )


def workers_here(
    args: argparse.Namespace,
    model: Model,
    setup: TaskSetup,
    max_steps: int,
    tracer: Any,
) -> Callable[[], Any]:
    """What each worker of `run_many` plays with: a player here, or one of the Ray actors."""
    if args.executor == "ray":
        from react_agent import ray_executor

        # A cluster started here gets as many (logical) CPUs as its actors ask for.
        ray_executor.start(
            args.ray_address, num_cpus=max(os.cpu_count() or 1, ceil(args.workers * args.ray_num_cpus))
        )
        recipe = partial(agent_from_args, args, max_steps)
        actors = iter(
            ray_executor.players(recipe, args.workers, num_cpus=args.ray_num_cpus, num_gpus=args.ray_num_gpus)
        )
        return lambda: next(actors)
    # Every worker here plays on the one model: a local one decodes their requests together.
    return lambda: player(args, model, setup, max_steps, tracer)


def agent_from_args(args: argparse.Namespace, max_steps: int) -> Any:
    """A player built from the command line's arguments alone, where it will play: what a Ray
    actor runs (the arguments pickle; a model or an environment does not)."""
    threads = max(1, int(args.ray_num_cpus))
    return player(args, make_model(args, n_threads=threads), task_setup(args), max_steps, None)


def tracing(args: argparse.Namespace) -> tuple[Any, Any]:
    """With --otel, an OTLP exporter's provider and tracer; else none."""
    if not args.otel:
        return None, None
    from react_agent.tracing import otlp_tracing

    try:
        return otlp_tracing()
    except ImportError as error:
        raise UserError(str(error)) from None


def run_command(args: argparse.Namespace) -> int:
    check_task_options(args)
    model = make_model(args)  # first: a bad model file is said at once, before any index is built
    setup = task_setup(args)
    max_steps = args.max_steps or setup.max_steps
    config = run_config(args, model, setup, max_steps) if args.out else None
    provider, tracer = tracing(args)
    agent = player(args, model, setup, max_steps, tracer)
    assert isinstance(agent, Agent)  # react run plays one of the methods of one episode each
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
                        event.config = config
                        append_result(args.out, event)
    finally:
        if provider is not None:
            provider.shutdown()  # sends the last spans
        if results:
            Console().print(summary_table(results, time.perf_counter() - started))
    return 0


def bench_command(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from react_agent.runner import run_many

    check_task_options(args)
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    if args.sc_samples < 1:
        raise UserError("--sc-samples must be at least 1")
    # First: a bad model file is said at once, before any index is built. A local model gets a
    # sequence per worker: the workers' requests decode together, the shared prefix cached once.
    here = args.executor == "local"
    model = make_model(args, sequences=args.workers if here else 1)
    setup = task_setup(args)
    max_steps = args.max_steps or setup.max_steps
    to_play = setup.tasks[: args.n]
    config = run_config(args, model, setup, max_steps)
    provider, tracer = tracing(args)

    make_agent = workers_here(args, model, setup, max_steps, tracer)

    score_name = setup.score
    score_sum = [0.0]
    tokens = [0]
    done = [0]
    played = [0]
    started = time.perf_counter()
    console = Console(stderr=True)
    progress = Progress(  # on a terminal only: in a log, a bar is noise around the one-line errors
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    job = progress.add_task("starting", total=len(to_play))

    def on_start(already: int) -> None:  # the results file is ours to append to: show the bar
        done[0] = already
        progress.update(job, completed=already)
        progress.start()

    def on_result(result: EpisodeResult) -> None:
        played[0] += 1
        score_sum[0] += result.metrics.get(score_name, 0.0)
        tokens[0] += result.usage.completion_tokens or 0
        rate = tokens[0] / (time.perf_counter() - started)
        mean = 100 * score_sum[0] / played[0]
        progress.update(job, advance=1, description=f"{score_name.upper()} {mean:.1f}  {rate:.0f} tok/s")

    try:
        asyncio.run(
            until_signalled(
                run_many(
                    to_play,
                    make_agent,
                    workers=args.workers,
                    out=args.out,
                    config=config,
                    on_start=on_start,
                    on_result=on_result,
                    keep_results=False,  # they are in the file: memory stays flat however long the run
                )
            )
        )
    except Interrupted as interrupted:
        progress.stop()
        written = len(read_run(args.out)) if args.out.exists() else 0
        resume = shlex.join(["react", *command_line()])
        print(
            f"react: {interrupted.name}: stopped with {written} episodes in {args.out}; "
            f"resume with: {resume}",
            file=sys.stderr,
        )
        return 128 + interrupted.signal
    finally:
        progress.stop()
        if provider is not None:
            provider.shutdown()  # sends the last spans
    print(f"{played[0]} episodes played, {done[0]} already in {args.out}")
    Console().print(summary_table(read_run(args.out), time.perf_counter() - started))
    return 0


def leaderboard_command(args: argparse.Namespace) -> int:
    from react_agent.leaderboard import as_markdown, as_records, as_text_tables, rows

    paths = results_files(args.runs)
    if not paths:
        raise UserError(f"no results files (*.jsonl) in {', '.join(map(str, args.runs))}")
    table = rows([result for path in paths for result in read_run(path)])
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


def report_command(args: argparse.Namespace) -> int:
    from react_agent.report import write_report

    paths = results_files(args.runs)
    if not paths:
        raise UserError(f"no results files (*.jsonl) in {', '.join(map(str, args.runs))}")
    runs = [(path.stem, read_run(path)) for path in paths]
    try:
        out = write_report(runs, args.out)
    except OSError as error:
        raise UserError(f"cannot write report {args.out}: {error.strerror}") from None
    episodes = sum(len(results) for _, results in runs)
    print(f"wrote {out}: {len(runs)} run(s), {episodes} episodes, {out.stat().st_size:,} bytes")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from react_agent.export import examples

    paths = results_files(args.runs)
    if not paths:
        raise UserError(f"no results files (*.jsonl) in {', '.join(map(str, args.runs))}")
    results = [result for path in paths for result in read_run(path)]
    try:
        with open(args.out, "w", encoding="utf-8") as out:
            written = 0
            for example in examples(results, args.format, only_success=args.only_success):
                out.write(json.dumps(example, ensure_ascii=False) + "\n")
                written += 1
    except OSError as error:
        raise UserError(f"cannot write {args.out}: {error.strerror}") from None
    print(f"wrote {written} examples of {len(results)} episodes to {args.out}")
    return 0


def read_run(path: Path) -> list[EpisodeResult]:
    """The live line of each task in a results file (the last one written), warning on stderr of
    a torn last line."""
    try:
        return latest_results(
            read_results(path, warn=lambda message: print(f"react: warning: {message}", file=sys.stderr))
        )
    except FileNotFoundError:
        raise UserError(f"results file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a results file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read results file {path}: {error}") from None
    except ResultsFileError as error:
        raise UserError(str(error)) from None


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


def data_command(args: argparse.Namespace) -> int:
    from react_agent import datasets

    if args.data_command == "list":
        have = datasets.manifest()
        for dataset in datasets.DATASETS.values():
            state = (
                f"downloaded ({have[dataset.name]['size']:,} bytes)"
                if dataset.name in have
                else "not downloaded"
            )
            print(f"{dataset.name}: {dataset.what}; {state}")
        print(f"{datasets.ALFWORLD}: ALFWorld's games, through the alfworld package's downloader")
        return 0
    path = datasets.get(args.name, url=args.url, progress=Console(stderr=True).is_terminal)
    print(f"{args.name}: {path}")
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
    from react_agent.ray_executor import RayUnavailable
    from react_agent.runner import ResumeRefused

    try:
        commands = {
            "alfworld": generate_command,
            "data": data_command,
            "bench": bench_command,
            "leaderboard": leaderboard_command,
            "report": report_command,
            "export": export_command,
            "show": show_command,
            "run": run_command,
        }
        return commands[args.command](args)
    except (
        RayUnavailable,
        UserError,
        ModelUnavailable,
        DataFileError,
        PromptFileError,
        ResumeRefused,
        ResultsFileBusy,
        TaskError,
    ) as error:
        fail(str(error))
    except KeyboardInterrupt:
        print("react: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

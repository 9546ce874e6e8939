"""The command line's parser: its commands and their flags, made from the library's records. Every
option of `react run`, `react bench` and `react optimize` is a field of `BenchSpec`, of its
`AgentSettings`, `ModelOptions` or `RayOptions`, or an option of an installed task, and takes that
field's name, type and description (`--max-steps` is `max_steps`); `spec_of` turns the parsed flags
back into the `BenchSpec` they say, so that every default is the library's. A bad flag is one line
on stderr and exit code 2 (`fail`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import UnionType
from typing import Any, Literal, NoReturn, Union, get_args, get_origin

from pydantic import BaseModel

from react_agent import __version__
from react_agent.errors import OptionError


def flag(name: str) -> str:
    """How the command line spells an option: `max_steps` is `--max-steps`."""
    return "--" + name.replace("_", "-")


def add_fields(
    parser: argparse.ArgumentParser, fields: dict[str, Any], prefix: str = "", skip: tuple = ()
) -> None:
    """A flag for each field of a pydantic model, named, typed and described as the field is. Unset
    flags are None, so that the library's defaults hold."""
    for name, info in fields.items():
        kind = info.annotation
        if get_origin(kind) in (Union, UnionType):  # an optional value: X | None
            kind = next(a for a in get_args(kind) if a is not type(None))
        if name in skip or get_origin(kind) is dict or isinstance(kind, type) and issubclass(kind, BaseModel):
            continue
        options: dict[str, Any] = {"dest": prefix + name, "default": None, "required": info.is_required()}
        if kind is bool:
            options["action"] = "store_true"
        elif get_origin(kind) is Literal:
            options["choices"] = get_args(kind)
        elif get_origin(kind) is list:
            options["action"] = "append"
        elif kind in (int, float, Path):
            options["type"] = kind
        flags = [flag(prefix + name), *(["--games"] if name == "data" else [])]  # ALFWorld's word for it
        described = OptionError((info.description or "").replace("%", "%%")).spelled(flag)  # `x` is --x
        parser.add_argument(*flags, help=described, **options)


def task_options() -> dict[str, Any]:
    """The fields of the installed tasks' options (react_agent.tasks), by name, but those a step
    format gives the task (`state`: bench() gives it with `--format state`)."""
    from react_agent import tasks
    from react_agent.formats import FORMATS

    given = {"data", *(f.task_option for f in FORMATS.values() if f.task_option)}

    fields: dict[str, Any] = {}
    for name in tasks.available():
        try:
            fields |= tasks.task_named(name).options.model_fields
        except tasks.TaskError:
            continue  # a task that cannot be loaded says so when it is asked for
    return {name: info for name, info in fields.items() if name not in given}


def play_options(parser: argparse.ArgumentParser, bench: bool) -> None:
    """The options of `react run` (one episode at a time), and with `bench` of `react bench`."""
    from react_agent.bench import BenchSpec, RayOptions
    from react_agent.models import ModelOptions
    from react_agent.settings import AgentSettings

    here_only = () if bench else ("workers", "executor", "out")
    for fields in (BenchSpec.model_fields, AgentSettings.model_fields, ModelOptions.model_fields):
        add_fields(parser, fields, skip=here_only)
    add_fields(parser, task_options())
    if bench:
        add_fields(parser, RayOptions.model_fields, prefix="ray_")
        parser._option_string_actions["--out"].required = True  # bench writes a results file
    else:
        parser.add_argument("--out", type=Path, help="append one JSON line per episode, as each ends")
        parser.add_argument("--quiet", action="store_true", help="show only the summary")


def optimize_options(parser: argparse.ArgumentParser) -> None:
    """`react bench`'s options for the training run, whose results file is `--train-out`; `--out`
    is the prompt file to write."""
    from react_agent.optimize import OptimizeSpec

    play_options(parser, True)
    parser._option_string_actions["--out"].help = "the prompt file to write"
    parser.add_argument(
        "--train-out", type=Path, help="the training episodes' results file (default: OUT.train.jsonl)"
    )
    fields = OptimizeSpec.model_fields
    parser.add_argument("--from", dest="from_run", type=Path, help=fields["from_run"].description)
    add_fields(parser, {name: fields[name] for name in ("exclude", "k", "select")})


def spec_of(args: argparse.Namespace) -> Any:
    """The `BenchSpec` the options say: each given option goes to the field of its name."""
    from react_agent.bench import BenchSpec, RayOptions
    from react_agent.models import ModelOptions
    from react_agent.settings import AgentSettings

    given = {name: value for name, value in vars(args).items() if value is not None}

    def fields(names: Any, prefix: str = "") -> dict[str, Any]:
        return {name: given[prefix + name] for name in names if prefix + name in given}

    spec = fields(BenchSpec.model_fields) | {
        "settings": fields(AgentSettings.model_fields),
        "model_options": fields(ModelOptions.model_fields),
        "ray": fields(RayOptions.model_fields, prefix="ray_"),
        "task_options": fields(task_options()),
    }
    return BenchSpec.model_validate(spec)


EXIT_BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    print(f"react: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        fail(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="react", description="ReAct agents on local or remote language models.")
    parser.add_argument("--version", action="version", version=f"react-agent {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    play_options(commands.add_parser("run", help="play episodes of a task and show each step"), False)
    play_options(commands.add_parser("bench", help="benchmark a model and method; resumable"), True)
    for name, help in (
        ("leaderboard", "tables of results with 95% confidence intervals"),
        ("report", "one HTML file to look at runs: scores, charts, episodes"),
        ("export", "trajectories as fine-tuning examples (FireAct's recipe)"),
    ):
        command = commands.add_parser(name, help=help.replace("%", "%%"))
        command.add_argument("runs", type=Path, nargs="+", help="results files, or folders of them")
        if name != "leaderboard":
            command.add_argument("--out", type=Path, required=True, help="the file to write")
    commands.choices["leaderboard"].add_argument("--format", choices=["table", "markdown", "json"])
    commands.choices["leaderboard"].add_argument(
        "--breakdown", action="store_true", help="and why each run's episodes ended, by category"
    )
    commands.choices["export"].add_argument("--format", choices=["completion", "chat"])
    commands.choices["export"].add_argument("--only-success", action="store_true")
    compare = commands.add_parser("compare", help="two runs on the same tasks: paired difference, McNemar")
    compare.add_argument("runs", type=Path, nargs=2, metavar="RUN", help="results files A and B")
    compare.add_argument("--format", choices=["text", "json"], default="text")
    show = commands.add_parser("show", help="replay recorded trajectories step by step")
    show.add_argument("run", type=Path, help="results file")
    show.add_argument("--id", help="only this task")
    optimize = commands.add_parser(
        "optimize", help="few-shot examples bootstrapped from the model's own successes on training tasks"
    )
    optimize_options(optimize)
    data = commands.add_parser("data", help="the real data sets, fetched into the cache folder")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    get = data_commands.add_parser("get", help="download a data set (resumable), check it, record it")
    get.add_argument("name", help="hotpotqa-dev, hotpotqa-abstracts or alfworld")
    get.add_argument("--url", help="another place to fetch it from (a mirror)")
    data_commands.add_parser("list", help="the data sets, and which are downloaded")
    suite_options(commands.add_parser("suite", help="play a suite of our published runs, each resumable"))
    alfworld = commands.add_parser("alfworld", help="ALFWorld tools")
    games = alfworld.add_subparsers(dest="alfworld_command", required=True, parser_class=_Parser)
    generate = games.add_parser("generate", help="write new ALFWorld games, each checked solvable")
    generate.add_argument("--n", type=int, required=True, help="how many (the six task types in turn)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--out", type=Path, required=True, help="games go to json_2.1.1/valid_unseen/")
    generate.add_argument("--wording", default="react", help="react (put X in/on Y) or current (move X to Y)")
    return parser


def suite_options(parser: argparse.ArgumentParser) -> None:
    """`react suite NAME`: the runs of a suite of `suites.json`, where `Places` says by default."""
    from react_agent.suites import Places, load_suites

    places = Places()
    parser.add_argument("name", choices=sorted(load_suites()), help="the suite (react_agent/suites.json)")
    parser.add_argument(
        "--runs", type=Path, default=places.runs, help="where results go (default: %(default)s)"
    )
    parser.add_argument(
        "--shared", type=Path, default=places.shared, help="the reference data (default: %(default)s)"
    )
    parser.add_argument(
        "--prompts",
        type=Path,
        default=places.prompts,
        help="bootstrapped prompt files (default: %(default)s)",
    )
    parser.add_argument("--only", nargs="+", metavar="FILE", help="only the runs writing these files")
    parser.add_argument("--workers", type=int, default=1, help="episodes at once (results do not change)")
    parser.add_argument("--replay", type=Path, help="play back the recorded runs of this folder")
    parser.add_argument("--n", type=int, help="only the first N tasks of each run")

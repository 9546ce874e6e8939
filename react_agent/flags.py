"""The command line's flags, made from the library's records: every option of `react run`,
`react bench` and `react optimize` is a field of `BenchSpec`, of its `AgentSettings`,
`ModelOptions` or `RayOptions`, or an option of an installed task, and takes that field's name,
type and description (`--max-steps` is `max_steps`); `spec_of` turns the parsed flags back into
the `BenchSpec` they say, so that every default is the library's.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from react_agent.options import OptionError


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

"""The tasks that `react run` and `react bench` can play, found through the entry-point group
`react_agent.tasks`: the built-in `hotpotqa` and `alfworld`, and any task an installed package
adds. A package adds one with, in its pyproject.toml,

    [project.entry-points."react_agent.tasks"]
    sums = "my_package:setup"

where `setup(options: TaskOptions) -> TaskSetup` reads the options it cares about (its data file,
the method, a prompt file...) and returns the tasks and a way to make their environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from react_agent.datafiles import FileDigest
from react_agent.environment import Environment
from react_agent.prompts import Prompt

GROUP = "react_agent.tasks"


class TaskError(ValueError):
    """Options a task cannot play with, or a task that cannot be loaded: one line for the user."""


@dataclass
class TaskOptions:
    """What the command line gives a task; a task reads what it needs and refuses what it cannot
    honour (with `TaskError`)."""

    method: str = "react"
    data: Path | None = None  # the task's data: a question file, a folder of games...
    wiki: list[str] | None = None
    wiki_timeout: float = 10.0
    prompt_file: Path | None = None
    prompt_key: str | None = None
    cot_prompt_key: str | None = None
    sample: str | None = None
    shots: int | None = None  # few-shot examples to keep in each prompt (0: none; None: all)


@dataclass
class TaskSetup:
    """What a task gives the runners: its tasks, its environment, and what a run records of it."""

    tasks: list[Any]
    make_env: Callable[[], Environment]  # a fresh environment, for each concurrent worker
    max_steps: int = 7  # the step limit, unless the user gives one
    score: str = "success"  # the metric a progress bar shows
    data: str = "built-in"  # what the tasks were read from, as given
    data_files: list[FileDigest] = field(default_factory=list)
    votes_prompt: Prompt | None = None  # the CoT prompt that voting methods sample
    wiki: list[FileDigest] | str | None = None
    packages: list[str] = field(default_factory=list)  # whose versions shape the episodes


def available() -> list[str]:
    return sorted(entry.name for entry in entry_points(group=GROUP))


def setup(name: str, options: TaskOptions) -> TaskSetup:
    """The task `name`, set up with `options`."""
    found = [entry for entry in entry_points(group=GROUP) if entry.name == name]
    if not found:
        raise TaskError(f"unknown task {name!r} (known: {', '.join(available()) or 'none'})")
    entry = found[0]
    try:
        make_setup = entry.load()
    except Exception as error:
        package = entry.dist.name if entry.dist else entry.value
        raise TaskError(
            f"task {name!r} of {package} cannot be loaded: {type(error).__name__}: {error}"
        ) from None
    return make_setup(options)

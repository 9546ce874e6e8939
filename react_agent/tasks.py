"""The tasks that `react run`, `react bench` and `bench()` can play, found through the entry-point
group `react_agent.tasks`: the built-in `hotpotqa` and `alfworld`, and any task an installed package
adds. A package adds one with, in its pyproject.toml,

    [project.entry-points."react_agent.tasks"]
    sums = "my_package:TASK"

where `TASK = Task("sums", SumsOptions, setup, roles=("react",))`: the options it takes (a
`TaskOptions` subclass: any other option is refused, naming it), what sets it up, and the prompt
roles it has (`react`, `act`, `cot`, `standard`, `votes`: see `react_agent.methods`), which say
what methods it can play. `setup(options, roles, rules) -> TaskSetup` loads the tasks and says how
to make an environment for each of the roles the method to play needs, playing by `rules`
(`react_agent.rules`): a task that has the paper's rules too says so (`rules=(OURS, PAPER)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from react_agent.datafiles import FileDigest
from react_agent.diagnosis import Diagnose, by_score
from react_agent.environment import Environment, task_id_of
from react_agent.errors import OptionError, as_option_error
from react_agent.rules import OURS, Rules
from react_agent.trajectory import EpisodeResult, Scoring

GROUP = "react_agent.tasks"
VOTES = "votes"  # the role of the CoT prompt that voting methods sample (react_agent.methods)


class TaskError(ValueError):
    """A task that cannot be loaded or set up: one line for the user."""


class TaskOptions(BaseModel):
    """What every task may be given; a task's own options subclass it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data: str | None = Field(None, description="where its tasks come from: a file, a folder, a data set")


class PromptFileOptions(TaskOptions):
    """The options of a task whose few-shot examples can come from a file (the paper's, say)."""

    prompt_file: str | None = Field(None, description="few-shot examples from this JSON file")
    prompt_key: str | None = Field(
        None, description="which prompt of the prompt file (default: the method's, else the paper's)"
    )

    def check_prompt_key(self) -> None:
        if self.prompt_key and self.prompt_file is None:
            raise OptionError("`prompt_key` picks an entry of `prompt_file`, which is missing")


@dataclass
class TaskSetup:
    """What a task gives the runners: its tasks, an environment for each prompt role it has, and
    what a run records of it."""

    tasks: list[Any]
    make_env: Callable[[str], Environment]  # a fresh environment playing a role's prompt, per worker
    scoring: Scoring  # its score, and how results are broken down
    max_steps: int = 7  # the step limit, unless the user or the method gives one
    data: str = "built-in"  # what the tasks were read from, by name
    data_files: list[FileDigest] = field(default_factory=list)
    sample: str | None = None  # the sample of the data that was taken, by name
    # Why an episode ended as it did (react_agent.diagnosis); None: the shared rules and the score.
    diagnose: Diagnose | None = None
    # The first `test_tasks` tasks of this data are a test set (published comparisons score them):
    # nothing that learns from runs (react_agent.optimize) may train on them.
    test_tasks: int = 0
    # What makes a task the task it is, whatever its id in a given file (a question's text, a game's
    # initial state and goal): tasks sharing one are the same task, so that training and test are
    # kept apart by content. None: the task's id.
    identify: Callable[[Any], list[str]] | None = None
    # The prompt file's key under which a task's examples go for a role (ALFWorld: one per task
    # type). None: the role's own name.
    prompt_key: Callable[[Any, str], str] | None = None

    def failure_category(self, result: EpisodeResult, task: Any) -> str:
        return (self.diagnose or by_score(self.scoring.score))(result, task)

    def identities(self, task: Any) -> set[str]:
        return set(self.identify(task)) if self.identify is not None else {f"id:{task_id_of(task)}"}

    def key_of(self, task: Any, role: str) -> str:
        return self.prompt_key(task, role) if self.prompt_key is not None else role


@dataclass(frozen=True)
class Task:
    """A task that can be played by name: its options, what sets it up from them and the prompt
    roles of the method to play, and the roles it has prompts for."""

    name: str
    options: type[TaskOptions]
    setup: Callable[[Any, tuple[str, ...], Rules], TaskSetup]
    roles: tuple[str, ...] = ("react",)
    answers: bool = True  # whether its episodes end with an answer (which ReAct-SC's samples vote on)
    rules: tuple[Rules, ...] = (OURS,)  # the rule sets its environments can play by

    def option_names(self) -> list[str]:
        return list(self.options.model_fields)

    def set_up(self, options: dict[str, Any], roles: tuple[str, ...], rules: Rules = OURS) -> TaskSetup:
        """The task set up with `options` (its own, by name) for a method of these roles, its
        environments playing by `rules`."""
        if rules not in self.rules:
            raise OptionError(f"{self.name} has no environment that plays by {rules.name}")
        try:
            checked = self.options.model_validate(options)
        except ValidationError as error:
            problem = error.errors()[0]
            if problem["type"] == "extra_forbidden":
                names = ", ".join(f"`{name}`" for name in self.option_names())
                option = problem["loc"][-1]
                raise OptionError(f"{self.name} takes no `{option}` (its options: {names})") from None
            raise as_option_error(error) from None
        return self.setup(checked, roles, rules)


def available() -> list[str]:
    return sorted(entry.name for entry in entry_points(group=GROUP))


def task_named(name: str) -> Task:
    """The task `name`, from the installed entry points."""
    found = [entry for entry in entry_points(group=GROUP) if entry.name == name]
    if not found:
        raise TaskError(f"unknown task {name!r} (known: {', '.join(available()) or 'none'})")
    entry = found[0]
    package = entry.dist.name if entry.dist else entry.value
    try:
        task = entry.load()
    except Exception as error:
        problem = f"{type(error).__name__}: {error}"
        raise TaskError(f"task {name!r} of {package} cannot be loaded: {problem}") from None
    if not isinstance(task, Task):
        raise TaskError(f"task {name!r} of {package} is not a react_agent.tasks.Task: {entry.value}")
    return task

"""Prompts are data files: an instruction and few-shot examples, kept apart from the code.

Two layouts load: ours (`{"key": {"instruction": ..., "examples": ..., "format": ...}}`) and the
ReAct paper's (`{"key": "examples text"}`, as in its `prompts_naive.json` and
`alfworld_3prompts.json`), whose examples take the rest of their prompt (instruction, step format)
from our prompt of the method they are used with.

A file that `react optimize` wrote holds, beside its prompts, where their examples came from
(`Bootstrapped`, under the key `bootstrapped`): the model's own successful episodes on training
tasks, which a run with the file must not score.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from react_agent.datafiles import FileDigest
from react_agent.errors import OptionError
from react_agent.formats import FORMATS, chosen_format

if TYPE_CHECKING:
    from react_agent.settings import AgentSettings


class PromptFileError(OptionError):
    """A prompt file that cannot be read, or lacks the key asked for."""


BOOTSTRAPPED = "bootstrapped"  # the key of a prompt file's provenance record: not a prompt


@dataclass(frozen=True)
class Prompt:
    """What the model sees before a task: the instruction, the sentence that announces the
    examples (`examples_intro`: its forms for no example, one, several), the few-shot examples,
    and the text before the task (`task_header`); and how its steps are written (`format`).
    A chat with native tool calls (`format="tools"`) is told `tools_instruction` instead of the
    instruction, which speaks of lines of text the model does not write there (see `shown`)."""

    instruction: str
    examples: str
    format: str = "numbered"  # how steps are written: see react_agent.formats
    task_header: str = ""  # text between the examples and the task
    examples_intro: tuple[str, str, str] = ("", "", "")
    example_start: str = "Question:"  # each example begins on a line that starts with this
    source: str = field(default="", compare=False)  # where it came from, for a run's provenance
    tools_instruction: str = ""  # the system message of a chat with tools; empty: the instruction
    # Its examples are the model's own episodes (`react optimize`), not written by hand.
    bootstrapped: bool = field(default=False, compare=False)

    def example_list(self) -> list[str]:
        """The examples one by one, split where a line begins with `example_start`; joined again
        they are `examples`, byte for byte."""
        if not self.examples:
            return []
        starts = [m.start() for m in re.finditer(f"^{re.escape(self.example_start)}", self.examples, re.M)]
        bounds = [0, *starts[1:], len(self.examples)]  # the first example keeps what comes before it
        return [self.examples[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]

    def shots(self, k: int | None) -> Prompt:
        """The prompt with only its first `k` examples (0: the instruction alone; None: all)."""
        return self if k is None else replace(self, examples="".join(self.example_list()[:k]))

    def shown(self, settings: AgentSettings) -> Prompt:
        """The prompt an episode with these settings shows: its first `settings.shots` examples,
        and in a chat with tools its tools instruction (its fingerprint then says so too)."""
        return chosen_format(settings.format).shown(self.shots(settings.shots))

    @property
    def head(self) -> str:
        """The instruction, the examples' announcement and the examples."""
        return self.instruction + self.examples_intro[min(len(self.example_list()), 2)] + self.examples

    def prefix(self, first_observation: str) -> str:
        """Everything the model sees before its first step."""
        return f"{self.head}{self.task_header}{first_observation}\n"

    def sha256(self) -> str:
        """A fingerprint of everything in the prompt that the model sees or that shapes its steps."""
        head = self.head
        instruction = head[: len(head) - len(self.examples)]
        fields = [instruction, self.examples, self.format, self.task_header]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def builtin_prompts(task: str) -> dict[str, Any]:
    """The prompt file shipped with the package for a task (`react_agent/prompts/<task>.json`)."""
    return json.loads(files("react_agent.prompts").joinpath(f"{task}.json").read_text(encoding="utf-8"))


def builtin_prompt(task: str, key: str) -> Prompt:
    return prompt_from(builtin_prompts(task), key, f"built-in {task}")


def prompt_keys(data: dict[str, Any]) -> list[str]:
    """The prompts of a prompt file, by key (its provenance record is none)."""
    return sorted(key for key in data if key != BOOTSTRAPPED)


def choose_key(data: dict[str, Any], candidates: Sequence[str], source: str, purpose: str) -> str:
    """The first of `candidates` that `data` holds; otherwise an error listing what it has."""
    for key in candidates:
        if key in data:
            return key
    raise PromptFileError(
        f"{source} has no prompt for {purpose} (looked for {', '.join(map(repr, candidates))}; "
        f"it has: {', '.join(prompt_keys(data))}); choose one with `prompt_key`"
    )


class Bootstrapped(BaseModel):
    """Where the examples of a prompt file that `react optimize` wrote came from: the run that
    played the training tasks (its model, method, data and config hash), how examples were
    chosen, the tasks each prompt's examples came from, and every training task by what makes it
    that task (`TaskSetup.identities`), so that a run with the file refuses to score them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str
    method: str
    model: str
    model_sha256: str | None
    run: str  # the config hash of the run that played the training tasks
    data: str  # the training data, by name
    data_files: list[FileDigest]  # and its bytes' sha256
    range: str  # which of its tasks trained: "101-410" (1-based, inclusive, in the data's order)
    selection: str  # the rule that chose among the successes (react_agent.optimize.SELECTIONS)
    training_tasks: int  # how many tasks were played
    successes: int  # how many of them succeeded on their own and could be an example
    examples: dict[str, list[str]]  # each prompt's key: the ids of the tasks its examples came from
    training: list[str]  # every training task's identities


def bootstrap_record(path: str | Path) -> Bootstrapped | None:
    """The provenance of a prompt file's examples, when `react optimize` wrote it."""
    record = read_prompt_file(path).get(BOOTSTRAPPED)
    if record is None:
        return None
    try:
        return Bootstrapped.model_validate(record)
    except ValidationError as error:
        problem = error.errors()[0]["msg"]
        raise PromptFileError(f"{path}: its `{BOOTSTRAPPED}` record is not one: {problem}") from None


def read_prompt_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptFileError(f"prompt file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PromptFileError(f"cannot read prompt file {path}: {error}") from None
    if not isinstance(data, dict):
        raise PromptFileError(f"{path}: expected a JSON object of prompts")
    return data


def prompt_from(data: dict[str, Any], key: str, source: str, default: Prompt | None = None) -> Prompt:
    if key not in data or key == BOOTSTRAPPED:
        raise PromptFileError(f"{source} has no prompt {key!r}; it has: {', '.join(prompt_keys(data))}")
    entry = data[key]
    where = f"{Path(source).name}:{key}"  # no folder: the same file read from elsewhere is the same prompt
    if isinstance(entry, str) and default is not None:
        return replace(default, examples=entry, source=where)
    if isinstance(entry, dict) and isinstance(entry.get("examples"), str):
        base = default or Prompt(instruction="", examples="")
        names = ("instruction", "examples", "format", "task_header", "example_start", "tools_instruction")
        fields: dict[str, Any] = {name: entry[name] for name in names if name in entry}
        if "examples_intro" in entry:
            fields["examples_intro"] = tuple(entry["examples_intro"])
        elif "instruction" in entry:  # an instruction of one's own says what it needs to
            fields["examples_intro"] = ("", "", "")
        if "instruction" in entry and "tools_instruction" not in entry:
            fields["tools_instruction"] = ""  # nor is ours told in its place to a chat with tools
        prompt = replace(base, **fields, source=where, bootstrapped=BOOTSTRAPPED in data)
        if prompt.format not in FORMATS:
            raise PromptFileError(f"{source}: prompt {key!r} has unknown format {prompt.format!r}")
        return prompt
    raise PromptFileError(f"{source}: prompt {key!r} is neither examples text nor {{instruction, examples}}")

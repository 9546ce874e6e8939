"""Prompts are data files: an instruction and few-shot examples, kept apart from the code.

Two layouts load: ours (`{"key": {"instruction": ..., "examples": ..., "format": ...}}`) and the
ReAct paper's (`{"key": "examples text"}`, as in its `prompts_naive.json` and
`alfworld_3prompts.json`), whose examples take the rest of their prompt (instruction, step format)
from our prompt of the method they are used with.
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

from react_agent.formats import FORMATS
from react_agent.options import OptionError

if TYPE_CHECKING:
    from react_agent.settings import AgentSettings


class PromptFileError(OptionError):
    """A prompt file that cannot be read, or lacks the key asked for."""


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
        prompt = self.shots(settings.shots)
        if settings.format == "tools" and prompt.tools_instruction:
            return replace(prompt, instruction=prompt.tools_instruction)
        return prompt

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


def choose_key(data: dict[str, Any], candidates: Sequence[str], source: str, purpose: str) -> str:
    """The first of `candidates` that `data` holds; otherwise an error listing what it has."""
    for key in candidates:
        if key in data:
            return key
    raise PromptFileError(
        f"{source} has no prompt for {purpose} (looked for {', '.join(map(repr, candidates))}; "
        f"it has: {', '.join(sorted(data))}); choose one with `prompt_key`"
    )


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
    if key not in data:
        raise PromptFileError(f"{source} has no prompt {key!r}; it has: {', '.join(sorted(data))}")
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
        prompt = replace(base, **fields, source=where)
        if prompt.format not in FORMATS:
            raise PromptFileError(f"{source}: prompt {key!r} has unknown format {prompt.format!r}")
        return prompt
    raise PromptFileError(f"{source}: prompt {key!r} is neither examples text nor {{instruction, examples}}")

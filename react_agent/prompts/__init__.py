"""Prompts are data files: an instruction and few-shot examples, kept apart from the code.

Two layouts load: ours (`{"key": {"instruction": ..., "examples": ...}}`) and the ReAct paper's
(`{"key": "examples text"}`, as in its `prompts_naive.json`), where our instruction for the task is
put in front of the paper's examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path


class PromptFileError(ValueError):
    """A prompt file that cannot be read, or lacks the key asked for."""


@dataclass(frozen=True)
class Prompt:
    instruction: str
    examples: str

    def prefix(self, first_observation: str) -> str:
        """Everything the model sees before its first step."""
        return f"{self.instruction}{self.examples}{first_observation}\n"


def builtin_prompt(task: str, key: str) -> Prompt:
    """One of the prompts shipped with the package (`react_agent/prompts/<task>.json`)."""
    path = files("react_agent.prompts").joinpath(f"{task}.json")
    return _prompt_from(json.loads(path.read_text(encoding="utf-8")), key, str(path), None)


def load_prompt(path: str | Path, key: str, default_instruction: str) -> Prompt:
    """A prompt from a user's file in either layout; `default_instruction` serves the paper's."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptFileError(f"prompt file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PromptFileError(f"cannot read prompt file {path}: {error}") from None
    return _prompt_from(data, key, str(path), default_instruction)


def _prompt_from(data: object, key: str, source: str, default_instruction: str | None) -> Prompt:
    if not isinstance(data, dict):
        raise PromptFileError(f"{source}: expected a JSON object of prompts")
    if key not in data:
        raise PromptFileError(f"{source} has no prompt {key!r}; it has: {', '.join(sorted(data))}")
    entry = data[key]
    if isinstance(entry, str) and default_instruction is not None:
        return Prompt(instruction=default_instruction, examples=entry)
    if isinstance(entry, dict) and isinstance(entry.get("examples"), str):
        instruction = entry.get("instruction", default_instruction or "")
        return Prompt(instruction=instruction, examples=entry["examples"])
    raise PromptFileError(f"{source}: prompt {key!r} is neither examples text nor {{instruction, examples}}")

"""Grammars that let a model write only a well-formed step (`Agent(..., grammar=True)`, `--grammar`).

A step format and the environment's action space give the shape of what the model may write next:
after `Thought i:` one line of thought, then `Action i: Name[argument]` with a name of the action
space; after ALFWorld's `>` either `think: <line>` or exactly one of the step's admissible commands.
The shape is built once as a small tree and written two ways: as GBNF, which llama.cpp's grammar
sampler enforces token by token (and servers that accept a grammar), and as a regular expression,
with which the tests check that the parser reads everything the grammar can produce.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from react_agent.formats import ActionsOnly, CommandLines, NumberedSteps, StepFormat


@dataclass(frozen=True)
class ActionSpace:
    """What an environment accepts at this step: bracketed actions by name (`Search[...]`), or exact
    commands (ALFWorld's admissible ones), and whether `think: ...` lines are allowed."""

    names: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    think: bool = False


# -- the tree -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Text:
    """One or more characters on one line, none in `excluded`; the first not in `first` either
    (by default no blank start: an argument or answer of spaces is none)."""

    excluded: str = ""
    first: str = " \t"


@dataclass(frozen=True)
class Seq:
    parts: tuple = ()


@dataclass(frozen=True)
class Alt:
    options: tuple = ()


@dataclass(frozen=True)
class Grammar:
    tree: Seq | Alt | Lit | Text

    def gbnf(self) -> str:
        return f"root ::= {_gbnf(self.tree)}\n"

    def regex(self) -> str:
        return _regex(self.tree)


def _gbnf(node) -> str:
    if isinstance(node, Lit):
        return json.dumps(node.text, ensure_ascii=False)  # GBNF literals escape as JSON strings do
    if isinstance(node, Text):
        rest = "".join(_gbnf_class_char(c) for c in "\n" + node.excluded)
        first = "".join(_gbnf_class_char(c) for c in "\n" + node.excluded + node.first)
        return f"[^{first}] [^{rest}]*"
    if isinstance(node, Seq):
        return " ".join(_gbnf(part) for part in node.parts)
    return "(" + " | ".join(_gbnf(option) for option in node.options) + ")"


def _gbnf_class_char(char: str) -> str:
    return {"\n": "\\n", "\t": "\\t", "]": "\\]", "[": "\\[", "\\": "\\\\", "^": "\\^", "-": "\\-"}.get(
        char, char
    )


def _regex(node) -> str:
    if isinstance(node, Lit):
        return re.escape(node.text)
    if isinstance(node, Text):
        rest = re.escape("\n" + node.excluded)
        return f"[^{rest}{re.escape(node.first)}][^{rest}]*"
    if isinstance(node, Seq):
        return "".join(_regex(part) for part in node.parts)
    return "(?:" + "|".join(_regex(option) for option in node.options) + ")"


# -- steps ----------------------------------------------------------------------------------------
def action(space: ActionSpace) -> Alt:
    """One action of the space: `Name[argument]` (no `]` or newline in the argument), a command,
    or a `think:` line."""
    options: list = [Seq((Lit(f"{name}["), Text("]"), Lit("]"))) for name in space.names]
    options += [Lit(command) for command in space.commands]
    if space.think:
        options.append(Seq((Lit("think: "), Text())))
    return Alt(tuple(options))


def for_step(
    step_format: StepFormat, i: int, space: ActionSpace | None, *, reask: bool = False
) -> Grammar | None:
    """What the model may write after the format's request for step i (or its re-ask for the
    action); None where the format has no grammar or the environment no action space."""
    if space is None or not (space.names or space.commands or space.think):
        return None
    if isinstance(step_format, NumberedSteps):
        if reask:
            return Grammar(Seq((Lit(" "), action(space))))
        # A thought line that began `Action` or `Observation` would read as that label: a thought
        # starts with any other letter.
        thought = Text(first=" \tAaOo")
        return Grammar(Seq((Lit(" "), thought, Lit(f"\nAction {i}: "), action(space))))
    if isinstance(step_format, ActionsOnly):
        return Grammar(Seq((Lit(" "), action(space))))
    if isinstance(step_format, CommandLines):
        return Grammar(Seq((Lit(" "), action(space), Lit("\n"))))
    return None  # answers without actions (Standard, CoT): nothing to hold to a space


def for_final_answer() -> Grammar:
    """After `Action i: Finish[`: the answer and its closing bracket."""
    return Grammar(Seq((Text("]"), Lit("]"))))

"""Grammars that let a model write only a well-formed step (`Agent(..., grammar=True)`).

A step format (`StepFormat.grammar` in `formats.py`) and the environment's action space give the
shape of what the model may write next: after `Thought i:` one line of thought, then `Action i:
Name[argument]` with a name of the action space; after ALFWorld's `>` either `think: <line>` or
exactly one of the step's admissible commands. This module holds the pieces. The shape is built
once as a small tree and written two ways: as GBNF, which llama.cpp's grammar sampler enforces
token by token (and servers that accept a grammar), and as a regular expression, with which the
tests check that the parser reads everything the grammar can produce. Walked directly, it also
says whether a text is a start of what the grammar allows: how a backend that sends the grammar to
a server checks that the server held its answer to it (a server may ignore fields it does not
know).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


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


# What the parser treats as a line break (str.splitlines) and as blank space (str.strip), in ASCII:
# a text of the grammar holds no line break and starts with no space, so it reads back whole. The
# non-ASCII ones (U+0085, U+00A0, U+2028...) are not excluded: in a negated class they make
# llama.cpp refuse every character that shares their first byte when it comes byte by byte.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e"
SPACES = " \t\x1f"
UNICODE_BREAKS_AND_SPACES = "".join(
    c for c in map(chr, range(0x80, 0x3001)) if c.isspace() or c in "\x85\u2028\u2029"
)


@dataclass(frozen=True)
class Text:
    """One or more characters on one line, none in `excluded`; the first neither a space nor in
    `first` (a blank argument or answer is none)."""

    excluded: str = ""
    first: str = ""


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

    def allows_start(self, text: str) -> bool:
        """Whether `text` is a start of what the grammar allows (the empty text and whole answers
        among them): what an answer cut at a stop sequence or at the token budget still is when it
        was written under the grammar. A walk over the tree: nothing to compile, microseconds for
        ALFWorld's hundreds of commands."""
        ends, ran_out_inside = _ends(self.tree, text, 0)
        return ran_out_inside or len(text) in ends


def _gbnf(node) -> str:
    if isinstance(node, Lit):
        return json.dumps(node.text, ensure_ascii=False)  # GBNF literals escape as JSON strings do
    if isinstance(node, Text):
        rest = "".join(_gbnf_class_char(c) for c in LINE_BREAKS + node.excluded)
        first = "".join(_gbnf_class_char(c) for c in LINE_BREAKS + SPACES + node.excluded + node.first)
        return f"[^{first}] [^{rest}]*"
    if isinstance(node, Seq):
        return " ".join(_gbnf(part) for part in node.parts)
    return "(" + " | ".join(_gbnf(option) for option in node.options) + ")"


def _gbnf_class_char(char: str) -> str:
    if char in "]-[\\^":
        return "\\" + char
    # Control characters as escapes; anything else as itself (llama.cpp reads the grammar as UTF-8).
    return f"\\x{ord(char):02x}" if char < " " or "\x7f" <= char <= "\x9f" else char


def _regex(node) -> str:
    if isinstance(node, Lit):
        return re.escape(node.text)
    if isinstance(node, Text):
        rest = re.escape(LINE_BREAKS + node.excluded)
        return f"[^{rest}{re.escape(SPACES + node.first)}][^{rest}]*"
    if isinstance(node, Seq):
        return "".join(_regex(part) for part in node.parts)
    return "(?:" + "|".join(_regex(option) for option in node.options) + ")"


def _ends(node, text: str, i: int) -> tuple[set[int], bool]:
    """Where in `text` the node, begun at `i`, can end; and whether the text can end inside it
    (text[i:] is a start of it, not the whole)."""
    if isinstance(node, Lit):
        rest = text[i:]
        if rest.startswith(node.text):
            return {i + len(node.text)}, False
        return set(), node.text.startswith(rest)
    if isinstance(node, Text):  # the same characters as _regex's class
        if i == len(text):
            return set(), True
        outside = LINE_BREAKS + node.excluded
        if text[i] in outside + SPACES + node.first:
            return set(), False
        j = i + 1
        while j < len(text) and text[j] not in outside:
            j += 1
        return set(range(i + 1, j + 1)), j == len(text)
    if isinstance(node, Seq):
        starts, ran_out_inside = {i}, False
        for part in node.parts:
            ends: set[int] = set()
            for start in starts:
                part_ends, inside = _ends(part, text, start)
                ends |= part_ends
                ran_out_inside |= inside
            starts = ends
        return starts, ran_out_inside
    ends, ran_out_inside = set(), False
    for option in node.options:
        option_ends, inside = _ends(option, text, i)
        ends |= option_ends
        ran_out_inside |= inside
    return ends, ran_out_inside


# -- steps ----------------------------------------------------------------------------------------
# The line break that may follow a closing bracket. It is no part of the action, but tokenizers
# merge it with the bracket (Qwen2.5's `]\n` is one token): a grammar that ended at `]` would refuse
# the model's best token there and send it on writing past the end of its action.
BRACKET_CLOSE = Seq((Lit("]"), Alt((Lit("\n"), Lit("")))))


def action(space: ActionSpace) -> Alt:
    """One action of the space: `Name[argument]` (no `]` or newline in the argument), a command,
    or a `think:` line."""
    options: list = [Seq((Lit(f"{name}["), Text("]"), BRACKET_CLOSE)) for name in space.names]
    options += [Lit(command) for command in space.commands]
    if space.think:
        options.append(Seq((Lit("think: "), Text())))
    return Alt(tuple(options))


def for_final_answer() -> Grammar:
    """After `Action i: Finish[`: the answer and its closing bracket."""
    return Grammar(Seq((Text("]"), BRACKET_CLOSE)))

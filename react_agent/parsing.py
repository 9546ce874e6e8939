"""Model text -> Thought + Action, tolerant of the ways small models go wrong.

Nothing here raises on any input: text that holds no action parses to `ParsedOutput(action=None)`,
and the episode decides what to do about it (ask once more, as the paper's code does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from react_agent.trajectory import Action, ToolCall

# "Action 3:", "action:", "ACTION 3 :" at the start of a line.
_ACTION_LINE = re.compile(r"^[ \t]*action[ \t]*\d*[ \t]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
# The same label in mid-line, for models that put Thought and Action on one line.
_ACTION_INLINE = re.compile(r"\baction[ \t]*\d*[ \t]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
# A line where the model starts writing the environment's part.
_OBSERVATION_LINE = re.compile(r"^[ \t]*observation[ \t]*\d*[ \t]*:", re.IGNORECASE | re.MULTILINE)
_OBSERVATION_INLINE = re.compile(r"\bobservation[ \t]*\d*[ \t]*:", re.IGNORECASE)
# An action line that starts with the Observation label, colon or not: the model skipped its action.
_OBSERVATION_LABEL = re.compile(r"^[ \t]*observation", re.IGNORECASE)
_THOUGHT_LABEL = re.compile(r"^[ \t]*thought[ \t]*\d*[ \t]*:[ \t]*", re.IGNORECASE)
_BRACKETED = re.compile(r"^([A-Za-z_][\w ]*?)\s*\[(.*)$", re.DOTALL)


@dataclass(frozen=True)
class ParsedOutput:
    thought: str
    action: Action | None
    tool_calls: tuple[ToolCall, ...] = ()  # a chat model's calls, the first of which is the action
    state: dict[str, str] | None = None  # the state lines written before the action (`--format state`)


def cut_observation(text: str) -> str:
    """Drop everything from the first line where the model writes its own Observation."""
    match = _OBSERVATION_LINE.search(text)
    return text[: match.start()] if match else text


def parse_action(text: str) -> Action | None:
    """Read one action. `Search[x]`, `search [x]`, `Search[x` (unclosed) all give name 'search'.

    Text that is not of the `Name[argument]` shape is kept whole as the action's text (ALFWorld's
    actions are plain commands such as `go to desk 1`); blank text is no action.
    """
    text = text.strip()
    if not text:
        return None
    match = _BRACKETED.match(text)
    if not match:
        return Action(text=text)
    name, rest = match.group(1).strip(), match.group(2)
    # The argument runs to the last closing bracket; a model that forgets to close it still gets
    # its argument. Text after the bracket (a second action, chatter) is dropped.
    close = rest.rfind("]")
    argument = (rest[:close] if close >= 0 else rest.split("\n", 1)[0]).strip()
    return Action(text=f"{name}[{argument}]", name=name.lower().replace(" ", ""), argument=argument)


def paper_form(text: str) -> str:
    """An action as the paper's code hands it to its environment: its first letter lowered, then
    stripped (`Search[x]` is `search[x]`; `SEARCH[x]`, `sEARCH[x]`, which it does not know)."""
    return (text[:1].lower() + text[1:]).strip()


_PAPER_ACTION = re.compile(r"(\w+)\[(.*)\]", re.DOTALL)


def parse_paper_action(text: str) -> Action:
    """An action read as the paper's code reads it: `name[argument]` only when its `paper_form`
    starts with `name[` and ends with `]` (the argument as it stands between them); anything else
    is an action with no name, which the environment answers as invalid. The text stays as written:
    the transcript shows it so."""
    match = _PAPER_ACTION.fullmatch(paper_form(text))
    return Action(text=text, name=match[1], argument=match[2]) if match else Action(text=text)


def _action_match(text: str) -> re.Match[str] | None:
    return _ACTION_LINE.search(text) or _ACTION_INLINE.search(text)


def parse_output(text: str) -> ParsedOutput:
    """Split a model's continuation after `Thought i:` into its thought and its action."""
    text = cut_observation(text)
    match = _action_match(text)
    if match is None:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        thought = _THOUGHT_LABEL.sub("", lines[0]).strip() if lines else ""
        return ParsedOutput(thought=thought, action=None)
    thought = _THOUGHT_LABEL.sub("", text[: match.start()].strip()).strip()
    action_text = _OBSERVATION_INLINE.split(match.group(1), maxsplit=1)[0]
    action = None if _OBSERVATION_LABEL.match(action_text) else parse_action(action_text)
    return ParsedOutput(thought=" ".join(thought.split()), action=action)


def action_is_complete(text: str) -> bool:
    """True once the text holds a whole action, so decoding can stop there.

    Small models rarely write the stop sequence themselves; they run on to the token cap. An action
    is whole when its bracket has closed, when its line has ended, or when an Observation begins.
    """
    if _OBSERVATION_LINE.search(text):
        return True
    match = _action_match(text)
    if match is None:
        return False
    action = match.group(1)
    return "\n" in text[match.start() :] or ("[" in action and action.rstrip().endswith("]"))

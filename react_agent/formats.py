"""How a trajectory is written into the prompt: the one owner of the transcript.

A step format asks for a step (`request`), reads the answer (`parse`), asks once more for a missing
action and reads that answer (`reask`, `parse_reask`), says when decoding may stop (`is_complete`),
and writes each finished step into the transcript (`block`). `Episode` holds only the rules (when
to ask, when to stop); nothing else writes a step into a prompt.

The ReAct paper uses two layouts:

- `numbered` (HotpotQA, FEVER): the model writes `Thought i: ...` and `Action i: ...`; decoding
  stops at `\\nObservation i:`; a thought without an action is asked once more for the action.
- `commands` (ALFWorld): one command per line after `>`; the model thinks with `think: ...`
  commands, which the environment answers `OK.`; decoding stops at the end of the line.

and the baselines of its Table 1: `actions` (Act: actions without thoughts), `answer` (Standard:
the answer straight away) and `reasoned_answer` (CoT: a thought, then the answer). The last two end
in one step with `Finish[answer]`.
"""

from __future__ import annotations

from typing import Protocol

from react_agent.models.base import ModelRequest
from react_agent.parsing import ParsedOutput, action_is_complete, cut_observation, parse_action, parse_output
from react_agent.trajectory import Action

ACTION_MAX_TOKENS = 48  # a re-asked action is one short line
THINK = "think:"
FINISH = "finish"  # the action that ends a question-answering task with its answer: Finish[answer]


class StepFormat(Protocol):
    # Whether a thought without an action is followed by a request for just the action.
    asks_for_missing_action: bool

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        """Ask for step i, after the transcript so far."""

    def reask(self, transcript: str, i: int, thought: str) -> ModelRequest:
        """Ask for just the action when the model gave only a thought."""

    def parse(self, text: str) -> ParsedOutput:
        """The thought and action in the answer to `request`."""

    def parse_reask(self, text: str) -> Action | None:
        """The action in the answer to `reask`."""

    def is_complete(self, text: str) -> bool:
        """True once `text` holds a whole step, so decoding can stop."""

    def block(self, i: int, thought: str, action: Action, observation: str) -> str:
        """Step i as it is added to the transcript."""

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        """Ask for an answer once the step limit is reached (`Action i: Finish[`); None when the
        format has no answer to ask for."""


def _first_line(text: str) -> str:
    lines = cut_observation(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def ask_finish(transcript: str, i: int) -> ModelRequest:
    """`Action i: Finish[`: the model writes the answer and closes the bracket."""
    return ModelRequest(f"{transcript}Action {i}: Finish[", stop=["]", "\n"], max_tokens=ACTION_MAX_TOKENS)


def finish_with(text: str) -> Action | None:
    """The answer written after `Finish[`, as the Finish action."""
    answer = text.split("]", 1)[0].split("\n", 1)[0].strip()
    return Action(text=f"Finish[{answer}]", name=FINISH, argument=answer) if answer else None


class NumberedSteps:
    asks_for_missing_action = True

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Thought {i}:", stop=[f"\nObservation {i}:"], max_tokens=max_tokens)

    def reask(self, transcript: str, i: int, thought: str) -> ModelRequest:
        prompt = f"{transcript}Thought {i}: {thought}\nAction {i}:"
        return ModelRequest(prompt, stop=["\n"], max_tokens=ACTION_MAX_TOKENS)

    def parse(self, text: str) -> ParsedOutput:
        return parse_output(text)

    def parse_reask(self, text: str) -> Action | None:
        return parse_action(_first_line(text))

    def is_complete(self, text: str) -> bool:
        return action_is_complete(text)

    def block(self, i: int, thought: str, action: Action, observation: str) -> str:
        return f"Thought {i}: {thought}\nAction {i}: {action.text}\nObservation {i}: {observation}\n"

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return ask_finish(transcript, i)


class CommandLines:
    """ALFWorld's `> command` lines. The request ends in `>` and the model's command follows it, so
    each step adds ` command\\nobservation\\n>` to the prompt, as in the paper's code."""

    asks_for_missing_action = False

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}>", stop=["\n"], max_tokens=max_tokens)

    def reask(self, transcript: str, i: int, thought: str) -> ModelRequest:
        raise NotImplementedError("a command line has no separate action to ask for")

    def parse(self, text: str) -> ParsedOutput:
        lines = text.strip().splitlines()
        line = lines[0].strip().lstrip(">").strip() if lines else ""
        action = parse_action(line) if line else None
        if action is not None and line.lower().startswith(THINK):
            return ParsedOutput(thought=line[len(THINK) :].strip(), action=Action(text=line))
        return ParsedOutput(thought="", action=action)

    def parse_reask(self, text: str) -> Action | None:
        raise NotImplementedError("a command line has no separate action to ask for")

    def is_complete(self, text: str) -> bool:
        return "\n" in text.lstrip("\n")

    def block(self, i: int, thought: str, action: Action, observation: str) -> str:
        return f"> {action.text}\n{observation}\n"

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return None  # a game has no answer: it is won or not


def _answer(text: str) -> Action | None:
    answer = _first_line(text)
    return Action(text=f"Finish[{answer}]", name=FINISH, argument=answer) if answer else None


class ActionsOnly:
    """The paper's Act baseline: `Action i:` / `Observation i:` with no thoughts."""

    asks_for_missing_action = False

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Action {i}:", stop=[f"\nObservation {i}:"], max_tokens=max_tokens)

    def reask(self, transcript: str, i: int, thought: str) -> ModelRequest:
        raise NotImplementedError("an Act step is only its action")

    def parse(self, text: str) -> ParsedOutput:
        return ParsedOutput(thought="", action=parse_action(_first_line(text)))

    def parse_reask(self, text: str) -> Action | None:
        raise NotImplementedError("an Act step is only its action")

    def is_complete(self, text: str) -> bool:
        return "\n" in text.lstrip() or text.rstrip().endswith("]")

    def block(self, i: int, thought: str, action: Action, observation: str) -> str:
        return f"Action {i}: {action.text}\nObservation {i}: {observation}\n"

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return ask_finish(transcript, i)


class DirectAnswer:
    """The paper's Standard prompting: `Answer: ...` right after the question, in one step."""

    asks_for_missing_action = False

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Answer:", stop=["\n"], max_tokens=max_tokens)

    def reask(self, transcript: str, i: int, thought: str) -> ModelRequest:
        raise NotImplementedError("a direct answer is one line")

    def parse(self, text: str) -> ParsedOutput:
        return ParsedOutput(thought="", action=_answer(text))

    def parse_reask(self, text: str) -> Action | None:
        raise NotImplementedError("a direct answer is one line")

    def is_complete(self, text: str) -> bool:
        return "\n" in text.lstrip()

    def block(self, i: int, thought: str, action: Action, observation: str) -> str:
        return f"Answer: {action.argument}\n"

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return None  # it answers in its one step


class ReasonedAnswer:
    """The paper's chain-of-thought prompting: `Thought: ...` then `Answer: ...`, in one step. A
    thought with no answer line is asked once more (`...Thought: <thought>\\nAnswer:`), and the
    answer given then is the step's `Finish[answer]`."""

    asks_for_missing_action = True

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Thought:", stop=["\nQuestion:"], max_tokens=max_tokens)

    def reask(self, transcript: str, i: int, thought: str) -> ModelRequest:
        return ModelRequest(
            f"{transcript}Thought: {thought}\nAnswer:", stop=["\n"], max_tokens=ACTION_MAX_TOKENS
        )

    def parse(self, text: str) -> ParsedOutput:
        thought, found, rest = text.partition("Answer:")
        thought = " ".join(thought.split())
        return ParsedOutput(thought=thought, action=_answer(rest) if found else None)

    def parse_reask(self, text: str) -> Action | None:
        return _answer(text)

    def is_complete(self, text: str) -> bool:
        _, found, rest = text.partition("Answer:")
        return bool(found) and "\n" in rest.lstrip()

    def block(self, i: int, thought: str, action: Action, observation: str) -> str:
        return f"Thought: {thought}\nAnswer: {action.argument}\n"

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return None  # it answers in its one step


FORMATS: dict[str, StepFormat] = {
    "numbered": NumberedSteps(),
    "commands": CommandLines(),
    "actions": ActionsOnly(),
    "answer": DirectAnswer(),
    "reasoned_answer": ReasonedAnswer(),
}

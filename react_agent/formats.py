"""How a trajectory is written into the prompt: the one owner of the transcript.

A step format asks for a step (`request`), reads the answer (`parse`), says when decoding may stop
(`is_complete`), says how an observation is shown (`observation`), writes each finished step into
the transcript (`turn`, what the model wrote, then `observed`, what the environment answered) and
reads such steps back (`read`). Where it can, it
asks once more for an action the model left out (`reask`), asks for an answer at the step limit
(`final_answer`), and says what a well-formed step over an action space is (`grammar`). `Episode`
holds only the rules (when to ask, when to stop); nothing else writes a step into a prompt.

`under(rules)` gives the format playing by a set of rules (`react_agent.rules`: the paper's code's
strict reading of an answer, its re-ask, observations shown as they came, decoding read to the stop
sequence). README has the table of what changes.

Every format answers for itself what the rest of the package would otherwise ask by its name: the
settings' `format` names one (`chosen_format`: `text` is each prompt's own), which says what it
refuses, what a run records and a leaderboard calls it, which prompts and methods it plays, and
whether its transcript is text. Nothing outside this module compares a format's name.

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

import copy
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any

from react_agent.grammar import ActionSpace, Alt, Grammar, Lit, Seq, Text, action
from react_agent.models.base import Completion, ModelRequest
from react_agent.parsing import (
    ParsedOutput,
    action_is_complete,
    cut_observation,
    parse_action,
    parse_output,
    parse_paper_action,
)
from react_agent.rules import OURS, Rules
from react_agent.tool_calls import FunctionSpec, action_for_call, call_for_action
from react_agent.trajectory import Action, Step, ToolCall

ANSWER_MAX_TOKENS = 48  # an answer asked for at the step limit is one short line
THINK = "think:"
FINISH = "finish"  # the action that ends a question-answering task with its answer: Finish[answer]


def _first_line(text: str) -> str:
    lines = cut_observation(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def finish_with(text: str) -> Action | None:
    """The answer written after `Finish[`, as the Finish action."""
    answer = text.split("]", 1)[0].split("\n", 1)[0].strip()
    return Action(text=f"Finish[{answer}]", name=FINISH, argument=answer) if answer else None


def _answer(text: str) -> Action | None:
    answer = _first_line(text)
    return Action(text=f"Finish[{answer}]", name=FINISH, argument=answer) if answer else None


@dataclass(frozen=True)
class Reask:
    """How a format asks once more when the model wrote a thought but no action: the transcript,
    then `head`, the step's thought and `label` (`Thought 2: <thought>\nAction 2:`); the answer is
    one line, read by `parse`."""

    head: str  # "Thought {i}: "
    label: str  # "\nAction {i}:"
    read_answer: bool = False  # the line is an answer (`Finish[line]`), not an action
    rules: Rules = OURS  # the re-ask's budget, and how its line is read

    def request(self, transcript: str, i: int, thought: str, budget: int) -> ModelRequest:
        """Ask again; `budget` is a step's token budget (the rules may ask for as many)."""
        prompt = f"{transcript}{self.head.format(i=i)}{thought}{self.label.format(i=i)}"
        return ModelRequest(prompt, stop=["\n"], max_tokens=self.rules.reask_tokens or budget)

    def parse(self, text: str) -> Action | None:
        if self.read_answer:
            return _answer(text)
        return read_action(text, self.rules)


@dataclass(frozen=True)
class ReadStep:
    """A step read back from a transcript: what the format wrote of it."""

    thought: str
    action: str
    observation: str
    state: dict[str, str] | None = None  # the state lines written before the action (`state`)


def read_action(text: str, rules: Rules) -> Action | None:
    """The action of an answer that holds only one: its first line read tolerantly, or (strict
    rules) the whole stripped text, read as the paper's code reads it."""
    return parse_paper_action(text.strip()) if rules.strict_actions else parse_action(_first_line(text))


class FormatChoice:
    """What the settings' `format` names: a step format, or `text` (each prompt's own). It says
    what it refuses, what a run records of it, which prompts and methods it plays."""

    name: str
    label: str | None = None  # what a leaderboard's method label adds for it
    only_methods: tuple[str, ...] | None = None  # the methods it plays; None: all
    task_option: str | None = None  # the task option that gives a task's own prompts in it
    transcript_is_text: bool = True  # False: a chat's messages (exported as such)
    in_paper: bool = True  # one of the paper's own layouts, which its rules can play

    @property
    def steps(self) -> str:
        """What its steps are called in a message."""
        return f"{self.name} steps"

    def refusal(self, rules: Rules, *, final_answer: bool = False) -> str | None:
        """Why settings with these rules cannot play it; None when they can."""
        if rules.own_formats_only and not self.in_paper:
            return f"{rules.name} play the prompts' own step formats, not {self.steps}"
        return None

    def method_refusal(self, method: str) -> str | None:
        """Why `method` cannot be played in it; None when it can."""
        if self.only_methods is None or method in self.only_methods:
            return None
        return f"format {self.name} is for the methods {', '.join(self.only_methods)}, not {method}"

    def recorded(self) -> dict[str, str]:
        """What a run's settings record of the choice."""
        return {"format": self.name}

    def plays_prompt(self, prompt_format: str) -> bool:
        """Whether it plays a prompt written in `prompt_format` steps."""
        return prompt_format == self.name

    def playing(self, prompt_format: str, tool_specs: Any) -> StepFormat:
        """The step format an episode plays over a prompt in `prompt_format` steps; `tool_specs()`
        gives the environment's tools, for the formats that call them."""
        if not self.plays_prompt(prompt_format):
            raise ValueError(f"format {self.name} cannot play a prompt of {prompt_format} steps")
        return FORMATS[prompt_format]

    def shown(self, prompt: Any) -> Any:
        """The prompt as it shows in this format (a `prompts.Prompt`)."""
        return prompt


class PromptsOwn(FormatChoice):
    """`text`: each prompt's own step format, as the prompt says."""

    name = "text"

    def recorded(self) -> dict[str, str]:
        return {}  # not recorded, so that the runs recorded before `format` keep their configs

    def plays_prompt(self, prompt_format: str) -> bool:
        return prompt_format in FORMATS and FORMATS[prompt_format].transcript_is_text


class StepFormat(FormatChoice, ABC):
    """One way of writing steps; see the module's docstring. `name` is what a prompt's `format`
    says. `reask` is how the format asks for a missing action, or None where it does not (an
    answer with no action is then invalid). `rules` are those it plays by."""

    reask: Reask | None = None
    rules: Rules = OURS

    def under(self, rules: Rules) -> StepFormat:
        """This format playing by `rules` (see the module's docstring)."""
        variant = copy.copy(self)
        variant.rules = rules
        variant.reask = replace(self.reask, rules=rules) if self.reask is not None else None
        return variant

    def begin(self, prompt: Any, first_observation: str) -> Any:
        """The transcript before the first step: the prompt's text (a `prompts.Prompt`, which
        imports this module), and the task."""
        return prompt.prefix(first_observation)

    def add_step(self, transcript: Any, step: Step, observation: str) -> Any:
        """The transcript with a finished step added, its observation shown as `observation`."""
        return transcript + self.block(step.index, step.thought, step.action, observation, step.state)

    @abstractmethod
    def request(self, transcript: Any, i: int, max_tokens: int) -> ModelRequest:
        """Ask for step i, after the transcript so far."""

    @abstractmethod
    def parse(self, text: str, i: int) -> ParsedOutput:
        """The thought and action in the answer to `request` for step i."""

    def read_completion(self, completion: Completion, i: int) -> ParsedOutput:
        """The thought and action of the model's answer to `request` for step i: its text's."""
        return self.parse(completion.text, i)

    def is_complete(self, text: str) -> bool:
        """True once `text` holds a whole step, so decoding can stop; never under rules that read
        to the stop sequence."""
        return not self.rules.read_to_stop and self.whole(text)

    @abstractmethod
    def whole(self, text: str) -> bool:
        """Whether `text` holds a whole step."""

    def observation(self, text: str) -> str:
        """The environment's answer as the transcript shows it: on one line (the layout depends on
        it), or as it came where the rules say."""
        return text if self.rules.observations_as_given else " ".join(text.split())

    @abstractmethod
    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        """What the model wrote of step i, as the transcript shows it (ending in a line break);
        `state`: its state lines, in the format that writes them."""

    def observed(self, i: int, observation: str) -> str:
        """What the environment's answer adds after the model's turn (nothing, for the formats
        that answer in one step)."""
        return ""

    def block(
        self, i: int, thought: str, action: Action, observation: str, state: dict[str, str] | None = None
    ) -> str:
        """Step i as it is added to the transcript."""
        return self.turn(i, thought, action, state) + self.observed(i, observation)

    @abstractmethod
    def read(self, text: str) -> list[ReadStep]:
        """The steps of a transcript that this format wrote (`block` after `block`)."""

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        """Ask for an answer once the step limit is reached (`Action i: Finish[`); None when the
        format has no answer to ask for."""
        return None

    def grammar(self, i: int, space: ActionSpace, reask: bool = False) -> Grammar | None:
        """What the model may write after `request(..., i, ...)` (or its re-ask) when it may only
        use the actions of `space`; None where the format writes free text (answers)."""
        return None

    def held(self, request: ModelRequest, i: int, space: ActionSpace, reask: bool = False) -> ModelRequest:
        """`request` (for step i, or its re-ask) held to the actions of `space` (`--grammar`): by
        the grammar of a step over them."""
        grammar = self.grammar(i, space, reask)
        return request if grammar is None else held_by(request, grammar)


def held_by(request: ModelRequest, grammar: Grammar) -> ModelRequest:
    """`request` whose answer must match `grammar`."""
    return replace(request, grammar=grammar.gbnf(), within_grammar=grammar.allows_start)


def _ask_finish(transcript: str, i: int) -> ModelRequest:
    """`Action i: Finish[`: the model writes the answer and closes the bracket."""
    return ModelRequest(f"{transcript}Action {i}: Finish[", stop=["]", "\n"], max_tokens=ANSWER_MAX_TOKENS)


def _any_action(space: ActionSpace) -> bool:
    return bool(space.names or space.commands or space.think)


class NumberedSteps(StepFormat):
    name = "numbered"
    reask = Reask(head="Thought {i}: ", label="\nAction {i}:")
    _READ = re.compile(r"Thought (\d+): (.*)\nAction \1: (.*)\nObservation \1: (.*)\n")

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Thought {i}:", stop=[f"\nObservation {i}:"], max_tokens=max_tokens)

    def parse(self, text: str, i: int) -> ParsedOutput:
        if not self.rules.one_action_label:
            return parse_output(text)
        # The paper's: exactly one `\nAction i: ` splits the answer into the thought (line breaks and
        # all) and the action; otherwise the thought's first line is asked for its action.
        parts = text.strip().split(f"\nAction {i}: ")
        if len(parts) == 2:
            return ParsedOutput(thought=parts[0], action=parse_paper_action(parts[1]))
        return ParsedOutput(thought=text.strip().split("\n")[0], action=None)

    def observation(self, text: str) -> str:
        # The paper's loop drops only the two characters backslash and n, never a line break.
        return text.replace("\\n", "") if self.rules.observations_as_given else super().observation(text)

    def whole(self, text: str) -> bool:
        return action_is_complete(text)

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        return f"Thought {i}: {thought}\nAction {i}: {action.text}\n"

    def observed(self, i: int, observation: str) -> str:
        return f"Observation {i}: {observation}\n"

    def read(self, text: str) -> list[ReadStep]:
        return [ReadStep(t, a, o) for _, t, a, o in self._READ.findall(text)]

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return _ask_finish(transcript, i)

    def grammar(self, i: int, space: ActionSpace, reask: bool = False) -> Grammar | None:
        if not _any_action(space):
            return None
        if reask:
            return Grammar(Seq((Lit(" "), action(space))))
        # A thought that held `Action 2:` or `Observation:` would read as that label (the parser
        # finds labels in mid-line too): a thought has no colon. Its first letter is free: a thought
        # may begin with `Alfred`, `According` or `Obama`.
        thought = Text(excluded=":")
        return Grammar(Seq((Lit(" "), thought, Lit(f"\nAction {i}: "), action(space))))


class CommandLines(StepFormat):
    """ALFWorld's `> command` lines. The request ends in `>` and the model's command follows it, so
    each step adds ` command\\nobservation\\n>` to the prompt, as in the paper's code."""

    name = "commands"
    _READ = re.compile(r"> (.*)\n(.*)\n")

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}>", stop=["\n"], max_tokens=max_tokens)

    def parse(self, text: str, i: int) -> ParsedOutput:
        if self.rules.commands_as_written:  # the stripped completion is the command, an empty one too
            command = text.strip()
            thought = command[len(THINK) :].strip() if command.startswith(THINK) else ""
            return ParsedOutput(thought=thought, action=Action(text=command))
        lines = text.strip().splitlines()
        line = lines[0].strip().lstrip(">").strip() if lines else ""
        action = parse_action(line) if line else None
        if action is not None and line.lower().startswith(THINK):
            return ParsedOutput(thought=line[len(THINK) :].strip(), action=Action(text=line))
        return ParsedOutput(thought="", action=action)

    def whole(self, text: str) -> bool:
        return "\n" in text.lstrip("\n")

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        return f"> {action.text}\n"

    def observed(self, i: int, observation: str) -> str:
        return f"{observation}\n"

    def read(self, text: str) -> list[ReadStep]:
        return [
            ReadStep(a[len(THINK) :].strip() if a.startswith(THINK) else "", a, o)
            for a, o in self._READ.findall(text)
        ]

    def grammar(self, i: int, space: ActionSpace, reask: bool = False) -> Grammar | None:
        return Grammar(Seq((Lit(" "), action(space), Lit("\n")))) if _any_action(space) else None


STATE_LINES = ("goal", "location", "inventory")  # what `state` steps say before their action


class StateLines(StepFormat):
    """ReAct with state lines (after StateAct, Rozanov and Rei, 2024): before each action the model
    writes where it stands, one line each (`Goal:`, `Location:`, `Inventory:`), then an optional
    `Thought:` line, then `Action:` and one command; the environment's answer follows on an
    `Observation:` line. The request ends in `Goal:`; decoding stops at the observation's label, or
    once the action's line is whole. A step records its state lines (`Step.state`, by lower-cased
    label) apart from its thought; a step with no action line is invalid (no re-ask)."""

    name = "state"
    steps = "state lines"
    label = "state lines (format state)"
    task_option = "state"  # a task's own prompts in state lines (ALFWorld's)
    in_paper = False
    _LABELS = {"goal": "Goal", "location": "Location", "inventory": "Inventory"}
    _LINE = re.compile(r"^(Goal|Location|Inventory|Thought|Action):[ \t]*(.*?)\s*$")
    _READ = re.compile(
        r"Goal: (.*)\nLocation: (.*)\nInventory: (.*)\n(?:Thought: (.*)\n)?Action: (.*)\nObservation: (.*)\n"
    )

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Goal:", stop=["\nObservation:"], max_tokens=max_tokens)

    def parse(self, text: str, i: int) -> ParsedOutput:
        found: dict[str, str] = {}
        for n, line in enumerate(text.splitlines()):  # an Observation line is none of them: passed over
            match = self._LINE.match(line if n else f"Goal:{line}")  # the request wrote `Goal:`
            if match and match[1].lower() not in found:
                found[match[1].lower()] = match[2]
            if "action" in found:
                break
        state = {key: found[key] for key in STATE_LINES if key in found}
        action = parse_action(found["action"]) if found.get("action") else None
        return ParsedOutput(thought=found.get("thought", ""), action=action, state=state or None)

    def whole(self, text: str) -> bool:
        return re.search(r"(^|\n)Action:[^\n]*\S[^\n]*\n", text) is not None

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        state = state or {}
        lines = [f"{label}: {state.get(key, '')}".rstrip() for key, label in self._LABELS.items()]
        lines += [f"Thought: {thought}"] if thought else []
        return "\n".join([*lines, f"Action: {action.text}"]) + "\n"

    def observed(self, i: int, observation: str) -> str:
        return f"Observation: {observation}\n"

    def read(self, text: str) -> list[ReadStep]:
        return [
            ReadStep(
                thought, action, observation, dict(zip(STATE_LINES, (goal, location, inventory), strict=True))
            )
            for goal, location, inventory, thought, action, observation in self._READ.findall(text)
        ]

    def grammar(self, i: int, space: ActionSpace, reask: bool = False) -> Grammar | None:
        commands = replace(space, think=False)  # the thought has its own line
        if not _any_action(commands):
            return None
        state = [Lit(" "), Text(), Lit("\nLocation: "), Text(), Lit("\nInventory: "), Text()]
        thought = Alt((Seq((Lit("\nThought: "), Text())), Lit("")))
        return Grammar(Seq((*state, thought, Lit("\nAction: "), action(commands), Lit("\n"))))


class ActionsOnly(StepFormat):
    """The paper's Act baseline: `Action i:` / `Observation i:` with no thoughts."""

    name = "actions"
    _READ = re.compile(r"Action (\d+): (.*)\nObservation \1: (.*)\n")

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Action {i}:", stop=[f"\nObservation {i}:"], max_tokens=max_tokens)

    def parse(self, text: str, i: int) -> ParsedOutput:
        return ParsedOutput(thought="", action=read_action(text, self.rules))

    def observation(self, text: str) -> str:
        return text.replace("\\n", "") if self.rules.observations_as_given else super().observation(text)

    def whole(self, text: str) -> bool:
        return "\n" in text.lstrip() or text.rstrip().endswith("]")

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        return f"Action {i}: {action.text}\n"

    def observed(self, i: int, observation: str) -> str:
        return f"Observation {i}: {observation}\n"

    def read(self, text: str) -> list[ReadStep]:
        return [ReadStep("", a, o) for _, a, o in self._READ.findall(text)]

    def final_answer(self, transcript: str, i: int) -> ModelRequest | None:
        return _ask_finish(transcript, i)

    def grammar(self, i: int, space: ActionSpace, reask: bool = False) -> Grammar | None:
        return Grammar(Seq((Lit(" "), action(space)))) if _any_action(space) else None


class DirectAnswer(StepFormat):
    """The paper's Standard prompting: `Answer: ...` right after the question, in one step."""

    name = "answer"
    _READ = re.compile(r"Answer: (.*)\n")

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Answer:", stop=["\n"], max_tokens=max_tokens)

    def parse(self, text: str, i: int) -> ParsedOutput:
        return ParsedOutput(thought="", action=_answer(text))

    def whole(self, text: str) -> bool:
        return "\n" in text.lstrip()

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        return f"Answer: {action.argument}\n"

    def read(self, text: str) -> list[ReadStep]:
        return [ReadStep("", f"Finish[{answer}]", "") for answer in self._READ.findall(text)]


class ReasonedAnswer(StepFormat):
    """The paper's chain-of-thought prompting: `Thought: ...` then `Answer: ...`, in one step. A
    thought with no answer line is asked once more (`...Thought: <thought>\\nAnswer:`), and the
    answer given then is the step's `Finish[answer]`."""

    name = "reasoned_answer"
    reask = Reask(head="Thought: ", label="\nAnswer:", read_answer=True)
    _READ = re.compile(r"Thought: (.*)\nAnswer: (.*)\n")

    def request(self, transcript: str, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(f"{transcript}Thought:", stop=["\nQuestion:"], max_tokens=max_tokens)

    def parse(self, text: str, i: int) -> ParsedOutput:
        thought, found, rest = text.partition("Answer:")
        thought = " ".join(thought.split())
        return ParsedOutput(thought=thought, action=_answer(rest) if found else None)

    def whole(self, text: str) -> bool:
        _, found, rest = text.partition("Answer:")
        return bool(found) and "\n" in rest.lstrip()

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        return f"Thought: {thought}\nAnswer: {action.argument}\n"

    def read(self, text: str) -> list[ReadStep]:
        return [ReadStep(t, f"Finish[{answer}]", "") for t, answer in self._READ.findall(text)]


FINISHED = "Episode finished."  # what a few-shot example's last call is answered
NOT_RUN = "Not run: one tool call is carried out per step; call it again to run it."


class ToolCalls(StepFormat):
    """Native tool calling (`--format tools`): the transcript is a chat's message list, each step
    an assistant message (its content the thought, its first tool call the action) and the tool
    message that answers the call. The prompt's instruction is the system message (`Prompt.shown`
    has put there the prompt's wording for calls), its few-shot examples (written in
    `examples_format`) are earlier turns of the same chat, and the task is the user's message.
    One call is carried out per step: a reply of several answers the others with `NOT_RUN` (every
    call the API sees must have its answer). A reply with no call is a step with no action: there
    is no re-ask, and the episode ends with `invalid_output`."""

    name = "tools"
    steps = "native tool calls (the tools format)"
    label = "native tool calls (format tools)"
    only_methods = ("react", "act")  # whose steps are actions, which a chat model can make as tool calls
    transcript_is_text = False
    in_paper = False
    _EXAMPLES = ("numbered", "actions", "commands")  # the formats whose steps are actions

    def __init__(self, specs: list[FunctionSpec], examples_format: str = "numbered"):
        if not self.plays_prompt(examples_format):
            raise ValueError(f"tool calls are actions: the {examples_format!r} format has none")
        self.specs = specs
        self.examples_format = FORMATS[examples_format]
        self._tools = tuple(spec.openai() for spec in specs)

    def refusal(self, rules: Rules, *, final_answer: bool = False) -> str | None:
        if final_answer:
            return "the tools format asks for no answer at the step limit (a chat has no `Finish[` to go on)"
        return super().refusal(rules)

    def plays_prompt(self, prompt_format: str) -> bool:
        return prompt_format in self._EXAMPLES

    def playing(self, prompt_format: str, tool_specs: Any) -> StepFormat:
        return ToolCalls(tool_specs(), prompt_format)

    def shown(self, prompt: Any) -> Any:
        """The instruction for calls (`tools_instruction`), where the prompt has one."""
        return replace(prompt, instruction=prompt.tools_instruction) if prompt.tools_instruction else prompt

    def begin(self, prompt: Any, first_observation: str) -> tuple[dict[str, Any], ...]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": prompt.instruction.strip()}]
        for k, example in enumerate(prompt.example_list(), start=1):
            messages += self._example(example, k)
        task = f"{prompt.task_header}{first_observation}".strip()
        return (*messages, {"role": "user", "content": task})

    def _example(self, example: str, k: int) -> list[dict[str, Any]]:
        """A few-shot example as the chat it would have been: its task, then its steps, the last
        of which (`Finish[...]`, with no observation in the examples) is answered `FINISHED`."""
        written = self.examples_format
        steps = [(s.thought, s.action, s.observation) for s in written.read(example)]
        blocks = [written.block(i, t, Action(text=a), o) for i, (t, a, o) in enumerate(steps, start=1)]
        start = example.find(blocks[0]) if blocks else -1
        if start < 0:  # not written in its format: shown whole, as the task of a chat with no steps
            return [{"role": "user", "content": example.strip()}]
        end = start
        for block in blocks:
            end = example.find(block, end) + len(block)
        label = written.request("", len(steps) + 1, 1).prompt  # "Thought 3:", how the last step begins
        if example.startswith(label, end):
            last = written.parse(example[end + len(label) :], len(steps) + 1)
            if last.action is not None:
                steps.append((last.thought, last.action.text, FINISHED))
        messages: list[dict[str, Any]] = [{"role": "user", "content": example[:start].strip()}]
        thoughts: list[str] = []
        for i, (thought, written_action, observation) in enumerate(steps, start=1):
            thinking = written_action.lower().startswith(THINK)
            call = None if thinking else call_for_action(self.specs, written_action, f"example{k}_{i}")
            if call is None:  # a thought written as an action (ALFWorld's think:): the next call's content
                thoughts.append(thought or written_action)
                continue
            messages += self._turn(" ".join([*thoughts, thought]).strip(), [call], observation)
            thoughts = []
        return messages

    def _turn(self, thought: str, calls: list[ToolCall], observation: str) -> list[dict[str, Any]]:
        assistant = {
            "role": "assistant",
            "content": thought or None,
            "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in calls
            ],
        }
        answers = [observation] + [NOT_RUN] * (len(calls) - 1)
        return [assistant] + [
            {"role": "tool", "tool_call_id": c.id, "content": answer}
            for c, answer in zip(calls, answers, strict=True)
        ]

    def add_step(self, transcript: Any, step: Step, observation: str) -> tuple[dict[str, Any], ...]:
        assert step.tool_calls, "a step of the tools format is a tool call"
        # Ids of our own, unique in the chat (a local model's restart at call_1 each reply); the
        # step keeps the model's.
        calls = [
            call.model_copy(update={"id": f"call_{step.index}_{n}"})
            for n, call in enumerate(step.tool_calls, 1)
        ]
        return (*transcript, *self._turn(step.thought, calls, observation))

    def request(self, transcript: Any, i: int, max_tokens: int) -> ModelRequest:
        return ModelRequest(
            "", max_tokens=max_tokens, messages=transcript, tools=self._tools, tool_choice="auto"
        )

    def held(self, request: ModelRequest, i: int, space: ActionSpace, reask: bool = False) -> ModelRequest:
        """The tools with a game's command argument held to the commands it accepts now; the
        backend holds the call to the tools' schemas already (the local one by grammar)."""
        if not space.commands or not any(spec.command for spec in self.specs):
            return request
        return replace(request, held_tools=tuple(spec.openai(space.commands) for spec in self.specs))

    def parse(self, text: str, i: int) -> ParsedOutput:
        return ParsedOutput(thought=" ".join(text.split()), action=None)

    def read_completion(self, completion: Completion, i: int) -> ParsedOutput:
        if not completion.tool_calls:
            return self.parse(completion.text, i)
        action = action_for_call(self.specs, completion.tool_calls[0])
        return ParsedOutput(thought=completion.text.strip(), action=action, tool_calls=completion.tool_calls)

    def observation(self, text: str) -> str:
        return text  # a message of its own: no layout to keep on one line

    def whole(self, text: str) -> bool:
        return False  # a chat reply ends where the model ends it

    def turn(self, i: int, thought: str, action: Action, state: dict[str, str] | None = None) -> str:
        return f"{thought}\n{action.text}\n" if thought else f"{action.text}\n"

    def read(self, text: str) -> list[ReadStep]:
        return []  # its transcripts are messages, not text


FORMATS: dict[str, StepFormat] = {
    f.name: f
    for f in (NumberedSteps(), CommandLines(), StateLines(), ActionsOnly(), DirectAnswer(), ReasonedAnswer())
}
# Tool calls over no tools yet: what the format says of itself (`playing` gives it an environment's).
FORMATS[ToolCalls.name] = ToolCalls([])
TEXT = PromptsOwn()  # the settings' default: each prompt's own step format


def chosen_format(name: str | None) -> FormatChoice:
    """What the settings' (or a run's record's) `format` names; None, as a record of one played
    before the field, or `text`: each prompt's own format."""
    return TEXT if name in (None, TEXT.name) else FORMATS[name]


def same_format(a: str, b: str) -> bool:
    """Whether two prompts' formats, by name, are the same one. A run's record may name several
    (`numbered/actions`, joined by provenance), which are no one format: compared as names, not
    looked up."""
    return a == b

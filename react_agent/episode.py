"""One ReAct episode as a state machine with no I/O.

It decides what to ask the model next and when the episode stops; its step format (`formats.py`)
writes each request and each finished step, and reads each answer. It never calls a model or an
environment: a runner does that (`agent.py`), so the same logic serves sync, async and batch runs,
and tests of it need no model at all.

With the paper's HotpotQA layout (`formats.NumberedSteps`) the prompt grows like this:

    <instruction><few-shot examples>Question: ...
    Thought 1: ...            <- the model writes the thought and the action line,
    Action 1: Search[...]        and decoding stops at "\nObservation 1:"
    Observation 1: ...        <- the environment's answer
    Thought 2: ...

When the model writes a thought but no action, it is asked once more for just the action
(`...Thought i: <thought>\nAction i:`, stopping at the line's end), as the paper's code does.

When the prompt outgrows the model's context window (the model refuses the request), the oldest
observation still shown whole is cut to its start, and the model is asked again; only when every
observation is cut does the episode end with `context_full`. The refusal is recorded among the
model's outputs, so that a replay cuts the same observations at the same steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from react_agent.environment import Observation, Outcome
from react_agent.formats import NumberedSteps, StepFormat, finish_with
from react_agent.grammar import ActionSpace, Grammar, for_final_answer, for_step
from react_agent.models.base import Completion, ContextFull, ModelRequest
from react_agent.trajectory import Action, EpisodeResult, ModelOutput, Step, StopReason, Usage

SHORT_OBSERVATION = 100  # characters of an observation kept when the context is full


# Lone surrogates: a detokenizer cutting a character in two can hand them over, and no UTF-8 file
# (a results line) can hold them.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _shown(step: Step) -> str:
    """The observation as the prompt shows it: whole, or its start once the context was full."""
    if not step.shortened or len(step.observation) <= SHORT_OBSERVATION:
        return step.observation
    return step.observation[:SHORT_OBSERVATION] + " [...]"


def _held_to(request: ModelRequest, grammar: Grammar | None) -> ModelRequest:
    if grammar is None:
        return request
    return replace(request, grammar=grammar.gbnf(), within_grammar=grammar.allows_start)


def _clean(completion: Completion) -> Completion:
    text = _SURROGATES.sub("\ufffd", completion.text)
    return completion if text == completion.text else Completion(text=text, usage=completion.usage)


@dataclass
class _StepInProgress:
    thought: str
    model_outputs: list[str]
    usage: Usage
    model_seconds: float
    action: Action | None = None


class Episode:
    def __init__(
        self,
        task_id: str,
        prompt_prefix: str,
        question: str,
        *,
        max_steps: int = 7,
        max_tokens: int = 128,
        step_format: StepFormat | None = None,
        temperature: float | None = None,
        max_repeats: int = 0,
        action_space: Callable[[], ActionSpace | None] | None = None,
    ):
        self.task_id = task_id
        self.format = step_format or NumberedSteps()
        self.question = question
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.temperature = temperature  # None: the model's own; set for sampling (CoT-SC)
        # The loop guard: this many steps in a row of the same action and observation end the
        # episode (0: never, as in the paper).
        self.max_repeats = max_repeats
        # With an action space, each request carries the grammar of a well-formed step over it,
        # asked of the environment at each step (ALFWorld's admissible commands change).
        self.action_space = action_space
        self.steps: list[Step] = []
        self.stop_reason: StopReason | None = None
        self.error: str | None = None
        self._prefix = prompt_prefix
        self._prompt = prompt_prefix  # grows by one step, as the format writes it, per step
        self._current: _StepInProgress | None = None
        self._outputs: list[ModelOutput] = []  # every completion, in order, finished step or not
        self._final_usage = Usage()  # of the answer asked for at the step limit, which is no step

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    @property
    def step_number(self) -> int:
        return len(self.steps) + 1

    def next_request(self) -> ModelRequest | None:
        """What to ask the model next; None once the episode is over."""
        if self.done:
            return None
        reask = self._current is not None
        if not reask:
            request = self.format.request(self._prompt, self.step_number, self.max_tokens)
        else:
            request = self.format.reask(self._prompt, self.step_number, self._current.thought)
        if self.action_space is not None:
            grammar = for_step(self.format, self.step_number, self.action_space(), reask=reask)
            request = _held_to(request, grammar)
        return request if self.temperature is None else replace(request, temperature=self.temperature)

    def output_is_complete(self, text: str) -> bool:
        """For the runner: decoding may stop here, the action is whole."""
        return self.format.is_complete(text)

    def take_completion(self, completion: Completion, seconds: float) -> Action | None:
        """The model's answer to `next_request()`: the action to carry out, or None when the model
        must be asked again (see `next_request()`) or the episode has ended."""
        completion = _clean(completion)
        request = self.next_request()
        if request is None:
            raise RuntimeError("take_completion() after the episode ended")
        self._outputs.append(
            ModelOutput(text=completion.text, request_sha256=request.sha256(), step=self.step_number)
        )
        current = self._current
        if current is None:
            parsed = self.format.parse(completion.text)
            self._current = _StepInProgress(
                thought=parsed.thought,
                model_outputs=[completion.text],
                usage=completion.usage,
                model_seconds=seconds,
                action=parsed.action,
            )
            if parsed.action is None and not self.format.asks_for_missing_action:
                self._stop(StopReason.invalid_output, f"no action in the model's output: {completion.text!r}")
            return parsed.action
        current.model_outputs.append(completion.text)
        current.usage += completion.usage
        current.model_seconds += seconds
        current.action = self.format.parse_reask(completion.text)
        if current.action is None:
            self._stop(
                StopReason.invalid_output, f"no action in the model's output: {current.model_outputs!r}"
            )
        return current.action

    def take_observation(self, observation: Observation, seconds: float) -> Step:
        """The environment's answer to the action; returns the finished step."""
        current = self._current
        if current is None or current.action is None:
            raise RuntimeError("take_observation() needs an action from take_completion() first")
        i = self.step_number
        text = " ".join(observation.text.split())  # one line: the prompt's layout depends on it
        step = Step(
            index=i,
            thought=current.thought,
            action=current.action,
            observation=text,
            model_outputs=current.model_outputs,
            usage=current.usage,
            model_seconds=current.model_seconds,
            env_seconds=seconds,
        )
        self.steps.append(step)
        self._current = None
        self._prompt += self.format.block(i, step.thought, step.action, text)
        if observation.done:
            self._stop(StopReason.finished)
        elif self._repeating():
            self._stop(
                StopReason.repeated_action,
                f"{step.action.text} gave the same observation {self.max_repeats} times",
            )
        elif len(self.steps) >= self.max_steps:
            self._stop(StopReason.max_steps)
        return step

    def _repeating(self) -> bool:
        last = self.steps[-self.max_repeats :] if self.max_repeats else []
        return len(last) == self.max_repeats > 0 and len({(s.action.text, s.observation) for s in last}) == 1

    def final_request(self) -> ModelRequest | None:
        """Once the step limit has ended the episode, what asks the model for its answer all the
        same (`Action i: Finish[`); None when the episode ended otherwise, or its format has no
        answer to ask for."""
        if self.stop_reason is not StopReason.max_steps:
            return None
        request = self.format.final_answer(self._prompt, self.step_number)
        if request is None:
            return None
        if self.action_space is not None:
            request = _held_to(request, for_final_answer())
        return request if self.temperature is None else replace(request, temperature=self.temperature)

    def take_final_answer(self, completion: Completion) -> Action | None:
        """The model's answer to `final_request()`, as the Finish action to score; the episode
        keeps its `max_steps` ending."""
        completion = _clean(completion)
        request = self.final_request()
        if request is None:
            raise RuntimeError("take_final_answer() needs final_request() first")
        self._outputs.append(
            ModelOutput(text=completion.text, request_sha256=request.sha256(), step=self.step_number)
        )
        self._final_usage += completion.usage
        return finish_with(completion.text)

    def take_error(self, error: Exception, details: str | None = None) -> None:
        """A call failed: the episode ends, saying why (`details`: a traceback, for a bug); except
        when the context was full and an observation can still be cut (see the module's doc)."""
        if isinstance(error, ContextFull):
            self._take_context_full(error)
            return
        self._stop(StopReason.error, details or f"{type(error).__name__}: {error}")

    def _take_context_full(self, error: ContextFull) -> None:
        request = self.next_request()
        whole = [
            i for i, s in enumerate(self.steps) if not s.shortened and len(s.observation) > SHORT_OBSERVATION
        ]
        if request is None or not whole:
            self._stop(StopReason.context_full, f"{type(error).__name__}: {error}")
            return
        self._outputs.append(
            ModelOutput(
                text=str(error), request_sha256=request.sha256(), step=self.step_number, context_full=True
            )
        )
        self.steps[whole[0]] = self.steps[whole[0]].model_copy(update={"shortened": True})
        self._prompt = self._prefix + "".join(
            self.format.block(step.index, step.thought, step.action, _shown(step)) for step in self.steps
        )

    def result(self, outcome: Outcome, seconds: float) -> EpisodeResult:
        usage = Usage()
        for step in self.steps:
            usage += step.usage
        if self._current is not None:  # a step cut short still cost tokens
            usage += self._current.usage
        usage += self._final_usage
        return EpisodeResult(
            task_id=self.task_id,
            category=outcome.category,
            question=self.question,
            answer=outcome.answer,
            gold=outcome.gold,
            stop_reason=self.stop_reason or StopReason.error,
            error=self.error,
            steps=self.steps,
            metrics=outcome.metrics,
            usage=usage,
            seconds=seconds,
            model_outputs=self._outputs,
        )

    def _stop(self, reason: StopReason, error: str | None = None) -> None:
        self.stop_reason = reason
        self.error = error

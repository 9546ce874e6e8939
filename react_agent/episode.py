"""One ReAct episode as a state machine with no I/O.

It decides what to ask the model next and when the episode stops; its step format (`formats.py`)
writes each request and each finished step, and reads each answer. It never calls a model or an
environment: a runner does that (`agent.py`) and feeds it what came back, so the same logic serves
sync, async and batch runs, and its tests need nothing but itself (`tests/test_episode.py`).

With the paper's HotpotQA layout (`formats.NumberedSteps`) the prompt grows like this:

    <instruction><few-shot examples>Question: ...
    Thought 1: ...            <- the model writes the thought and the action line,
    Action 1: Search[...]        and decoding stops at "\\nObservation 1:"
    Observation 1: ...        <- the environment's answer
    Thought 2: ...

The states, and what each takes (anything else is a bug in the runner, and raises):

    state       pending request            takes                       then
    asking      the step's                 take_completion             acting, reasking, done
                                           take_model_error            asking (a cut prompt), done
    reasking    the missing action's       take_completion             acting, done
                                           take_model_error            reasking (a cut prompt), done
    acting      none: an action to carry   take_observation            asking, answering, done
                out                        take_environment_error      done
    answering   `Action i: Finish[`        take_completion             scoring, done
                                           take_model_error            done (still max_steps)
    scoring     none: the answer to score  take_observation            done (still max_steps)
                                           take_environment_error      done
    done        none

- When the model writes a thought but no action, it is asked once more for just the action
  (`...Thought i: <thought>\\nAction i:`, stopping at the line's end), as the paper's code does,
  where the format can (`StepFormat.reask`).
- When the prompt outgrows the model's context window (the model refuses the request), the oldest
  observation still shown whole is cut to its start, and the model is asked again; only when every
  observation is cut does the episode end with `context_full`. The refusal is recorded among the
  model's outputs, so that a replay cuts the same observations at the same steps.
- With `final_answer` set, an episode that reaches its step limit asks the model for `Finish[`
  once more and has the environment score that answer; it still ends with `max_steps`.
- With `grammar` set, each request is held to the action space that came with the last
  observation (`StepFormat.held`): the text formats' by the grammar of a well-formed step, the
  tools format's by its command tool's argument listing the commands the game accepts now.
- With `episode_tokens` or `episode_seconds` set, an episode whose model calls have sent and
  generated that many tokens, or whose calls and actions have taken that long (the seconds the
  runner reports), ends with `limit` before its next request, its error saying what it reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from react_agent.environment import Observation, Outcome
from react_agent.formats import FORMATS, StepFormat, finish_with, held_by
from react_agent.grammar import ActionSpace, for_final_answer
from react_agent.models.base import Completion, ContextFull, ModelError, ModelRequest
from react_agent.settings import DEFAULT_MAX_STEPS, AgentSettings
from react_agent.trajectory import Action, EpisodeResult, ModelOutput, Step, StopReason, ToolCall, Usage

SHORT_OBSERVATION = 100  # characters of an observation kept when the context is full


# Lone surrogates: a detokenizer cutting a character in two can hand them over, and no UTF-8 file
# (a results line) can hold them.
_SURROGATES = re.compile("[\ud800-\udfff]")


class State(Enum):
    asking = "asking"
    reasking = "reasking"
    acting = "acting"
    answering = "answering"
    scoring = "scoring"
    done = "done"


class IllegalMove(RuntimeError):
    """A runner fed the episode something its state does not take (see the module's table)."""


def as_sent(request: ModelRequest, settings: AgentSettings, epoch: int) -> ModelRequest:
    """A request as an episode with these settings sends it in its `epoch`-th trial: at the
    settings' temperature (sampled: with their nucleus too), seeded apart in a repeated trial."""
    if settings.temperature is not None:
        request = replace(request, temperature=settings.temperature)
        if settings.temperature > 0:  # sampled: its truncation too
            request = replace(request, top_p=settings.nucleus)
    if epoch:  # a repeated trial draws apart from the others; the first keeps its fingerprints
        request = replace(request, seed=epoch)
    return request


def _shown(step: Step) -> str:
    """The observation as the prompt shows it: whole, or its start once the context was full."""
    if not step.shortened or len(step.observation) <= SHORT_OBSERVATION:
        return step.observation
    return step.observation[:SHORT_OBSERVATION] + " [...]"


def _clean(completion: Completion) -> Completion:
    text = _SURROGATES.sub("\ufffd", completion.text)
    return completion if text == completion.text else replace(completion, text=text)


@dataclass
class _StepInProgress:
    thought: str
    model_outputs: list[str]
    usage: Usage
    model_seconds: float
    action: Action | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    state: dict[str, str] | None = None


class Episode:
    """`prompt_prefix` is everything before the first step (instruction, examples, task), as its
    format writes a transcript (`StepFormat.begin`: text, or a chat's messages);
    `question` the task as the environment put it; `action_space` what it accepted at the start
    (only read with `settings.grammar`); `epoch` which trial of the task it is (`--epochs`): the
    requests of every trial but the first carry it as their `seed`."""

    def __init__(
        self,
        task_id: str,
        prompt_prefix: Any,
        question: str,
        *,
        step_format: StepFormat,
        settings: AgentSettings | None = None,
        action_space: ActionSpace | None = None,
        epoch: int = 0,
    ):
        self.task_id = task_id
        self.epoch = epoch
        self.question = question
        self.settings = settings or AgentSettings()
        self.format = step_format.under(self.settings.rules)
        self.max_steps = self.settings.max_steps or DEFAULT_MAX_STEPS
        self.steps: list[Step] = []
        self.stop_reason: StopReason | None = None
        self.error: str | None = None
        self.state = State.asking
        self._space = action_space
        self._prefix = prompt_prefix
        self._transcript = prompt_prefix  # grows by one step, as the format writes it, per step
        self._current: _StepInProgress | None = None
        self._outputs: list[ModelOutput] = []  # every completion, in order, finished step or not
        self._final_usage = Usage()  # of the answer asked for at the step limit, which is no step
        self._request: ModelRequest | None = None
        self._ask()

    @classmethod
    def failed_to_start(cls, task_id: str, error: str) -> Episode:
        """An episode whose task could not be started (`error` says why): over before a step."""
        episode = cls(task_id, "", "", step_format=FORMATS["numbered"])
        episode._stop(StopReason.error, error)
        return episode

    # ---------------------------------------------------------------- what the runner asks

    @property
    def done(self) -> bool:
        return self.state is State.done

    @property
    def step_number(self) -> int:
        return len(self.steps) + 1

    def next_request(self) -> ModelRequest | None:
        """What to ask the model next; None once the episode is over."""
        self._expect(State.asking, State.reasking, State.answering, State.done, doing="next_request")
        return self._request

    def output_is_complete(self, text: str) -> bool:
        """For the runner: decoding may stop here, the action is whole."""
        return self.format.is_complete(text)

    # ---------------------------------------------------------------- what the runner feeds it

    def take_completion(self, completion: Completion, seconds: float) -> Action | None:
        """The model's answer to `next_request()`: the action to carry out (then
        `take_observation`), or None when the model must be asked again or the episode is over."""
        self._expect(State.asking, State.reasking, State.answering, doing="take_completion")
        completion = _clean(completion)
        assert self._request is not None
        self._outputs.append(
            ModelOutput(
                text=completion.text,
                request_sha256=self._request.sha256(),
                step=self.step_number,
                tool_calls=list(completion.tool_calls) or None,
            )
        )
        if self.state is State.answering:
            self._final_usage += completion.usage
            answer = finish_with(completion.text)
            self._go(State.scoring if answer is not None else State.done)
            return answer
        if self.state is State.asking:
            parsed = self.format.read_completion(completion, self.step_number)
            self._current = _StepInProgress(
                thought=parsed.thought,
                model_outputs=[completion.text],
                usage=completion.usage,
                model_seconds=seconds,
                action=parsed.action,
                tool_calls=parsed.tool_calls,
                state=parsed.state,
            )
            if parsed.action is not None:
                self._go(State.acting)
            elif self.format.reask is not None:
                self._go(State.reasking)
            else:
                self._stop(StopReason.invalid_output, f"no action in the model's output: {completion.text!r}")
            return parsed.action
        current = self._current
        assert current is not None and self.format.reask is not None
        current.model_outputs.append(completion.text)
        current.usage += completion.usage
        current.model_seconds += seconds
        current.action = self.format.reask.parse(completion.text)
        if current.action is None:
            self._stop(
                StopReason.invalid_output, f"no action in the model's output: {current.model_outputs!r}"
            )
        else:
            self._go(State.acting)
        return current.action

    def take_model_error(self, error: ModelError) -> None:
        """The model call for `next_request()` failed: the episode ends, saying why; except when
        the context was full and an observation can still be cut (see the module's doc). At the
        step limit's answer, the episode keeps its `max_steps` ending."""
        self._expect(State.asking, State.reasking, State.answering, doing="take_model_error")
        reason = f"{type(error).__name__}: {error}"
        if self.state is State.answering:
            self.error = f"no answer at the step limit: {reason}"
            self._go(State.done)
        elif isinstance(error, ContextFull) and self._can_shorten():
            self._shorten(error)
        else:
            full = isinstance(error, ContextFull)
            self._stop(StopReason.context_full if full else StopReason.error, reason)

    def take_observation(
        self, observation: Observation, seconds: float, action_space: ActionSpace | None = None
    ) -> Step | None:
        """The environment's answer to the action, and what it accepts now: the finished step
        (None for the answer asked for at the step limit, which the environment only scores)."""
        self._expect(State.acting, State.scoring, doing="take_observation")
        if self.state is State.scoring:
            self._go(State.done)
            return None
        current = self._current
        assert current is not None and current.action is not None
        self._space = action_space
        i = self.step_number
        text = self.format.observation(observation.text)
        step = Step(
            index=i,
            thought=current.thought,
            action=current.action,
            observation=text,
            model_outputs=current.model_outputs,
            usage=current.usage,
            model_seconds=current.model_seconds,
            env_seconds=seconds,
            tool_calls=list(current.tool_calls) or None,
            state=current.state,
        )
        self.steps.append(step)
        self._current = None
        self._transcript = self.format.add_step(self._transcript, step, text)
        if observation.done:
            self._stop(StopReason.finished)
        elif self._repeating():
            self._stop(
                StopReason.repeated_action,
                f"{step.action.text} gave the same observation {self.settings.loop_guard} times",
            )
        elif len(self.steps) >= self.max_steps:
            self._stop(StopReason.max_steps)
            if self.settings.final_answer and self.format.final_answer(self._transcript, i + 1) is not None:
                self._go(State.answering)
        elif reached := self._limit_reached():
            self._stop(StopReason.limit, reached)
        else:
            self._go(State.asking)
        return step

    def take_environment_error(self, details: str) -> None:
        """The environment failed carrying out the action (a bug: `details` is its traceback)."""
        self._expect(State.acting, State.scoring, doing="take_environment_error")
        self._stop(StopReason.error, details)

    def result(self, outcome: Outcome, seconds: float) -> EpisodeResult:
        """The episode's record, with the environment's judgement of it."""
        self._expect(State.done, doing="result")
        usage = Usage()
        for step in self.steps:
            usage += step.usage
        if self._current is not None:  # a step cut short still cost tokens
            usage += self._current.usage
        usage += self._final_usage
        return EpisodeResult(
            task_id=self.task_id,
            epoch=self.epoch,
            category=outcome.category,
            question=self.question,
            answer=outcome.answer,
            output=outcome.output,
            gold=outcome.gold,
            stop_reason=self.stop_reason or StopReason.error,
            error=self.error,
            steps=self.steps,
            metrics=outcome.metrics,
            usage=usage,
            seconds=seconds,
            model_outputs=self._outputs,
        )

    # ---------------------------------------------------------------- the rules

    def _expect(self, *states: State, doing: str) -> None:
        if self.state not in states:
            raise IllegalMove(f"{doing}() while {self.state.value}")

    def _go(self, state: State) -> None:
        self.state = state
        self._ask()

    def _stop(self, reason: StopReason, error: str | None = None) -> None:
        self.stop_reason = reason
        self.error = error
        self._go(State.done)

    def _ask(self) -> None:
        """Compute the pending request of the state, once."""
        i = self.step_number
        space = self._space if self.settings.grammar else None  # None: nothing holds the answer
        if self.state is State.asking:
            request = self.format.request(self._transcript, i, self.settings.budget)
            if space is not None:
                request = self.format.held(request, i, space, reask=False)
        elif self.state is State.reasking:
            assert self._current is not None and self.format.reask is not None
            request = self.format.reask.request(
                self._transcript, i, self._current.thought, self.settings.budget
            )
            if space is not None:
                request = self.format.held(request, i, space, reask=True)
        elif self.state is State.answering:
            final = self.format.final_answer(self._transcript, i)
            assert final is not None
            request = final
            if space is not None:
                request = held_by(request, for_final_answer())
        else:
            self._request = None
            return
        self._request = as_sent(request, self.settings, self.epoch)

    def _limit_reached(self) -> str | None:
        """What limit the episode has reached, in words; None while it is within them. Asked between
        steps, so the finished steps hold every call and action so far."""
        settings = self.settings
        tokens = sum((s.usage.prompt_tokens or 0) + (s.usage.completion_tokens or 0) for s in self.steps)
        seconds = sum(s.model_seconds + s.env_seconds for s in self.steps)
        if settings.episode_tokens is not None and tokens >= settings.episode_tokens:
            return f"episode_tokens: {tokens:,} tokens sent and generated, limit {settings.episode_tokens:,}"
        if settings.episode_seconds is not None and seconds >= settings.episode_seconds:
            return f"episode_seconds: {seconds:.1f} s, limit {settings.episode_seconds:g}"
        return None

    def _repeating(self) -> bool:
        n = self.settings.loop_guard
        last = self.steps[-n:] if n else []
        return len(last) == n > 0 and len({(s.action.text, s.observation) for s in last}) == 1

    def _can_shorten(self) -> bool:
        return any(not s.shortened and len(s.observation) > SHORT_OBSERVATION for s in self.steps)

    def _shorten(self, error: ContextFull) -> None:
        assert self._request is not None
        self._outputs.append(
            ModelOutput(
                text=str(error),
                request_sha256=self._request.sha256(),
                step=self.step_number,
                context_full=True,
            )
        )
        whole = next(
            i for i, s in enumerate(self.steps) if not s.shortened and len(s.observation) > SHORT_OBSERVATION
        )
        self.steps[whole] = self.steps[whole].model_copy(update={"shortened": True})
        self._transcript = self._prefix
        for step in self.steps:
            self._transcript = self.format.add_step(self._transcript, step, _shown(step))
        self._ask()

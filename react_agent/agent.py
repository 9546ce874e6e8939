"""Runners: drive an `Episode` with a model and an environment, synchronously or asynchronously.

The order of calls is written once, in `Agent._script`, a generator that yields the I/O it needs
(`_ModelCall`, `_EnvCall`) and the events a caller sees (`Step`, then `EpisodeResult`). The sync and
async drivers below only perform that I/O, so a fix to the loop is made in one place.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from react_agent.environment import Environment, Observation, Outcome, ToolError, task_id_of
from react_agent.episode import Episode
from react_agent.formats import FORMATS
from react_agent.models.base import Model, ModelError, ModelRequest, StopWhen, model_for_task
from react_agent.prompts import Prompt
from react_agent.tracing import EpisodeTrace
from react_agent.trajectory import EpisodeResult, EpisodeStart, Step


@dataclass
class _ModelCall:
    model: Model
    request: ModelRequest
    stop_when: StopWhen | None


@dataclass
class _EnvCall:
    method: Callable[[Any], Any]
    argument: Any
    async_method: Callable[[Any], Awaitable[Any]] | None = None  # what async runners await instead


# What a caller of stream() sees: the start, each step as it ends, and the result.
Event = EpisodeStart | Step | EpisodeResult

_Script = Generator["_ModelCall | _EnvCall | Event", Any, None]


class Agent:
    """A ReAct agent: a model, an environment, and the rules of the loop.

    The environment is `env`, or one made of `tools` (functions or `Tool`s; see
    `react_agent.toolbox`), with `instructions` and few-shot `examples` of their own if given.
    `final_answer_on_limit` asks the model for `Finish[` once more when the step limit ends an
    episode, and scores that answer (the episode still ends with `max_steps`). `grammar=True`
    lets the model write only well-formed steps over the environment's `action_space()`.
    `run(task)` plays one episode; `stream(task)` yields an `EpisodeStart`, each `Step` as it
    ends, and then the `EpisodeResult`; `arun` / `astream` do the same with the model's async
    client. One Agent plays one episode at a time, since the environment holds its state.
    """

    def __init__(
        self,
        model: Model,
        env: Environment | None = None,
        *,
        tools: Iterable[Any] | None = None,
        instructions: str | None = None,
        examples: str | Sequence[str] | None = None,
        prompt: Prompt | None = None,
        max_steps: int = 7,
        max_tokens: int = 128,
        temperature: float | None = None,
        final_answer_on_limit: bool = False,
        max_repeats: int = 0,
        grammar: bool = False,
        tracer: Any = None,
    ):
        if (env is None) == (tools is None):
            raise TypeError("an Agent takes an environment (env=...) or tools (tools=[...]), one of them")
        if env is None:
            from react_agent.toolbox import ToolEnvironment

            env = ToolEnvironment(tools or [], instructions=instructions, examples=examples)
        self.temperature = temperature  # None: the model's own; set for sampling (CoT-SC)
        self.model = model
        self.env = env
        self.prompt = prompt
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        # Off by default, as in the paper: an episode that reaches the step limit has no answer.
        self.final_answer_on_limit = final_answer_on_limit
        self.max_repeats = max_repeats  # the loop guard (see Episode); 0, off, as in the paper
        # Hold each step to a grammar of the environment's action space (react_agent.grammar).
        self.grammar = grammar
        if grammar and getattr(env, "action_space", None) is None:
            raise TypeError(
                f"grammar=True needs an environment with an action space; {type(env).__name__} has none"
            )
        self.tracer = tracer  # an OpenTelemetry tracer: a span per episode, step and call (tracing.py)

    def run(self, task: Any) -> EpisodeResult:
        *_, result = self.stream(task)
        return result

    def stream(self, task: Any) -> Iterator[Event]:
        script = _ScriptReplies(self._script(task))
        while (item := script.next()) is not None:
            if isinstance(item, _ModelCall):
                script.reply_with(item.model.complete, item.request, item.stop_when)
            elif isinstance(item, _EnvCall):
                script.reply_with(item.method, item.argument)
            else:
                yield item

    async def arun(self, task: Any) -> EpisodeResult:
        result = None
        async for result in self.astream(task):  # noqa: B007 - the last item is the result
            pass
        assert isinstance(result, EpisodeResult)
        return result

    async def astream(self, task: Any) -> AsyncIterator[Event]:
        script = _ScriptReplies(self._script(task))
        while (item := script.next()) is not None:
            if isinstance(item, _ModelCall):
                await script.areply_with(item.model.acomplete, item.request, item.stop_when)
            elif isinstance(item, _EnvCall) and item.async_method is not None:
                await script.areply_with(item.async_method, item.argument)
            elif isinstance(item, _EnvCall):
                # A synchronous environment (SQLite, a game engine) is kept off the event loop.
                await script.areply_with(asyncio.to_thread, item.method, item.argument)
            else:
                yield item

    def _script(self, task: Any) -> _Script:
        started = time.perf_counter()
        task_id = task_id_of(task)
        trace = EpisodeTrace(self.tracer, task_id)
        prompt = self.prompt or self.env.prompt(task)
        model = model_for_task(self.model, task_id)
        try:
            first_observation = yield _EnvCall(self.env.reset, task)
        except Exception as error:  # a task the environment cannot start is a bug: keep its traceback
            episode = Episode(task_id, "", "", max_steps=self.max_steps)
            episode.take_error(error, traceback.format_exc())
            yield trace.finish(episode.result(Outcome(), time.perf_counter() - started))
            return
        episode = Episode(
            task_id,
            prompt.prefix(first_observation),
            first_observation,
            max_steps=self.max_steps,
            max_tokens=self.max_tokens,
            step_format=FORMATS[prompt.format],
            temperature=self.temperature,
            max_repeats=self.max_repeats,
            action_space=self.env.action_space if self.grammar else None,  # type: ignore[attr-defined]
        )
        yield EpisodeStart(task_id=task_id, question=first_observation)
        while (request := episode.next_request()) is not None:
            call_started = time.perf_counter()
            span = trace.model_call(episode.step_number, model, request)
            try:
                completion = yield _ModelCall(model, request, episode.output_is_complete)
            except ModelError as error:  # the episode ends, or cuts its prompt and asks again
                trace.end(span, error=error)
                episode.take_error(error)
                continue
            trace.end(span, completion)
            action = episode.take_completion(completion, time.perf_counter() - call_started)
            if action is None:
                continue
            call_started = time.perf_counter()
            span = trace.tool_call(action)
            try:
                observation = yield _EnvCall(self.env.step, action, getattr(self.env, "astep", None))
            except ToolError as error:  # an expected failure of the action: news for the model
                trace.end(span, error=error)
                observation = Observation(text=str(error))
            except Exception as error:  # a bug in the environment: the episode cannot go on
                trace.end(span, error=error)
                episode.take_error(error, traceback.format_exc())
                break
            else:
                trace.end(
                    span, **{"react.done": observation.done, "react.observation_chars": len(observation.text)}
                )
            yield episode.take_observation(observation, time.perf_counter() - call_started)
            trace.end_step()
        if self.final_answer_on_limit and (request := episode.final_request()) is not None:
            span = trace.model_call(episode.step_number, model, request)
            try:
                completion = yield _ModelCall(model, request, None)
            except ModelError as error:  # the episode keeps its ending; the error says why no answer
                trace.end(span, error=error)
                episode.error = f"no answer at the step limit: {type(error).__name__}: {error}"
            else:
                trace.end(span, completion)
                if (answer := episode.take_final_answer(completion)) is not None:
                    try:  # the environment scores it as any answer
                        yield _EnvCall(self.env.step, answer, getattr(self.env, "astep", None))
                    except ToolError:
                        pass
                    except Exception as error:
                        episode.take_error(error, traceback.format_exc())
        yield trace.finish(episode.result(self.env.outcome(), time.perf_counter() - started))


class _ScriptReplies:
    """Feeds `Agent._script` the outcome of each call it yields: the value, or the exception,
    thrown into the script where the call was made so that it decides what a failure means."""

    def __init__(self, script: _Script):
        self._script = script
        self._reply: Any = None
        self._failure: Exception | None = None

    def next(self) -> _ModelCall | _EnvCall | Event | None:
        reply, failure = self._reply, self._failure
        self._reply = self._failure = None
        try:
            return self._script.throw(failure) if failure else self._script.send(reply)
        except StopIteration:
            return None

    def reply_with(self, call: Callable[..., Any], *args: Any) -> None:
        try:
            self._reply = call(*args)
        except Exception as error:
            self._failure = error

    async def areply_with(self, call: Callable[..., Awaitable[Any]], *args: Any) -> None:
        try:
            self._reply = await call(*args)
        except Exception as error:
            self._failure = error

"""Runners: drive an `Episode` with a model and an environment, synchronously or asynchronously.

The order of calls is written once, in `Agent._script`, a generator that yields the I/O it needs
(`_ModelCall`, `_EnvCall`) and the events a caller sees (`Step`, then `EpisodeResult`). The sync and
async drivers below only perform that I/O, so a fix to the loop is made in one place.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from react_agent.environment import Environment, Observation, Outcome, ToolError, task_id_of
from react_agent.episode import Episode
from react_agent.formats import chosen_format
from react_agent.models import from_spec
from react_agent.models.base import Model, ModelError, ModelRequest, ModelSource, StopWhen
from react_agent.models.cache import CachedModel
from react_agent.prompts import Prompt
from react_agent.rules import mismatch
from react_agent.settings import AgentSettings
from react_agent.tracing import EpisodeTrace
from react_agent.trajectory import EpisodeResult, EpisodeStart, Step


@dataclass
class _ModelCall:
    model: Model
    request: ModelRequest
    stop_when: StopWhen | None


@dataclass
class _EnvCall:
    call: Callable[[], Any]
    async_call: Callable[[], Awaitable[Any]] | None = None  # what async runners await; else a thread


# What a caller of stream() sees: the start, each step as it ends, and the result.
Event = EpisodeStart | Step | EpisodeResult

_Script = Generator["_ModelCall | _EnvCall | Event", Any, None]


class Agent:
    """A ReAct agent: a model, an environment, and the rules of the loop (`AgentSettings`).

    `model` is a `Model`, or what `--model` takes: a GGUF file's path, a known model's name
    (`"qwen2.5-coder-1.5b"`), `"openai:NAME"` (see `react_agent.models.from_spec`). With `cache`
    (a folder), its answers are kept by request and what was asked before is not sent again.
    With `output_type` (a pydantic model, with `tools`), the answer is typed: Finish's argument
    must validate as one, a failure is the observation and the episode goes on, and the result's
    `output` is the object.

    The environment is `env`, or one made of `tools` (functions or `Tool`s; see
    `react_agent.toolbox`), with `instructions` and few-shot `examples` of their own if given.
    `prompt` replaces the environment's prompt. How it plays is `settings`, with any of its fields
    given here by name changed (`Agent(model, env, max_steps=3, grammar=True)`).

    `run(task)` plays one episode; `stream(task)` yields an `EpisodeStart`, each `Step` as it
    ends, and then the `EpisodeResult`; `arun` / `astream` do the same with the model's async
    client. One Agent plays one episode at a time, since the environment holds its state.
    """

    def __init__(
        self,
        model: ModelSource | str,
        env: Environment | None = None,
        *,
        tools: Iterable[Any] | None = None,
        instructions: str | None = None,
        examples: str | Sequence[str] | None = None,
        prompt: Prompt | None = None,
        settings: AgentSettings | None = None,
        tracer: Any = None,
        cache: str | Path | None = None,
        output_type: type[Any] | None = None,
        **changes: Any,
    ):
        if (env is None) == (tools is None):
            raise TypeError("an Agent takes an environment (env=...) or tools (tools=[...]), one of them")
        if env is None:
            from react_agent.toolbox import ToolEnvironment

            env = ToolEnvironment(
                tools or [], instructions=instructions, examples=examples, output_type=output_type
            )
        elif output_type is not None:
            raise TypeError("output_type goes with tools=[...]: an environment checks its own answers")
        if isinstance(model, str):  # what --model takes: a GGUF path, a known name, openai:NAME
            model = from_spec(model)
        for thing, protocol, name in ((model, ModelSource, "Model"), (env, Environment, "Environment")):
            if not isinstance(thing, protocol):
                raise TypeError(f"{type(thing).__name__} is no {name}: subclass react_agent.{name}")
        if cache is not None:  # answers kept by request in this folder (react_agent.models.cache)
            if not isinstance(model, Model):
                raise TypeError(f"{model.name} answers no request itself: it takes no cache")
            model = CachedModel(model, cache)
        self.model = model
        self.env = env
        self.prompt = prompt
        settings = settings or AgentSettings()
        self.settings = settings.but(**changes) if changes else settings
        if refusal := mismatch(self.settings.rules, env.rules):
            raise ValueError(refusal)
        if self.settings.grammar and env.action_space() is None:
            raise TypeError(
                f"grammar=True needs an environment with an action space; {type(env).__name__} has none"
            )
        self.tracer = tracer  # an OpenTelemetry tracer: a span per episode, step and call (tracing.py)

    def run(self, task: Any, epoch: int = 0) -> EpisodeResult:
        """Play `task` (its `epoch`-th trial: see `Episode`)."""
        *_, result = self.stream(task, epoch)
        return result

    def stream(self, task: Any, epoch: int = 0) -> Iterator[Event]:
        script = _ScriptReplies(self._script(task, epoch))
        while (item := script.next()) is not None:
            if isinstance(item, _ModelCall):
                script.reply_with(item.model.complete, item.request, item.stop_when)
            elif isinstance(item, _EnvCall):
                script.reply_with(item.call)
            else:
                yield item

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        result = None
        async for result in self.astream(task, epoch):  # noqa: B007 - the last item is the result
            pass
        assert isinstance(result, EpisodeResult)
        return result

    async def astream(self, task: Any, epoch: int = 0) -> AsyncIterator[Event]:
        import asyncio

        script = _ScriptReplies(self._script(task, epoch))
        while (item := script.next()) is not None:
            if isinstance(item, _ModelCall):
                await script.areply_with(item.model.acomplete, item.request, item.stop_when)
            elif isinstance(item, _EnvCall) and item.async_call is not None:
                await script.areply_with(item.async_call)
            elif isinstance(item, _EnvCall):
                # A synchronous environment (SQLite, a game engine) is kept off the event loop.
                await script.areply_with(asyncio.to_thread, item.call)
            else:
                yield item

    def _space(self) -> Any:
        """What the environment accepts now, where a grammar needs it."""
        return self.env.action_space() if self.settings.grammar else None

    def _script(self, task: Any, epoch: int) -> _Script:
        started = time.perf_counter()
        task_id = task_id_of(task)
        env, settings = self.env, self.settings
        trace = EpisodeTrace(self.tracer, task_id)
        model = self.model.for_task(task_id, epoch)
        prompt = (self.prompt or env.prompt(task)).shown(settings)
        try:
            first_observation = yield _EnvCall(partial(env.reset, task))
            space = self._space()
        except Exception:  # a task the environment cannot start is a bug: keep its traceback
            episode, outcome = Episode.failed_to_start(task_id, traceback.format_exc()), Outcome()
        else:
            outcome = None
            step_format = chosen_format(settings.format).playing(prompt.format, env.tool_specs)
            episode = Episode(
                task_id,
                step_format.begin(prompt, first_observation),
                first_observation,
                step_format=step_format,
                settings=settings,
                action_space=space,
                epoch=epoch,
            )
            yield EpisodeStart(task_id=task_id, question=first_observation)
        while (request := episode.next_request()) is not None:
            call_started = time.perf_counter()
            span = trace.model_call(episode.step_number, model, request)
            try:
                completion = yield _ModelCall(model, request, episode.output_is_complete)
            except ModelError as error:  # the episode ends, or cuts its prompt and asks again
                trace.end(span, error=error)
                episode.take_model_error(error)
                continue
            trace.end(span, completion)
            action = episode.take_completion(completion, time.perf_counter() - call_started)
            if action is None:
                continue
            call_started = time.perf_counter()
            span = trace.tool_call(action)
            try:
                observation = yield _EnvCall(partial(env.step, action), partial(env.astep, action))
                space = self._space()
            except ToolError as error:  # an expected failure of the action: news for the model
                trace.end(span, error=error)
                observation, space = Observation(text=str(error)), self._space()
            except Exception as error:  # a bug in the environment: the episode cannot go on
                trace.end(span, error=error)
                episode.take_environment_error(traceback.format_exc())
                break
            else:
                trace.end(
                    span, **{"react.done": observation.done, "react.observation_chars": len(observation.text)}
                )
            step = episode.take_observation(observation, time.perf_counter() - call_started, space)
            if step is not None:
                yield step
                trace.end_step()
        outcome = outcome or env.outcome()
        yield _EnvCall(env.close)
        yield trace.finish(episode.result(outcome, time.perf_counter() - started))


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

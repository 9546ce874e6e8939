"""A model that replays given outputs: for tests, and for users' own fakes."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from react_agent.models.base import Completion, Model, ModelError, ModelRequest, StopWhen, cut_at_stop
from react_agent.trajectory import Usage


class ScriptedModel(Model):
    """Answers each call with the next of `outputs` (texts, or `Completion`s: a chat model's
    replies with tool calls), cut at the request's stop sequences and at
    `stop_when` as a decoding model would be. Token counts are whitespace-separated words, or
    unknown (None) with `count_tokens=False`, as for a replay, which computes nothing. `requests`
    holds every request it was sent, in order."""

    provider = "scripted"
    name = "scripted"

    def __init__(self, outputs: Iterable[str | Completion], *, count_tokens: bool = True):
        self.count_tokens = count_tokens
        self._outputs = list(outputs)
        self._next = 0
        self._lock = threading.Lock()
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        with self._lock:
            if self._next >= len(self._outputs):
                raise ModelError(f"ScriptedModel ran out of outputs after {len(self._outputs)} calls")
            output = self._outputs[self._next]
            self._next += 1
            self.requests.append(request)
        # A Completion is a chat model's reply: its content and its tool calls, as they are.
        tool_calls = output.tool_calls if isinstance(output, Completion) else ()
        text, _ = cut_at_stop(output.text if isinstance(output, Completion) else output, request.stop)
        if stop_when is not None:
            text = _shortest_complete_prefix(text, stop_when)
        if not self.count_tokens:
            usage = Usage(calls=1, prompt_tokens=None, evaluated_tokens=None, completion_tokens=None)
            return Completion(text=text, usage=usage, tool_calls=tool_calls)
        words = request.prompt.split() + [
            word for message in request.messages or () for word in str(message.get("content") or "").split()
        ]
        written = text.split() + [word for call in tool_calls for word in call.arguments.split()]
        return Completion(
            text=text,
            usage=Usage(
                calls=1,
                prompt_tokens=len(words),
                evaluated_tokens=len(words),
                completion_tokens=len(written),
            ),
            tool_calls=tool_calls,
        )

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        return self.complete(request, stop_when)


def _shortest_complete_prefix(text: str, stop_when: StopWhen) -> str:
    # A decoding model checks after each token; checking after each line or bracket is the same cut.
    for end, char in enumerate(text, start=1):
        if char in "\n]" and stop_when(text[:end]):
            return text[:end]
    return text

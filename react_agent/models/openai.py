"""A remote model behind OpenAI's API or any server that speaks it (vLLM, llama.cpp's server, Ollama).

Responses are streamed so that decoding can be cut as soon as the action is whole. A streamed
answer counts only when it is whole: a chunk carried its `finish_reason`, or we stopped reading
because the action was complete. Token counts come from the usage that the stream carries at its
end (a few pieces are read past a whole action to get it, from servers that send it) or, from
servers that send none, from the server's own tokenize endpoint.

Whatever else a server does (an error status, 429 with Retry-After, a connection reset before or
during the stream, a stall, an event that is not JSON, one JSON body instead of a stream, an empty
answer) is retried with backoff, honouring Retry-After, up to `max_retries` times. Past that, the
request fails with `ModelError`: that episode ends with `error`, the run goes on, and a rerun plays
it again. Only a server that has not answered yet, or that fails several requests in a row, is
`ModelUnavailable` (the run stops).

A request held to a grammar sends it in the fields that llama.cpp's servers and vLLM read; a server
whose answer is no start of what the grammar allows did not enforce it, and cannot be used with
one: `ModelUnavailable`, rather than episodes recorded as grammar-held that were not.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, Literal

from react_agent.models.base import (
    Completion,
    ContextFull,
    Model,
    ModelError,
    ModelRequest,
    ModelUnavailable,
    StopWhen,
)
from react_agent.provenance import package_versions
from react_agent.trajectory import ToolCall, Usage

Endpoint = Literal["completions", "chat"]
BACKOFF = 0.5  # seconds before the first retry; doubled each time, up to BACKOFF_CAP
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 60.0  # the longest Retry-After we wait for
DEAD_AFTER = 3  # requests failed in a row, every retry spent, before the server is taken for gone
USAGE_GRACE = 4  # pieces read past a whole action while waiting for the usage at the stream's end


class _Retryable(Exception):
    """A failure worth another attempt; `wait` is what the server asked for (Retry-After)."""

    def __init__(self, reason: str, wait: float | None = None, connection: bool = False):
        super().__init__(reason)
        self.wait = wait
        self.connection = connection  # the server could not be reached or went away


class OpenAIModel(Model):
    """`endpoint="completions"` continues the prompt as text (the paper's setup); `"chat"` sends it
    as one user message, for models served only through the chat endpoint.

    The key comes from `api_key` or `OPENAI_API_KEY`; with a `base_url` and no key, a placeholder is
    sent, since local servers do not check it. `timeout` bounds each request and each wait for
    the next piece of a stream.
    """

    provider = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        endpoint: Endpoint = "completions",
        temperature: float = 0.0,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = BACKOFF,
    ):
        import openai

        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if base_url is None:
                raise ModelUnavailable("OPENAI_API_KEY is not set (or give the base URL of a local server)")
            key = "not-needed"
        if endpoint not in ("completions", "chat"):
            raise ValueError(f"endpoint must be 'completions' or 'chat', not {endpoint!r}")
        self.name = model
        self.base_url = base_url
        self._key = key  # kept out of every message this backend writes (see _failures_sorted)
        self.endpoint = endpoint
        self.operation = "chat" if endpoint == "chat" else "text_completion"
        self.temperature = temperature
        self.max_retries = max_retries
        self.backoff = backoff
        self._answered = False  # has the server answered once? Before that, failing to reach it is fatal
        self._failed_in_a_row = 0
        self._streams_carry_usage: bool | None = None  # learnt from the first stream read to its end
        # Whether the server streams answers that call tools: llama-cpp-python's sends an empty
        # stream instead (its chatml-function-calling), and is then asked without streaming.
        self._streams_tool_calls: bool | None = None
        self._tokenizer = _Tokenizer(base_url, model, key, timeout)
        # The client retries only the opening of a request; we retry whole streams ourselves.
        options: dict[str, Any] = dict(base_url=base_url, api_key=key, timeout=timeout, max_retries=0)
        self.client = openai.OpenAI(**options)
        self.async_client = openai.AsyncOpenAI(**options)

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "base_url": self.base_url,
            "endpoint": self.endpoint,
            "packages": package_versions(["openai"]),
        }

    @property
    def where(self) -> str:
        return self.base_url or "api.openai.com"

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        for attempt in range(self.max_retries + 1):
            try:
                with self._failures_sorted():
                    stream = self._create(self.client, request)
                    reader = self._reader(request, stop_when)
                    try:
                        for chunk in stream:
                            if reader.take(chunk):
                                break
                        else:
                            reader.ended = True
                    finally:
                        stream.close()
                    completion = self._answer(reader, request)
                if completion.usage.prompt_tokens is None and not request.is_chat:
                    counts = self._tokenizer.count([request.prompt, completion.text])
                    completion = _counted(completion, counts)
                return completion
            except _Retryable as failure:
                time.sleep(self._wait_or_give_up(failure, attempt))
        raise AssertionError("unreachable: the last attempt gives up")

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        for attempt in range(self.max_retries + 1):
            try:
                with self._failures_sorted():
                    stream = await self._create(self.async_client, request)
                    reader = self._reader(request, stop_when)
                    try:
                        async for chunk in stream:
                            if reader.take(chunk):
                                break
                        else:
                            reader.ended = True
                    finally:
                        await stream.close()
                    completion = self._answer(reader, request)
                if completion.usage.prompt_tokens is None and not request.is_chat:
                    counts = await asyncio.to_thread(self._tokenizer.count, [request.prompt, completion.text])
                    completion = _counted(completion, counts)
                return completion
            except _Retryable as failure:
                await asyncio.sleep(self._wait_or_give_up(failure, attempt))
        raise AssertionError("unreachable: the last attempt gives up")

    def _create(self, client: Any, request: ModelRequest) -> Any:
        common = dict(
            model=self.name,
            max_tokens=request.max_tokens,
            temperature=self.temperature if request.temperature is None else request.temperature,
            stop=request.stop[:4] or None,  # the API takes at most four
            stream=True,
            stream_options={"include_usage": True},
        )
        if request.top_p is not None:
            common["top_p"] = request.top_p
        if request.seed is not None:  # a repeated trial: the API's seed, where the server takes one
            common["seed"] = request.seed
        if request.grammar is not None:
            # llama.cpp's servers (llama-server, llama-cpp-python's) take GBNF as `grammar`, vLLM
            # (0.10.2 on) as `structured_outputs.grammar`; each ignores the other's field. A server
            # that ignores both is found out by its answers (`_answer`).
            grammar = request.grammar
            common["extra_body"] = {"grammar": grammar, "structured_outputs": {"grammar": grammar}}
        if request.is_chat:  # the tools format's own chat, whatever the endpoint of text prompts
            assert request.messages is not None
            sent = request.held_tools or request.tools  # a step's commands as an enum, with --grammar
            tools = {"tools": list(sent), "tool_choice": request.tool_choice} if sent else {}
            if tools and self._streams_tool_calls is False:
                common = {k: v for k, v in common.items() if k != "stream_options"} | {"stream": False}
                answer = client.chat.completions.create(messages=list(request.messages), **tools, **common)
                return _WholeAnswer.of(answer)
            return client.chat.completions.create(messages=list(request.messages), **tools, **common)
        if self.endpoint == "chat":
            messages = [{"role": "user", "content": request.prompt}]
            return client.chat.completions.create(messages=messages, **common)
        return client.completions.create(prompt=request.prompt, **common)

    def _reader(self, request: ModelRequest, stop_when: StopWhen | None) -> _StreamReader:
        # Past a whole action, read on for the usage only from a server not yet seen to send none.
        chat = request.is_chat or self.endpoint == "chat"
        return _StreamReader(chat, stop_when, wait_for_usage=self._streams_carry_usage is not False)

    def _answer(self, reader: _StreamReader, request: ModelRequest) -> Completion:
        if request.tools and reader.chunks == 0 and self._streams_tool_calls is None:
            self._streams_tool_calls = False
            raise _Retryable("an empty stream where tools may be called: asking again without streaming")
        completion = reader.completion()  # _Retryable when the stream did not end as a whole answer
        if request.within_grammar is not None and not request.within_grammar(completion.text):
            raise ModelUnavailable(
                f"model server at {self.where} does not hold its answers to the grammar (it answered "
                f"{completion.text[:80]!r}); it takes none as `grammar` (llama.cpp's servers) or "
                "`structured_outputs` (vLLM): run without the grammar"
            )
        self._answered = True
        self._failed_in_a_row = 0
        if request.tools and self._streams_tool_calls is None:
            self._streams_tool_calls = True
        if reader.usage is not None:
            self._streams_carry_usage = True
        elif reader.ended:
            self._streams_carry_usage = False
        return completion

    def _wait_or_give_up(self, failure: _Retryable, attempt: int) -> float:
        """Seconds to wait before the next attempt; past the last, the error that ends it."""
        if attempt < self.max_retries:
            if failure.wait is not None:
                return min(failure.wait, RETRY_AFTER_CAP)
            return min(self.backoff * 2**attempt, BACKOFF_CAP) * random.uniform(1.0, 1.25)
        self._failed_in_a_row += 1
        tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
        if failure.connection and not self._answered:
            raise ModelUnavailable(f"cannot reach model server at {self.where} ({failure}; {tries})")
        if failure.connection and self._failed_in_a_row >= DEAD_AFTER:
            raise ModelUnavailable(
                f"model server at {self.where} stopped answering: {self._failed_in_a_row} requests "
                f"in a row failed ({failure})"
            )
        raise ModelError(f"model server at {self.where}: {failure} ({tries})")

    @contextmanager
    def _failures_sorted(self) -> Iterator[None]:
        """Every failure of the server, as `_Retryable`, `ContextFull`, `ModelError` or
        `ModelUnavailable`, with the API key taken out of its message wherever a server echoed it:
        no exception of the openai or httpx packages goes further."""
        try:
            with self._sorted():
                yield
        except (_Retryable, ModelError, ModelUnavailable) as error:
            message = str(error)
            if self._key and self._key in message:
                error.args = (message.replace(self._key, "***"),)
            raise

    @contextmanager
    def _sorted(self) -> Iterator[None]:
        import httpx
        import openai

        try:
            yield
        except openai.APITimeoutError:
            raise _Retryable("no answer within the timeout", connection=True) from None
        except openai.APIConnectionError as error:
            raise _Retryable(f"connection failed: {_cause(error)}", connection=True) from None
        except openai.AuthenticationError:
            raise ModelUnavailable(f"model server at {self.where} refused the API key") from None
        except openai.NotFoundError as error:
            raise ModelUnavailable(
                f"model {self.name!r} not found at {self.where}: {error.message}"
            ) from None
        except openai.BadRequestError as error:
            if "context" in error.message.lower():
                raise ContextFull(error.message) from None
            raise ModelError(error.message) from None
        except openai.APIStatusError as error:
            if error.status_code in (408, 409, 429) or error.status_code >= 500:
                raise _Retryable(f"HTTP {error.status_code}", wait=_retry_after(error.response)) from None
            raise ModelError(f"HTTP {error.status_code}: {error.message}") from None
        except (openai.APIError, json.JSONDecodeError) as error:  # an event that is not JSON, and the like
            raise _Retryable(f"a malformed answer ({type(error).__name__}: {error})") from None
        except httpx.TimeoutException:
            raise _Retryable("the stream stalled past the timeout", connection=True) from None
        except httpx.HTTPError as error:
            raise _Retryable(f"the stream broke: {type(error).__name__}: {error}", connection=True) from None


def _cause(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__
    return f"{type(cause).__name__}: {cause}" if cause else str(error)


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: use our own backoff


class _WholeAnswer:
    """An answer that was not streamed, read as a stream of one chunk (sync or async)."""

    def __init__(self, chunk: Any):
        self.chunk = chunk

    @classmethod
    def of(cls, answer: Any) -> Any:
        """`answer`, or the coroutine that gives it, as such a stream."""
        if inspect.isawaitable(answer):

            async def whole() -> _WholeAnswer:
                return cls.of(await answer)

            return whole()
        message = answer.choices[0].message
        calls = [
            SimpleNamespace(index=i, id=call.id, function=call.function)
            for i, call in enumerate(message.tool_calls or [])
        ]
        delta = SimpleNamespace(content=message.content, tool_calls=calls)
        choice = SimpleNamespace(delta=delta, finish_reason=answer.choices[0].finish_reason or "stop")
        return cls(SimpleNamespace(choices=[choice], usage=answer.usage))

    def __iter__(self) -> Iterator[Any]:
        yield self.chunk

    async def __aiter__(self) -> Any:
        yield self.chunk

    def close(self) -> _Closed:
        return _Closed()


class _Closed:
    """What closing a whole answer gives: nothing to wait for, from sync or async code."""

    def __await__(self) -> Iterator[None]:
        return iter(())


class _StreamReader:
    """Collects streamed text and usage; says when to stop reading, and whether the answer is whole."""

    def __init__(self, chat: bool, stop_when: StopWhen | None, wait_for_usage: bool = True):
        self.chat = chat
        self.stop_when = stop_when
        self.wait_for_usage = wait_for_usage
        self.text = ""
        self.usage: Any = None
        self.chunks = 0
        self.finished = False  # a chunk said why the answer ended
        self.cut = False  # the action was whole: the rest of the text is not ours
        self.read_past_cut = 0
        self.ended = False  # the server ended the stream (we did not close it)
        self.calls: dict[int, dict[str, str]] = {}  # tool calls by index, their pieces joined

    def take(self, chunk: Any) -> bool:
        """Reads one chunk; says whether to stop reading."""
        self.chunks += 1
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        if self.cut:  # read on only for the usage that comes at the end
            self.read_past_cut += 1
            return self.usage is not None or self.read_past_cut >= USAGE_GRACE
        if not chunk.choices:
            return False
        choice = chunk.choices[0]
        piece = choice.delta.content if self.chat else choice.text
        self.text += piece or ""
        for call in (getattr(choice.delta, "tool_calls", None) or []) if self.chat else []:
            whole = self.calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            whole["id"] += call.id or ""
            if call.function is not None:
                whole["name"] += call.function.name or ""
                whole["arguments"] += call.function.arguments or ""
        self.finished = self.finished or choice.finish_reason is not None
        self.cut = bool(piece) and self.stop_when is not None and self.stop_when(self.text)
        return self.cut and not self.wait_for_usage

    def completion(self) -> Completion:
        if not (self.finished or self.cut):
            if self.chunks == 0:
                raise _Retryable(
                    "no stream came back (a server that ignores stream: true, or an empty answer)"
                )
            raise _Retryable("the stream ended before the answer did", connection=True)
        usage = Usage(calls=1, prompt_tokens=None, evaluated_tokens=None, completion_tokens=None)
        if self.usage is not None:  # absent from servers that send none, or when we closed the stream first
            details = getattr(self.usage, "prompt_tokens_details", None)
            cached = getattr(details, "cached_tokens", None)
            usage = Usage(
                calls=1,
                prompt_tokens=self.usage.prompt_tokens,
                evaluated_tokens=None if cached is None else self.usage.prompt_tokens - cached,
                completion_tokens=self.usage.completion_tokens,
            )
        calls = tuple(
            ToolCall(id=call["id"] or f"call_{index}", name=call["name"], arguments=call["arguments"])
            for index, call in sorted(self.calls.items())
        )
        return Completion(text=self.text, usage=usage, tool_calls=calls)


def _counted(completion: Completion, counts: list[int] | None) -> Completion:
    """The completion with the prompt and completion token counts of the server's tokenizer."""
    if counts is None:
        return completion
    usage = completion.usage.model_copy(update=dict(prompt_tokens=counts[0], completion_tokens=counts[1]))
    return replace(completion, usage=usage)


class _Tokenizer:
    """Token counts from the server's own tokenizer, for servers whose streams carry no usage
    (llama-cpp-python's server) or streams we closed before it came. Which endpoint the server has
    is found on first use; with none (api.openai.com, Ollama), counts stay unknown."""

    # (path under the server's root, request body, the count in its answer), tried in this order
    ENDPOINTS: tuple[tuple[str, Callable[[str, str], dict], Callable[[Any], int]], ...] = (
        ("/extras/tokenize/count", lambda model, text: {"model": model, "input": text}, lambda a: a["count"]),
        ("/tokenize", lambda model, text: {"model": model, "prompt": text}, lambda a: a["count"]),  # vLLM
        ("/tokenize", lambda model, text: {"content": text}, lambda a: len(a["tokens"])),  # llama-server
    )

    def __init__(self, base_url: str | None, model: str, key: str, timeout: float):
        # Tokenize endpoints sit beside /v1, at the server's root.
        self.root = base_url.rstrip("/").removesuffix("/v1") if base_url else None
        self.model = model
        headers = {"Authorization": f"Bearer {key}"}
        self.options: dict[str, Any] = dict(headers=headers, timeout=min(timeout, 10.0))
        self.found: Any = None if self.root else False  # None: not asked yet; False: the server has none
        self.client: Any = None

    def count(self, texts: list[str]) -> list[int] | None:
        import httpx

        if self.client is None and self.found is not False:
            self.client = httpx.Client(**self.options)  # one connection for every step's counts
        for path, body, count in self._candidates():
            try:
                answers = [self.client.post(self.root + path, json=body(self.model, t)) for t in texts]
                return self._found((path, body, count), [count(_json(a)) for a in answers])
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                continue
        return self._none()

    def _candidates(self) -> tuple[Any, ...]:
        return () if self.found is False else (self.found,) if self.found else self.ENDPOINTS

    def _found(self, endpoint: Any, counts: list[int]) -> list[int]:
        self.found = endpoint
        return counts

    def _none(self) -> None:
        if self.found is None:  # no endpoint answered: do not ask again (a known one may fail once)
            self.found = False
        return None


def _json(answer: Any) -> Any:
    answer.raise_for_status()
    return answer.json()

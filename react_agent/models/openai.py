"""A remote model behind OpenAI's API or any server that speaks it (vLLM, llama.cpp's server, Ollama).

Responses are streamed so that decoding can be cut as soon as the action is whole; the `openai`
client supplies the timeouts and the retries with exponential backoff.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from react_agent.models.base import (
    Completion,
    ContextFull,
    ModelError,
    ModelRequest,
    ModelUnavailable,
    StopWhen,
)
from react_agent.trajectory import Usage

Endpoint = Literal["completions", "chat"]


class OpenAIModel:
    """`endpoint="completions"` continues the prompt as text (the paper's setup); `"chat"` sends it
    as one user message, for models served only through the chat endpoint.

    The key comes from `api_key` or `OPENAI_API_KEY`; with a `base_url` and no key, a placeholder is
    sent, since local servers do not check it.
    """

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
    ):
        import openai

        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if base_url is None:
                raise ModelUnavailable("OPENAI_API_KEY is not set (or give --base-url for a local server)")
            key = "not-needed"
        if endpoint not in ("completions", "chat"):
            raise ValueError(f"endpoint must be 'completions' or 'chat', not {endpoint!r}")
        self.name = model
        self.base_url = base_url
        self.endpoint = endpoint
        self.temperature = temperature
        options: dict[str, Any] = dict(
            base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries
        )
        self.client = openai.OpenAI(**options)
        self.async_client = openai.AsyncOpenAI(**options)

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        with self._errors_explained():
            stream = self._create(self.client, request)
            reader = _StreamReader(self.endpoint, stop_when)
            try:
                for chunk in stream:
                    if reader.take(chunk):
                        break
            finally:
                stream.close()
        return reader.completion()

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        with self._errors_explained():
            stream = await self._create(self.async_client, request)
            reader = _StreamReader(self.endpoint, stop_when)
            try:
                async for chunk in stream:
                    if reader.take(chunk):
                        break
            finally:
                await stream.close()
        return reader.completion()

    def _create(self, client: Any, request: ModelRequest) -> Any:
        common = dict(
            model=self.name,
            max_tokens=request.max_tokens,
            temperature=self.temperature if request.temperature is None else request.temperature,
            stop=request.stop[:4] or None,  # the API takes at most four
            stream=True,
            stream_options={"include_usage": True},
        )
        if self.endpoint == "chat":
            messages = [{"role": "user", "content": request.prompt}]
            return client.chat.completions.create(messages=messages, **common)
        return client.completions.create(prompt=request.prompt, **common)

    @contextmanager
    def _errors_explained(self) -> Iterator[None]:
        import openai

        where = self.base_url or "api.openai.com"
        try:
            yield
        except openai.APITimeoutError:
            raise ModelUnavailable(f"model server at {where} did not answer in time") from None
        except openai.APIConnectionError:
            raise ModelUnavailable(f"cannot reach model server at {where}") from None
        except openai.AuthenticationError:
            raise ModelUnavailable(f"model server at {where} refused the API key") from None
        except openai.NotFoundError as error:
            raise ModelUnavailable(f"model {self.name!r} not found at {where}: {error.message}") from None
        except openai.BadRequestError as error:
            if "context" in error.message.lower():
                raise ContextFull(error.message) from None
            raise ModelError(error.message) from None
        except openai.APIError as error:
            raise ModelError(f"{type(error).__name__}: {error.message}") from None


class _StreamReader:
    """Collects streamed text and usage; says when to stop reading."""

    def __init__(self, endpoint: Endpoint, stop_when: StopWhen | None):
        self.endpoint = endpoint
        self.stop_when = stop_when
        self.text = ""
        self.usage: Any = None

    def take(self, chunk: Any) -> bool:
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        if not chunk.choices:
            return False
        choice = chunk.choices[0]
        piece = choice.delta.content if self.endpoint == "chat" else choice.text
        self.text += piece or ""
        return bool(piece) and self.stop_when is not None and self.stop_when(self.text)

    def completion(self) -> Completion:
        usage = Usage(calls=1, prompt_tokens=None, evaluated_tokens=None, completion_tokens=None)
        if self.usage is not None:  # absent when we closed the stream before the server sent it
            details = getattr(self.usage, "prompt_tokens_details", None)
            cached = getattr(details, "cached_tokens", None)
            usage = Usage(
                calls=1,
                prompt_tokens=self.usage.prompt_tokens,
                evaluated_tokens=None if cached is None else self.usage.prompt_tokens - cached,
                completion_tokens=self.usage.completion_tokens,
            )
        return Completion(text=self.text, usage=usage)

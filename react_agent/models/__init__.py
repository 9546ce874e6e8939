"""Model backends, one file each, behind the protocol in `base.py`; `from_spec` builds one from
what a user names (`PATH.gguf`, a known model's name such as `qwen2.5-coder-1.5b`, `openai:NAME`,
`replay:RUN.jsonl`) and `ModelOptions`.

`LlamaCppModel` and `OpenAIModel` import their client libraries only when first used, so the core
works with neither installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from react_agent.errors import OptionError
from react_agent.models.base import (
    Completion,
    ContextFull,
    Model,
    ModelError,
    ModelRequest,
    ModelSource,
    ModelUnavailable,
)
from react_agent.models.scripted import ScriptedModel

if TYPE_CHECKING:
    from react_agent.models.llama_cpp import LlamaCppModel
    from react_agent.models.openai import OpenAIModel
    from react_agent.models.replay import RecordedRun

__all__ = [
    "Completion",
    "ContextFull",
    "LlamaCppModel",
    "Model",
    "ModelError",
    "ModelOptions",
    "ModelRequest",
    "ModelSource",
    "ModelUnavailable",
    "OpenAIModel",
    "RecordedRun",
    "ScriptedModel",
    "from_spec",
]


def __getattr__(name: str):
    if name == "LlamaCppModel":
        from react_agent.models.llama_cpp import LlamaCppModel

        return LlamaCppModel
    if name == "RecordedRun":
        from react_agent.models.replay import RecordedRun

        return RecordedRun
    if name == "OpenAIModel":
        from react_agent.models.openai import OpenAIModel

        return OpenAIModel
    raise AttributeError(name)


class ModelOptions(BaseModel):
    """How to reach or load the model a spec names; each backend reads the options that are its."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = Field(
        None, description="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
    )
    endpoint: Literal["completions", "chat"] = Field(
        "completions", description="completions continues the prompt; chat sends it as one message"
    )
    api_key: str | None = Field(
        None,
        repr=False,
        exclude=True,
        description="the server's key (default: $OPENAI_API_KEY); never written",
    )
    timeout: float = Field(
        60.0, gt=0, description="seconds a remote model may take to answer, or between pieces"
    )
    n_ctx: int = Field(8192, ge=1, description="a local model's context window, per sequence")
    n_gpu_layers: int = Field(0, description="layers a local model offloads to a GPU (-1: all)")
    seed: int = Field(0, description="a local model's sampling seed")
    cache: Path | None = Field(
        None,
        description="a folder keeping the model's answers by request (SQLite): what was asked before "
        "is answered from it, not sent",
    )
    repack: bool = Field(
        False,
        description="llama.cpp's repacked CPU weights: faster prompts, but greedy answers then depend "
        "on the number of workers",
    )


def from_spec(
    spec: str | None, options: ModelOptions | None = None, *, sequences: int = 1, n_threads: int | None = None
) -> ModelSource:
    """The model a spec names: `openai:NAME` (OpenAI, or the server at `options.base_url`),
    `replay:RUN.jsonl` (the outputs a results file recorded), a GGUF file's path, a name of
    `NAMED_MODELS` (its file in the cache folder), or None for the embedded SmolLM2. A local model
    decodes `sequences` requests at once (one per worker). `options.cache` is the runner's to apply
    (`models.cache.CachedModel`), which counts what it answered."""
    options = options or ModelOptions()
    spec = spec or ""
    if spec.startswith("replay:"):
        from react_agent.models.replay import RecordedRun

        return RecordedRun(spec.removeprefix("replay:"))
    if spec.startswith("openai:"):
        from react_agent.models.openai import OpenAIModel

        return OpenAIModel(
            spec.removeprefix("openai:"),
            base_url=options.base_url,
            api_key=options.api_key,
            endpoint=options.endpoint,
            timeout=options.timeout,
        )
    if options.base_url or options.api_key:
        raise OptionError("`base_url` and `api_key` go with an openai:NAME model")
    from react_agent.models.llama_cpp import LlamaCppModel
    from react_agent.models.named import NAMED_MODELS, named_model_path

    return LlamaCppModel(
        named_model_path(spec) if spec in NAMED_MODELS else spec or None,
        n_ctx=options.n_ctx,
        n_gpu_layers=options.n_gpu_layers,
        seed=options.seed,
        repack=options.repack,
        n_threads=n_threads,
        sequences=sequences,
    )

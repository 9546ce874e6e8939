"""Many completions at once on one llama.cpp context: the scheduler behind `LlamaCppModel`.

One context holds `sequences` sequences, each in a stream of its own of the KV cache. Each request
in flight owns one sequence. A scheduler thread runs while there is work:

- a request that arrives takes a free sequence, preferring the one that already holds the longest
  prefix of its prompt (its own episode's previous step, or another episode's prompt with the same
  few-shot part); if another sequence, busy or not, holds a much longer prefix, its cells are copied
  (`llama_memory_seq_cp`, far cheaper than evaluating them); only the rest of the prompt is
  evaluated, and requests that arrive together wait for the first of them to evaluate their
  shared prefix;
- one `llama_decode` carries the next token of every sequence that is generating (up to 7; more
  take several, see SMALL_DECODE), and requests join and leave between decodes (continuous
  batching), so W episodes cost about one decode per token between them rather than W; waiting
  prompts are decoded in their own calls, between those;
- each request samples with its own sampler (greedy at temperature 0) from its own logits, checks
  its own stop sequences and `stop_when`, and ends on its own; its cells stay in the cache as a
  prefix for the next request until the sequence is given to another prompt, which removes what
  it does not share (`llama_memory_seq_rm`).

Usage per request is exact: `prompt_tokens` sent, `evaluated_tokens` of them decoded (the rest came
from the cache), `completion_tokens` sampled.
"""

from __future__ import annotations

import codecs
import ctypes
import hashlib
import math
import threading
import time
from collections import deque
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field

import llama_cpp as C

from react_agent.models.base import Completion, ModelError, ModelRequest, StopWhen, cut_at_stop
from react_agent.trajectory import Usage

# llama-cpp-python's create_completion defaults, so a sampled step means what it meant before.
TOP_K, TOP_P, MIN_P = 40, 0.95, 0.05
_utf8 = codecs.getincrementaldecoder("utf-8")


# A token's numbers must not depend on what else is decoded with it, or greedy answers would change
# with the number of workers. ggml's CPU kernels take one path for a product of fewer than 8 tokens
# and another from 8 on (Qwen2.5-Coder-1.5B's Q4_K weights: logits differ by up to 0.44 between
# the two), and attention one path for a sequence's single token and another for several (SmolLM2
# too). So every generated token goes through the small paths (one token per sequence, fewer than
# SMALL_DECODE in a decode) and every prompt token through the large ones (chunks of at least
# SMALL_DECODE tokens, and at most one ubatch, which llama.cpp would otherwise split at will).
SMALL_DECODE = 8

# Copying a sequence copies its whole stream of n_ctx cells (about a third of a second for SmolLM2
# at 8,192 here, the time of evaluating some 100 prompt tokens): a copy is made when it saves
# evaluating more than n_ctx / COPY_RATIO tokens.
COPY_RATIO = 32


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens `a` and `b` share from the start (slices compare in C: a binary search)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    low, high = 0, n  # a[:low] == b[:low], a[:high] != b[:high]
    while high - low > 1:
        middle = (low + high) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle
    return low


def prompt_chunk(pending: int, most: int) -> int:
    """How many of `pending` prompt tokens the next decode takes: `most` at most, leaving none
    or at least SMALL_DECODE for the next."""
    if pending <= most:
        return pending
    return most if pending - most >= SMALL_DECODE else pending - SMALL_DECODE


@dataclass
class DecodeProfile:
    """Where the scheduler's time went, for benchmarks: llama.cpp's decodes of prompt chunks and of
    generated tokens, sampling (the grammar's, stop checks and detokenizing included), and the rest
    of its loop (`busy` less those: Python bookkeeping). A few clock reads per decode."""

    busy: float = 0.0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0
    sampling_seconds: float = 0.0
    prompt_decodes: int = 0
    prompt_tokens: int = 0
    generation_decodes: int = 0
    generated: int = 0  # tokens decoded by the generation decodes: their mean batch is generated / decodes


@dataclass(eq=False)
class _Job:
    request: ModelRequest
    stop_when: StopWhen | None
    prompt: list[int]
    temperature: float
    seed: int
    future: Future = field(default_factory=Future)
    pending: list[int] = field(default_factory=list)  # prompt tokens still to evaluate
    next_token: int | None = None  # sampled, to be evaluated by the next decode
    admitted: int = 0  # the order in which requests got their sequences
    sampled: int = 0
    evaluated: int = 0
    text: str = ""
    sampler: ctypes.c_void_p | None = None
    # A character can span tokens: bytes wait here until they make one.
    decoder: codecs.IncrementalDecoder = field(default_factory=lambda: _utf8("replace"))


@dataclass(eq=False)
class _Sequence:
    seq_id: int
    cached: list[int] = field(default_factory=list)  # the tokens whose cells it holds, from position 0
    job: _Job | None = None
    last_used: int = 0


class BatchedDecoder:
    """Decodes the requests given to `submit` together, `sequences` at a time, on one context."""

    def __init__(self, model: ctypes.c_void_p, ctx: ctypes.c_void_p, *, n_batch: int, seed: int):
        self.model, self.ctx = model, ctx
        self.vocab = C.llama_model_get_vocab(model)
        self.memory = C.llama_get_memory(ctx)
        self.n_batch = n_batch
        self.chunk = min(n_batch, C.llama_n_ubatch(ctx))  # a prompt chunk: one ubatch
        self.seed = seed
        self.slots = [_Sequence(i) for i in range(C.llama_n_seq_max(ctx))]
        self.copy_worth = max(16, C.llama_n_ctx(ctx) // len(self.slots) // COPY_RATIO)
        self.batch = C.llama_batch_init(n_batch, 0, 1)
        self._queue: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None  # the scheduler, while there is work
        self._clock = 0
        self._samples: dict[str, int] = {}  # sampled requests seen, by fingerprint: each draw differs
        self._piece = ctypes.create_string_buffer(256)
        self._greedy = C.llama_sampler_init_greedy()  # stateless: shared by every request
        self.profile = DecodeProfile()

    def close(self) -> None:
        """Free the batch once the scheduler is done (the context is the caller's to free)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        C.llama_batch_free(self.batch)
        C.llama_sampler_free(self._greedy)

    # -- the callers' side ------------------------------------------------------------------------
    def submit(
        self, request: ModelRequest, prompt: list[int], temperature: float, stop_when: StopWhen | None
    ) -> Future:
        seed = self.seed
        if temperature > 0:  # the n-th draw of the same request gets its own seed, whatever the order
            key = request.sha256()
            with self._lock:
                draw = self._samples[key] = self._samples.get(key, -1) + 1
            seed = int.from_bytes(hashlib.sha256(f"{self.seed}:{key}:{draw}".encode()).digest()[:4], "little")
        job = _Job(request, stop_when, prompt, temperature, seed)
        job.sampler = self._sampler(job)  # here: a grammar llama.cpp refuses fails this request alone
        with self._lock:
            self._queue.append(job)
            if self._thread is None:  # the thread lives only while there is work: nothing to shut down
                self._thread = threading.Thread(target=self._run, name="llama-batch", daemon=True)
                self._thread.start()
        return job.future

    # -- the scheduler thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                started = time.perf_counter()
                with self._lock:
                    self._admit()
                    if not any(slot.job for slot in self.slots):
                        self._thread = None
                        return
                self._step()
                self.profile.busy += time.perf_counter() - started
        except BaseException as error:  # a bug here must not leave callers waiting forever
            with self._lock:  # every request in flight or waiting fails; the cache starts empty
                jobs = [slot.job for slot in self.slots if slot.job] + list(self._queue)
                self._queue.clear()
                for slot in self.slots:
                    self._release(slot)
                    slot.cached = []
                C.llama_memory_clear(self.memory, True)
                self._thread = None
            for job in jobs:
                _settle(job.future, ModelError(f"llama.cpp decoding failed: {error}"))

    def _admit(self) -> None:
        """Give waiting requests free sequences holding as much of their prompts as can be had."""
        held: list[_Job] = []
        while self._queue:
            free = [slot for slot in self.slots if slot.job is None]
            if not free:
                break
            job = self._queue.popleft()
            # The most of its prompt that any sequence holds now, and that one will hold once the
            # prompt it is evaluating is in: requests that arrive together evaluate their shared
            # few-shot prefix once, the first of them, and the others wait to copy all of it (a
            # wait costs no computing, only this request's start; not waiting for a prefix's last
            # chunk costs evaluating it once per request).
            holds = [common_prefix(slot.cached, job.prompt) for slot in self.slots]  # by seq_id
            now = max(holds)
            coming = max(
                (
                    common_prefix(slot.job.prompt, job.prompt)
                    for slot in self.slots
                    if slot.job and slot.job.pending
                ),
                default=0,
            )
            # Placed now, it would keep `now` only by a copy; waiting pays when what it would copy
            # then is more than that and worth a copy.
            own = max(holds[slot.seq_id] for slot in free)
            if coming > now and coming > own + self.copy_worth:
                held.append(job)
                continue
            self._place(job, free, holds)
        self._queue.extendleft(reversed(held))

    def _place(self, job: _Job, free: list[_Sequence], holds: list[int]) -> None:
        """`holds[i]`: how much of the prompt sequence i holds now."""
        # Its own episode's last sequence if free, else the one idle the longest.
        slot = max(free, key=lambda s: (holds[s.seq_id], -s.last_used))
        source = max(self.slots, key=lambda s: holds[s.seq_id])
        kept, shared = holds[slot.seq_id], holds[source.seq_id]
        # At least the prompt's last SMALL_DECODE tokens are evaluated: its last chunk is never a
        # short one (see SMALL_DECODE).
        limit = max(0, len(job.prompt) - SMALL_DECODE)
        if shared > kept + self.copy_worth and source is not slot:
            # Sequences have streams of their own: a copy takes the whole of one (llama.cpp copies
            # the cells at the next decode), and what the prompt does not share is removed.
            C.llama_memory_seq_rm(self.memory, slot.seq_id, -1, -1)
            C.llama_memory_seq_cp(self.memory, source.seq_id, slot.seq_id, -1, -1)
            slot.cached = list(source.cached)
            kept = shared
        kept = min(kept, limit)
        C.llama_memory_seq_rm(self.memory, slot.seq_id, kept, -1)
        del slot.cached[kept:]
        job.pending = job.prompt[kept:]
        self._clock += 1
        job.admitted = self._clock
        slot.job = job

    def _sampler(self, job: _Job) -> ctypes.c_void_p:
        chain = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        if job.request.grammar is not None:  # first: only tokens the grammar allows are candidates
            rules = C.llama_sampler_init_grammar(self.vocab, job.request.grammar.encode(), b"root")
            if not rules:
                C.llama_sampler_free(chain)
                raise ModelError(f"llama.cpp refused the grammar: {job.request.grammar!r}")
            C.llama_sampler_chain_add(chain, rules)
        if job.temperature <= 0:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        elif job.request.top_p is not None:  # the request's own nucleus, and no other truncation
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(job.request.top_p, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(job.temperature))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(job.seed))
        else:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_k(TOP_K))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(TOP_P, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_min_p(MIN_P, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(job.temperature))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(job.seed))
        return chain

    def _step(self) -> None:
        """Decodes of every generating sequence's next token, fewer than SMALL_DECODE in each, then
        one of a waiting prompt's chunk.

        The two are never mixed, nor two prompts: llama.cpp splits a batch that spans several
        sequences into parts holding as many tokens of each, so a prompt decoded beside other
        sequences' single tokens would go through token by token, on the kernels' small paths.
        Kept apart, a request's tokens are computed the same way whichever others run beside it:
        batched greedy output equals unbatched.
        """
        for slot in self.slots:  # a caller that gave up (a cancelled task) frees its sequence
            if slot.job is not None and slot.job.future.cancelled():
                self._release(slot)
        generating = [slot for slot in self.slots if slot.job and slot.job.next_token is not None]
        groups = -(-len(generating) // (SMALL_DECODE - 1))
        for group in range(groups):  # 8 sequences: two decodes of 4
            parts = [(slot, [slot.job.next_token], True) for slot in generating[group::groups]]
            for slot, _, _ in parts:
                slot.job.next_token = None  # sampling sets the next one
            self._decode(parts)
            self.profile.generation_decodes += 1
            self.profile.generated += len(parts)
        prompts = [slot for slot in self.slots if slot.job and slot.job.pending]
        if prompts:
            slot = min(prompts, key=lambda s: s.job.admitted)  # the first come, whole, first
            job = slot.job
            size = prompt_chunk(len(job.pending), self.chunk)
            chunk, job.pending = job.pending[:size], job.pending[size:]
            job.evaluated += len(chunk)
            self._decode([(slot, chunk, not job.pending)], prompt=True)
            self.profile.prompt_decodes += 1
            self.profile.prompt_tokens += len(chunk)

    def _decode(self, parts: list[tuple[_Sequence, list[int], bool]], prompt: bool = False) -> None:
        """Decode each sequence's tokens at its next positions; sample those that asked for logits.
        `prompt`: the tokens are a prompt's (for the profile)."""
        batch, n = self.batch, 0
        sampling: list[tuple[int, _Sequence]] = []
        for slot, tokens, wants_logits in parts:
            for token in tokens:
                batch.token[n] = token
                batch.pos[n] = len(slot.cached)
                batch.n_seq_id[n] = 1
                batch.seq_id[n][0] = slot.seq_id
                batch.logits[n] = False
                slot.cached.append(token)
                n += 1
            if wants_logits:
                batch.logits[n - 1] = True
                sampling.append((n - 1, slot))
        batch.n_tokens = n
        started = time.perf_counter()
        status = C.llama_decode(self.ctx, batch)
        decoded = time.perf_counter()
        if prompt:
            self.profile.prompt_seconds += decoded - started
        else:
            self.profile.generation_seconds += decoded - started
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status}")
        for index, slot in sampling:
            self._sample(slot, index)
        self.profile.sampling_seconds += time.perf_counter() - decoded

    def _sample(self, slot: _Sequence, index: int) -> None:
        job = slot.job
        if job.request.grammar is not None and job.temperature <= 0:
            token = self._greedy_within_grammar(job, index)
        else:
            token = C.llama_sampler_sample(job.sampler, self.ctx, index)
        job.sampled += 1
        if C.llama_vocab_is_eog(self.vocab, token):
            return self._finish(slot, job.text)
        size = C.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, False)
        job.text += job.decoder.decode(self._piece.raw[: max(size, 0)])
        text, stopped = cut_at_stop(job.text, job.request.stop)
        if stopped or job.sampled >= job.request.max_tokens:
            return self._finish(slot, text)
        if job.stop_when is not None and job.stop_when(text):
            return self._finish(slot, text)
        job.next_token = token

    def _greedy_within_grammar(self, job: _Job, index: int) -> int:
        """The best token the grammar allows. llama.cpp's grammar sampler tries every token of the
        vocabulary (151,665 for Qwen2.5: a third of a second a token here), so the best of all is
        tried alone first: nearly always allowed, and then it is also the best of those allowed."""
        token = C.llama_sampler_sample(self._greedy, self.ctx, index)
        logits = C.llama_get_logits_ith(self.ctx, index)
        alone = C.llama_token_data(token, logits[token], 0.0)
        candidates = C.llama_token_data_array(ctypes.pointer(alone), 1, -1, False)
        C.llama_sampler_apply(C.llama_sampler_chain_get(job.sampler, 0), ctypes.byref(candidates))
        if alone.logit == -math.inf:  # refused: the whole vocabulary, held to the grammar
            return C.llama_sampler_sample(job.sampler, self.ctx, index)
        C.llama_sampler_accept(job.sampler, token)  # the grammar moves on past it
        return token

    def _finish(self, slot: _Sequence, text: str) -> None:
        job = slot.job
        usage = Usage(
            calls=1,
            prompt_tokens=len(job.prompt),
            evaluated_tokens=job.evaluated,
            completion_tokens=job.sampled,
        )
        # The generated tokens' cells go: they were decoded one at a time, and the next step's
        # prompt, which repeats them, must find what a chunk computes (the same in every run).
        C.llama_memory_seq_rm(self.memory, slot.seq_id, len(job.prompt), -1)
        del slot.cached[len(job.prompt) :]
        self._release(slot)
        _settle(job.future, Completion(text=text, usage=usage))

    def _release(self, slot: _Sequence) -> None:
        if slot.job is None:
            return
        if slot.job.sampler is not None:
            C.llama_sampler_free(slot.job.sampler)
        slot.job = None
        self._clock += 1
        slot.last_used = self._clock


def _settle(future: Future, outcome: Completion | Exception) -> None:
    """Give the caller its answer, unless it has stopped waiting for one."""
    try:
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    except InvalidStateError:  # cancelled meanwhile
        pass

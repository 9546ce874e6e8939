"""Prompt-lookup speculative decoding, evaluated (issue 9, part 4): does it keep greedy output, and
is it faster, for ReAct steps with SmolLM2 on this machine?

    python -m benchmarks.speculative [--questions 22] [--draft 8] [--ngram 3]

It plays demo episodes with `LlamaCppModel` and records every request (prompt, stops, the
stop-at-action check) with the answer. Then each request is answered again twice on one llama.cpp
context, in two sequences that keep their own prefix caches, in the same order:

- plain: one token per `llama_decode`, as `LlamaCppModel` generates (the prompt in one chunk,
  generated cells dropped at the end); its answers must equal the recorded ones;
- lookup: after each token, the tokens that followed the last `--ngram` tokens' latest earlier
  occurrence in the prompt or the answer so far (up to `--draft` of them) are decoded with it in one
  `llama_decode`, and kept while they are what greedy decoding would have chosen.

It prints how many answers and episodes lookup leaves unchanged, the tokens accepted per decode,
and the seconds of each (a ratio measured in one run). A prototype beside the product code: it
goes into the batched decoder only if answers are unchanged and it is faster.
"""

from __future__ import annotations

import argparse
import codecs
import ctypes
import time
from dataclasses import dataclass

import llama_cpp as C

from react_agent import Agent
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
from react_agent.models import Completion, LlamaCppModel, Model, ModelRequest
from react_agent.models.base import StopWhen, cut_at_stop
from react_agent.models.llama_batch import common_prefix
from react_agent.tools.wikipedia import LocalWiki


@dataclass
class Recorded:
    episode: int
    request: ModelRequest
    stop_when: StopWhen | None
    text: str


class Recorder(Model):
    """`LlamaCppModel` that keeps every request it answers."""

    def __init__(self, model: LlamaCppModel):
        self.model, self.name, self.episode = model, model.name, 0
        self.calls: list[Recorded] = []

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        answer = self.model.complete(request, stop_when)
        self.calls.append(Recorded(self.episode, request, stop_when, answer.text))
        return answer

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        return self.complete(request, stop_when)


def draft_from(context: list[int], ngram: int, most: int) -> list[int]:
    """The tokens that followed the latest earlier occurrence of the context's last `ngram`
    tokens (prompt lookup); none if they did not occur before."""
    if most <= 0 or len(context) <= ngram:
        return []
    tail = context[-ngram:]
    for start in range(len(context) - ngram - 1, -1, -1):
        if context[start : start + ngram] == tail:
            return context[start + ngram : start + ngram + most]
    return []


class Sequence:
    """One sequence of the shared context, answering requests greedily, with or without drafts."""

    def __init__(self, model: LlamaCppModel, seq_id: int, draft: int, ngram: int):
        decoder = model._decoder  # its context and batch, used while its scheduler has no work
        self.ctx, self.memory, self.batch = decoder.ctx, decoder.memory, decoder.batch
        self.vocab, self.n_batch = decoder.vocab, decoder.n_batch
        self.model, self.seq_id, self.draft, self.ngram = model, seq_id, draft, ngram
        self.cached: list[int] = []
        self.decodes = self.generated = self.accepted = self.drafted = 0
        self.greedy = C.llama_sampler_init_greedy()
        self.piece = ctypes.create_string_buffer(256)

    def _decode(self, tokens: list[int], logits_from: int) -> None:
        """Decode `tokens` at the sequence's next positions, logits for those from `logits_from`."""
        for n, token in enumerate(tokens):
            self.batch.token[n] = token
            self.batch.pos[n] = len(self.cached)
            self.batch.n_seq_id[n] = 1
            self.batch.seq_id[n][0] = self.seq_id
            self.batch.logits[n] = n >= logits_from
            self.cached.append(token)
        self.batch.n_tokens = len(tokens)
        if C.llama_decode(self.ctx, self.batch) != 0:
            raise RuntimeError("llama_decode failed")
        self.decodes += 1

    def _argmax(self, index: int) -> int:
        return C.llama_sampler_sample(self.greedy, self.ctx, index)

    def complete(self, call: Recorded) -> str:
        request, prompt = call.request, self.model.tokenize(call.request.prompt)
        kept = min(common_prefix(self.cached, prompt), len(prompt) - 2)  # as LlamaCppModel does
        C.llama_memory_seq_rm(self.memory, self.seq_id, kept, -1)
        del self.cached[kept:]
        rest = prompt[kept:]
        while len(rest) > self.n_batch:
            self._decode(rest[: self.n_batch], self.n_batch)
            rest = rest[self.n_batch :]
        self._decode(rest, len(rest) - 1)
        token, generated, text = self._argmax(len(rest) - 1), [], ""
        utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            # `token` is chosen and not decoded yet. With a draft, one decode checks the drafted
            # tokens after it: `taken` are those greedy decoding confirms, `token` becomes the
            # first it would choose instead (or after them all).
            draft = draft_from(prompt + generated + [token], self.ngram, self.draft)
            taken = [token]
            start = len(self.cached)
            self._decode([token, *draft], 0)
            for i, drafted in enumerate(draft):
                if self._argmax(i) != drafted:
                    break
                taken.append(drafted)
            token = self._argmax(len(taken) - 1)
            self.drafted, self.accepted = self.drafted + len(draft), self.accepted + len(taken) - 1
            C.llama_memory_seq_rm(self.memory, self.seq_id, start + len(taken), -1)
            del self.cached[start + len(taken) :]
            for chosen in taken:  # as BatchedDecoder._sample takes each token
                if C.llama_vocab_is_eog(self.vocab, chosen):
                    return self._end(prompt, text)
                size = C.llama_token_to_piece(self.vocab, chosen, self.piece, len(self.piece), 0, False)
                text += utf8.decode(self.piece.raw[: max(size, 0)])
                generated.append(chosen)
                self.generated += 1
                cut, stopped = cut_at_stop(text, request.stop)
                if stopped or len(generated) >= request.max_tokens:
                    return self._end(prompt, cut)
                if call.stop_when is not None and call.stop_when(cut):
                    return self._end(prompt, cut)

    def _end(self, prompt: list[int], text: str) -> str:
        # as LlamaCppModel: the generated tokens' cells go, the next prompt evaluates them in a chunk
        C.llama_memory_seq_rm(self.memory, self.seq_id, len(prompt), -1)
        del self.cached[len(prompt) :]
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=22, help="demo questions to play")
    parser.add_argument("--draft", type=int, default=8, help="most tokens drafted after each token")
    parser.add_argument("--ngram", type=int, default=3, help="tokens matched to find a draft")
    args = parser.parse_args()
    model = LlamaCppModel(sequences=2)
    recorder = Recorder(model)
    env = HotpotQAEnv(LocalWiki.from_corpus(DEMO_WIKI, progress=False))
    questions = load_questions(DEMO_QUESTIONS)[: args.questions]
    for recorder.episode, question in enumerate(questions):
        Agent(recorder, env).run(question)
    calls = recorder.calls
    print(f"recorded {len(calls)} requests of {len(questions)} episodes")

    C.llama_memory_clear(model._decoder.memory, True)  # both sequences start empty
    plain, lookup = Sequence(model, 0, 0, args.ngram), Sequence(model, 1, args.draft, args.ngram)
    seconds = {"plain": 0.0, "lookup": 0.0}
    same_as_recorded = same_as_plain = 0
    changed_episodes: set[int] = set()
    for call in calls:
        started = time.perf_counter()
        plain_text = plain.complete(call)
        middle = time.perf_counter()
        lookup_text = lookup.complete(call)
        seconds["plain"] += middle - started
        seconds["lookup"] += time.perf_counter() - middle
        same_as_recorded += plain_text == call.text
        same_as_plain += lookup_text == plain_text
        if lookup_text != plain_text:
            changed_episodes.add(call.episode)
            print(f"  differs (episode {call.episode + 1}): {plain_text!r} / {lookup_text!r}")
    print(f"plain answers equal to LlamaCppModel's: {same_as_recorded} of {len(calls)}")
    print(
        f"lookup answers equal to plain: {same_as_plain} of {len(calls)}; episodes with every answer "
        f"equal: {len(questions) - len(changed_episodes)} of {len(questions)}"
    )
    for name, sequence in (("plain", plain), ("lookup", lookup)):
        print(
            f"{name}: {seconds[name]:.1f} s, {sequence.generated:,} tokens in {sequence.decodes:,} decodes; "
            f"drafted {sequence.drafted:,}, accepted {sequence.accepted:,}"
        )
    print(f"lookup / plain: {seconds['lookup'] / seconds['plain']:.2f}x the time")


if __name__ == "__main__":
    main()

"""What batched decoding gives: many episodes on one local model, measured in one run.

    python -m benchmarks.batching [--workers 1 4 8] [--n 22] [--model PATH|NAME]

Plays the HotpotQA demo questions (ReAct, temperature 0, the embedded SmolLM2-135M-Instruct unless
`--model`: a GGUF file or a known name such as qwen2.5-coder-1.5b) once per worker count W, on one
`LlamaCppModel(sequences=W)` shared by the W workers, and prints per W: episodes per second and its
ratio to one worker, prompt tokens sent, evaluated (llama.cpp's own count of prompt tokens decoded,
against the requests' usage), generated, and how many episodes took exactly the actions of the
one-worker run. A second table says where the decoder's time went (`DecodeProfile`): llama.cpp's
decodes of prompt chunks and of generated tokens (with the mean number of sequences per generation
decode), sampling, the rest of its loop, and the time it sat idle waiting for requests (the agents'
and environments' side). A last row plays one worker through llama-cpp-python's own
`Llama.create_completion` (the backend before batching) for the speed of a single episode, unless
`--no-baseline`. Models are loaded before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from react_agent import Agent
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
from react_agent.models import Completion, LlamaCppModel, Model, ModelRequest
from react_agent.models.base import StopWhen
from react_agent.models.llama_batch import DecodeProfile
from react_agent.models.llama_cpp import load_models_as_we_do
from react_agent.models.named import NAMED_MODELS, named_model_path
from react_agent.runner import run_many
from react_agent.tools.wikipedia import LocalWiki
from react_agent.trajectory import EpisodeResult, Usage


class HighLevelLlama(Model):
    """One sequence through llama-cpp-python's `Llama`, as `LlamaCppModel` decoded before it
    batched: the KV cache of the last prompt reused, decoding stopped once the action is whole."""

    def __init__(self, path: Path):
        from llama_cpp import Llama

        load_models_as_we_do()
        self.name = path.name
        self.llm = Llama(model_path=str(path), n_ctx=8192, n_threads=os.cpu_count(), verbose=False)

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        text, pieces = "", 0
        stream = self.llm.create_completion(
            request.prompt, max_tokens=request.max_tokens, stop=request.stop, temperature=0.0, stream=True
        )
        for chunk in stream:
            text += chunk["choices"][0]["text"]
            pieces += 1
            if stop_when is not None and stop_when(text):
                break
        stream.close()
        return Completion(text=text, usage=Usage(calls=1, completion_tokens=pieces))

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        return self.complete(request, stop_when)


def play(model, questions: list, workers: int, wiki: LocalWiki) -> tuple[float, list[EpisodeResult]]:
    started = time.perf_counter()
    results = asyncio.run(run_many(questions, lambda: Agent(model, HotpotQAEnv(wiki)), workers=workers))
    return time.perf_counter() - started, results


def actions(results: list[EpisodeResult]) -> dict[str, list[str]]:
    return {r.task_id: [s.action.text for s in r.steps] for r in results}


def where_the_time_went(profiles: dict[int, tuple[float, DecodeProfile]]) -> str:
    """A markdown table: per worker count, the run's seconds split by what the decoder did."""
    columns = ["workers", "s", "prompt decodes: s (tokens/s)", "generation decodes: s (tokens/s, batch)"]
    columns += ["sampling s", "scheduler's Python s", "idle s (agents, environments)"]
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for workers, (seconds, p) in profiles.items():
        other = p.busy - p.prompt_seconds - p.generation_seconds - p.sampling_seconds
        batch = p.generated / p.generation_decodes if p.generation_decodes else 0
        prompt_rate = p.prompt_tokens / p.prompt_seconds
        lines.append(
            f"| {workers} | {seconds:.1f} | {p.prompt_seconds:.1f} ({prompt_rate:.0f}) "
            f"| {p.generation_seconds:.1f} ({p.generated / p.generation_seconds:.1f}, {batch:.2f}) "
            f"| {p.sampling_seconds:.1f} | {other:.1f} | {seconds - p.busy:.1f} |"
        )
    return "\n".join(lines)


def prompt_rates(path: Path, sizes: list[int], repack: bool) -> str:
    """A markdown table: prompt tokens evaluated per second in one decode of a chunk of each size
    (a fresh prompt each time: nothing comes from the cache). Where the rate stops growing with the
    chunk, putting several sequences' chunks in one decode cannot make prompts cheaper."""
    model = LlamaCppModel(path, sequences=1, repack=repack)
    lines = ["| chunk (tokens) | s per chunk | prompt tokens/s |", "|---|---|---|"]
    for size in sizes:
        words = [f"w{i}" for i in range(size)]
        per_word = len(model.tokenize(" ".join(words))) / size
        text = " ".join(words[: max(1, int(size / per_word))])  # about `size` tokens: the table says how many
        before = (model.profile.prompt_seconds, model.profile.prompt_tokens)
        for rep in range(2):
            model.complete(ModelRequest(f"[{size}.{rep}] {text}", max_tokens=1))
        seconds = model.profile.prompt_seconds - before[0]
        evaluated = model.profile.prompt_tokens - before[1]
        lines.append(f"| {evaluated // 2} | {seconds / 2:.2f} | {evaluated / seconds:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--n", type=int, default=22, help="demo questions (22 in all)")
    parser.add_argument("--model", help="a GGUF file or a known model's name (default: the embedded SmolLM2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the llama-cpp-python `Llama` row")
    parser.add_argument("--repack", action="store_true", help="llama.cpp's repacked weights (plain_weights)")
    parser.add_argument(
        "--chunks", type=int, nargs="*", default=[], help="also time prompt chunks of these sizes (tokens)"
    )
    args = parser.parse_args()
    if args.model in NAMED_MODELS:
        args.model = named_model_path(args.model)

    if args.chunks:
        print(prompt_rates(args.model, args.chunks, args.repack), end="\n\n", flush=True)
    questions = load_questions(DEMO_QUESTIONS)[: args.n]
    wiki = LocalWiki.from_corpus(DEMO_WIKI, progress=False)
    print(f"{len(questions)} ReAct episodes on the demo questions, temperature 0")
    columns = ["workers", "s", "episodes/s", "ratio", "sent", "evaluated (llama.cpp)", "evaluated/sent"]
    columns += ["generated", "same actions"]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    first: tuple[float, dict] | None = None
    path = args.model
    profiles = {}
    for workers in [1] + [w for w in args.workers if w != 1]:
        model = LlamaCppModel(args.model, sequences=workers, repack=args.repack)
        path = model.path
        seconds, results = play(model, questions, workers, wiki)
        profiles[workers] = (seconds, model.profile)
        usage = sum((r.usage for r in results), Usage())
        fed_back = usage.completion_tokens - usage.calls
        counted = model.decoded_tokens - fed_back  # prompt tokens llama.cpp decoded
        if first is None:
            first = (seconds, actions(results))
        same = sum(actions(results)[task] == taken for task, taken in first[1].items())
        print(
            f"| {workers} | {seconds:.1f} | {len(results) / seconds:.3f} | {first[0] / seconds:.2f}x "
            f"| {usage.prompt_tokens:,} | {usage.evaluated_tokens:,} ({counted:,}) "
            f"| {usage.evaluated_tokens / usage.prompt_tokens:.1%} | {usage.completion_tokens:,} "
            f"| {same} of {len(results)} |",
            flush=True,
        )
        del model
    print()
    print(where_the_time_went(profiles))
    if args.no_baseline:
        return
    seconds, results = play(HighLevelLlama(path), questions, 1, wiki)
    same = sum(actions(results)[task] == taken for task, taken in first[1].items())
    print(
        f"| 1, llama-cpp-python `Llama` | {seconds:.1f} | {len(results) / seconds:.3f} "
        f"| {first[0] / seconds:.2f}x | | | | | {same} of {len(results)} |"
    )


if __name__ == "__main__":
    main()

"""What concurrency buys against a slow remote model, measured in one run.

    python -m benchmarks.workers [--delay 0.5] [--n 16] [--workers 8]

Plays the same HotpotQA demo questions through `react bench`'s runner against an OpenAI-compatible
server on 127.0.0.1 that waits `--delay` seconds before each answer (a remote model's latency), once
with one worker and once with `--workers`, and prints the wall times and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.checkout import from_tests
from react_agent import Agent
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
from react_agent.models import OpenAIModel
from react_agent.runner import run_many
from react_agent.tools.wikipedia import LocalWiki

servers = from_tests("openai_server")  # the OpenAI-like server of the tests, on 127.0.0.1

ANSWERS = [" I search it.\nAction 1: Search[Paris]", " So.\nAction 2: Finish[Seine]"]


def answer(prompt: str) -> str:
    return ANSWERS[min(prompt.rsplit("\nQuestion: ", 1)[1].count("\nObservation "), 1)]


def timed_run(url: str, questions: list, workers: int, wiki: LocalWiki) -> float:
    model = OpenAIModel("slow", base_url=url)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        asyncio.run(
            run_many(
                questions,
                lambda: Agent(model, HotpotQAEnv(wiki)),
                workers=workers,
                out=Path(scratch) / "run.jsonl",
            )
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds the server waits per answer")
    parser.add_argument("--n", type=int, default=16, help="questions per run")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    questions = load_questions(DEMO_QUESTIONS)[: args.n]
    wiki = LocalWiki.from_corpus(DEMO_WIKI)
    with servers.scripted_openai_server(answer_for=answer, delay=args.delay) as server:
        url = servers.url_of(server, "/v1")
        one = timed_run(url, questions, 1, wiki)
        many = timed_run(url, questions, args.workers, wiki)
    print(f"{args.n} episodes of 2 model calls, server delay {args.delay} s per call")
    print(f"--workers 1: {one:.2f} s")
    print(f"--workers {args.workers}: {many:.2f} s")
    print(f"speed-up: {one / many:.2f}x (ideal {min(args.workers, args.n)}x)")


if __name__ == "__main__":
    main()

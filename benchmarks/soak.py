"""A long run against a server that fails: every episode must end with exactly one line, and the
process must not grow.

    python -m benchmarks.soak [--episodes 1000] [--workers 16] [--fault-rate 0.1]

The server (tests/openai_server.py, in a child process of its own so that its memory is not
ours) answers like a model that searches and finishes, and fails 10% of calls, each time in one of
the ways of `FAULTS` (error statuses, 429 with Retry-After, resets before and during the stream,
stalls, malformed events, non-streamed and empty bodies). The run is `run_many` with
`OpenAIModel`, as `react bench --workers 16` plays it. Printed: episodes, lines per task, stop
reasons, faults injected, seconds, and RSS after episode 100 and after the last.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.checkout import from_tests
from react_agent.agent import Agent
from react_agent.environment import task_id_of
from react_agent.models.openai import OpenAIModel
from react_agent.results import read_results
from react_agent.runner import run_many
from react_agent.toolbox import tool

servers = from_tests("openai_server")  # the OpenAI-like server of the tests, on 127.0.0.1


def answer(prompt: str) -> str:
    """Search the question's last word, then answer with the observation's first word."""
    episode = prompt.rsplit("Question: ", 1)[1]
    if "\nObservation 1:" not in episode:
        return f" I look.\nAction 1: Lookup[{episode.split(chr(10), 1)[0].split()[-1]}]"
    return f" So.\nAction 2: Finish[{episode.rsplit('Observation 1: ', 1)[1].split()[0]}]"


@tool
def lookup(word: str) -> str:
    """looks a word up."""
    return f"{word.upper()} is a word."


def serve(port_out: multiprocessing.Queue, fault_rate: float, seed: int) -> None:
    chance = random.Random(seed)

    def faults(number: int, body: dict) -> str | None:
        return chance.choice(servers.FAULTS) if chance.random() < fault_rate else None

    with servers.scripted_openai_server(answer_for=answer, faults=faults) as server:
        server.stall_seconds = 3.0
        server.requests = _Counter()  # count requests without keeping their bodies
        port_out.put(server.server_address[1])
        while True:
            time.sleep(3600)


class _Counter(list):
    def append(self, item: object) -> None:  # the handler numbers requests by len(requests)
        super().append(None)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.fault_rate, args.seed), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=60)}/v1"
    model = OpenAIModel("soak", base_url=url, timeout=1.0, backoff=0.05)
    questions = [f"What is word{i}?" for i in range(args.episodes)]
    rss: dict[int, float] = {}
    finished = [0]

    def on_result(result: object) -> None:
        finished[0] += 1
        if finished[0] in (100, args.episodes):
            rss[finished[0]] = rss_mb()

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "soak.jsonl"
        started = time.perf_counter()
        asyncio.run(
            run_many(
                questions,
                lambda: Agent(model, tools=[lookup], max_steps=3),
                workers=args.workers,
                out=out,
                on_result=on_result,
                keep_results=False,  # as react bench plays it
            )
        )
        seconds = time.perf_counter() - started
        results = list(read_results(out))
    server.kill()
    per_task = Counter(Counter(r.task_id for r in results).values())
    expected = {task_id_of(q): q.split()[-1].upper() for q in questions}  # WORD7? for word7?
    right = sum(r.answer == expected[r.task_id] for r in results)
    calls = sum(r.usage.calls for r in results)
    growth = rss[args.episodes] / rss[100] - 1
    print(f"episodes: {args.episodes}; lines written: {len(results)}; lines per task: {dict(per_task)}")
    print(f"every task exactly once: {per_task == Counter({1: args.episodes})}")
    print(f"stop reasons: {dict(Counter(r.stop_reason.value for r in results))}; right answers: {right}")
    print(f"model calls answered: {calls}; faults injected: about {args.fault_rate:.0%} of all requests")
    print(f"{args.workers} workers, {seconds:.1f} s")
    last = rss[args.episodes]
    print(f"RSS after episode 100: {rss[100]:.1f} MB; after {args.episodes}: {last:.1f} MB ({growth:+.1%})")


if __name__ == "__main__":
    main()

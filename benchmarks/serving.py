"""The embedded model in-process against the same model behind llama-cpp-python's server,
measured in one run.

    python -m benchmarks.serving [--n 8]

Plays the first N HotpotQA demo questions with ReAct, one episode at a time, with `LlamaCppModel`
and with `OpenAIModel` against `python -m llama_cpp.server` (completions endpoint), both loaded
before the clock starts. Printed for each: seconds per episode, the token counts it reports, and
for the server, the share of its prompt tokens that its log says came from the prefix of the
request before (it reports no cached tokens through the API); then the ratio of times and how
many episodes took the same actions both ways.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from benchmarks.checkout import from_tests
from react_agent import Agent
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
from react_agent.models import LlamaCppModel, OpenAIModel
from react_agent.models.llama_cpp import embedded_model_path
from react_agent.tools.wikipedia import LocalWiki
from react_agent.trajectory import EpisodeResult, Usage

HIT = re.compile(r"Llama.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens")


def play(model: object, questions: list, env: HotpotQAEnv) -> tuple[float, list[EpisodeResult]]:
    started = time.perf_counter()
    results = [Agent(model, env).run(question) for question in questions]
    return (time.perf_counter() - started) / len(questions), results


def shown(usage: Usage) -> str:
    def count(value: int | None) -> str:
        return "n/a" if value is None else f"{value:,}"

    return (
        f"sent {count(usage.prompt_tokens)}, evaluated {count(usage.evaluated_tokens)}, "
        f"generated {count(usage.completion_tokens)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="demo questions played each way")
    args = parser.parse_args()
    questions = load_questions(DEMO_QUESTIONS)[: args.n]
    env = HotpotQAEnv(LocalWiki.from_corpus(DEMO_WIKI, progress=False))

    local_seconds, local = play(LlamaCppModel(), questions, env)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        with from_tests("llama_server").llama_cpp_server(embedded_model_path(), log, n_ctx=8192) as url:
            served_seconds, served = play(OpenAIModel("smollm2", base_url=url), questions, env)
        hits = [(int(hit), int(rest)) for hit, rest in HIT.findall(log.read_text())]

    usage = [sum((r.usage for r in results), Usage()) for results in (local, served)]
    reused = sum(hit for hit, _ in hits) / max(1, sum(hit + rest for hit, rest in hits))
    same = sum(
        [s.action for s in a.steps] == [s.action for s in b.steps] for a, b in zip(local, served, strict=True)
    )
    print(f"{args.n} demo questions, ReAct, one episode at a time")
    print(f"in-process:       {local_seconds:.2f} s/episode; {shown(usage[0])}")
    print(f"llama_cpp.server: {served_seconds:.2f} s/episode; {shown(usage[1])}")
    print(f"  its log: {reused:.1%} of prompt tokens came from the prefix of the request before")
    print(f"server / in-process: {served_seconds / local_seconds:.2f}x")
    print(f"episodes with the same actions both ways: {same}/{args.n}")


if __name__ == "__main__":
    main()

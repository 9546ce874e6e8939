"""How much of a step is the framework's own cost, against the model's, measured in one run.

    python -m benchmarks.overhead [--episodes 200]

Plays scripted episodes on the demo set (no model cost: what remains is parsing, prompt building,
records, the wiki lookup) and one episode of the embedded SmolLM2, and prints the ratio.
"""

from __future__ import annotations

import argparse
import time

from react_agent import Agent
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
from react_agent.models import LlamaCppModel, ScriptedModel
from react_agent.tools.wikipedia import LocalWiki

SCRIPT = [
    " I need the first page.\nAction 1: Search[Eiffel Tower]",
    " Now the city.\nAction 2: Search[Paris]",
    " Look for the river.\nAction 3: Lookup[river]",
    " Done.\nAction 4: Finish[Seine]",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    args = parser.parse_args()
    env = HotpotQAEnv(LocalWiki.from_corpus(DEMO_WIKI))
    question = load_questions(DEMO_QUESTIONS)[0]

    started = time.perf_counter()
    steps = env_seconds = 0.0
    for _ in range(args.episodes):
        result = Agent(ScriptedModel(SCRIPT), env).run(question)
        steps += len(result.steps)
        env_seconds += sum(s.env_seconds for s in result.steps)
    framework_per_step = (time.perf_counter() - started - env_seconds) / steps
    wiki_per_step = env_seconds / steps

    result = Agent(LlamaCppModel(), env, max_steps=4).run(question)
    model_per_step = sum(s.model_seconds for s in result.steps) / len(result.steps)
    print(f"framework per step: {framework_per_step * 1e3:.3f} ms (scripted model, {int(steps)} steps)")
    print(f"local wiki per step: {wiki_per_step * 1e3:.3f} ms")
    print(f"SmolLM2-135M per step: {model_per_step * 1e3:.0f} ms ({len(result.steps)} steps, first one cold)")
    print(f"framework / model: {framework_per_step / model_per_step:.5f}")


if __name__ == "__main__":
    main()

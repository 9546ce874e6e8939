"""What a GPU gives: one local model against many episodes at once, measured in one run.

    python -m benchmarks.gpu_check [--n 64] [--workers 32] [--n-gpu-layers -1] [--model PATH]

For a machine with a GPU and llama-cpp-python built for it
(`CMAKE_ARGS="-DGGML_CUDA=on" pip install -e ".[local]"`). Plays N ReAct episodes on the HotpotQA
demo questions (repeated, each copy its own task) with every layer on the GPU, once with one
worker and once with `--workers`, and prints the device, episodes per second for each, and their
ratio. The workers share one model whose context holds a sequence for each of them
(`LlamaCppModel(sequences=W)`): their tokens decode together, one batch per step. Models are loaded
before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import time

from react_agent import Agent
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, HotpotQAEnv, load_questions
from react_agent.models import LlamaCppModel
from react_agent.runner import run_many
from react_agent.tools.wikipedia import LocalWiki


def device_name() -> str:
    try:
        answer = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "no nvidia-smi: no NVIDIA GPU seen"
    return answer.stdout.strip() or answer.stderr.strip()


def episodes_per_second(model: LlamaCppModel, questions: list, env_of: object) -> float:
    started = time.perf_counter()
    asyncio.run(
        run_many(questions, lambda: Agent(model, env_of()), workers=model.sequences, keep_results=False)
    )
    return len(questions) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="episodes per measurement")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--n-gpu-layers", type=int, default=-1, help="-1: every layer on the GPU")
    parser.add_argument("--model", help="a GGUF file (default: the embedded SmolLM2-135M-Instruct)")
    args = parser.parse_args()

    from llama_cpp import llama_supports_gpu_offload

    print(f"device: {device_name()}; llama.cpp GPU offload: {llama_supports_gpu_offload()}")
    demo = load_questions(DEMO_QUESTIONS)
    questions = [
        q.model_copy(update={"id": f"{q.id}-{i // len(demo)}"}) for i, q in enumerate(demo * args.n)
    ][: args.n]
    wiki = LocalWiki.from_corpus(DEMO_WIKI, progress=False)

    def model(sequences: int) -> LlamaCppModel:
        return LlamaCppModel(args.model, n_gpu_layers=args.n_gpu_layers, sequences=sequences)

    one = episodes_per_second(model(1), questions, lambda: HotpotQAEnv(wiki))
    many = episodes_per_second(model(args.workers), questions, lambda: HotpotQAEnv(wiki))
    print(f"{args.n} ReAct episodes, n_gpu_layers {args.n_gpu_layers}")
    print(f"1 worker: {one:.2f} episodes/s; {args.workers} workers: {many:.2f} episodes/s")
    print(f"ratio: {many / one:.2f}x")


if __name__ == "__main__":
    main()

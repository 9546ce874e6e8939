"""The Ray executor's cost against the local one, as a ratio measured in one run.

    python -m benchmarks.ray_overhead [--questions 40] [--workers 4] [--delay 0.2]

The same `react bench` (demo and shared questions, answered by the scripted OpenAI-like server,
`--delay` seconds per answer) with `--workers N`, played here and on a local Ray instance that the
command starts. Printed: seconds per episode for each, the ratio, and Ray's start-up time (a cost
once per run, not per episode).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.checkout import from_tests

servers = from_tests("openai_server")  # the OpenAI-like server of the tests, on 127.0.0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--data", default="../shared/data/hotpotqa/hotpot_dev_distractor_sample.jsonl")
    args = parser.parse_args()
    seconds = {}
    with (
        servers.scripted_openai_server(answer_for=servers.search_then_answer, delay=args.delay) as server,
        tempfile.TemporaryDirectory() as folder,
    ):
        for executor in ("local", "ray"):
            command = [
                sys.executable,
                "-m",
                "react_agent.cli",
                "bench",
                "--task",
                "hotpotqa",
                "--data",
                args.data,
            ]
            command += [
                "--model",
                "openai:m",
                "--base-url",
                servers.url_of(server, "/v1"),
                "--n",
                str(args.questions),
            ]
            command += [
                "--workers",
                str(args.workers),
                "--executor",
                executor,
                "--out",
                str(Path(folder) / f"{executor}.jsonl"),
            ]
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            seconds[executor] = time.perf_counter() - started
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    ray.shutdown()
    per = {k: v / args.questions for k, v in seconds.items()}
    print(f"{args.questions} questions, {args.workers} workers, {args.delay:g} s per model answer")
    local, ray_run = per["local"], per["ray"]
    print(f"local: {local:.3f} s/episode; ray: {ray_run:.3f} s/episode ({ray_run / local:.2f}x)")
    steady = (seconds["ray"] - ray_start) / args.questions
    print(f"Ray's start-up: {ray_start:.1f} s; without it: {steady:.3f} s/episode ({steady / local:.2f}x)")


if __name__ == "__main__":
    main()

"""Running `react ...` as a user does, in a process of its own, and reading what it wrote."""

import json
import subprocess
import sys

from openai_server import search_then_answer

answer_for = search_then_answer  # the scripted server's deterministic model (see its docstring)


def bench_command(url, out, *extra):
    return [
        sys.executable,
        "-m",
        "react_agent.cli",
        "bench",
        "--task",
        "hotpotqa",
        "--model",
        "openai:m",
        "--base-url",
        url,
        "--out",
        str(out),
        *map(str, extra),
    ]


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "react_agent.cli", *map(str, args)], capture_output=True, text=True
    )


def lines_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def by_task(path):
    return {
        r["task_id"]: (r["answer"], r["metrics"], len(r["steps"]), r.get("failure_category"))
        for r in lines_of(path)
    }


def one_error_line(process):
    assert process.returncode == 2, process.stderr
    # A wiki indexed on first use says so in a line of its own; the error is one line besides.
    lines = [line for line in process.stderr.splitlines() if line.strip() and not line.startswith("indexed ")]
    assert len(lines) == 1 and lines[0].startswith("react: error: ") and "Traceback" not in process.stderr
    return lines[0]


def sampling_answer_for(prompt: str) -> str:
    """CoT answers that depend on the sample: a majority for 'Paris', one odd one out."""
    if prompt.endswith("Thought:"):
        sampling_answer_for.calls += 1
        city = "Lyon" if sampling_answer_for.calls % 3 == 0 else "Paris"
        return f" It must be {city}.\nAnswer: {city}"
    return answer_for(prompt)


sampling_answer_for.calls = 0

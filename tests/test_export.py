"""Fine-tuning export: each example, read back, is the trajectory it was written from."""

import json
import subprocess
import sys

from conftest import REPO
from react_agent.export import examples, solved, steps_of
from react_agent.results import read_results

RUNS = REPO / "benchmarks" / "runs"


def test_exported_examples_read_back_to_their_trajectories():
    """Every published run whose steps carry observations (numbered, actions, commands)."""
    checked = set()
    for path in sorted(RUNS.glob("*.jsonl")):
        played = [r for r in read_results(path) if r.config.format == "text"]  # tools: test_tool_calls
        results = [r for r in played if r.steps and "votes" not in r.config.prompts and one_line_steps(r)]
        written = list(examples(played))
        assert len(written) == len(results)
        for result, example in zip(results, written, strict=True):
            if example["format"] not in ("numbered", "actions", "commands"):
                break  # one-step answers: the completion is the answer itself
            assert example["task_id"] == result.task_id and example["prompt"] == result.question + "\n"
            assert steps_of(example) == [
                (s.thought, s.action.text, s.observation.rstrip("\n")) for s in result.steps
            ]
            checked.add(example["format"])
    assert {"numbered", "actions"} <= checked


def one_line_steps(result):
    """A line format holds a step whose thought and action are one line each."""
    return not any("\n" in s.thought or "\n" in s.action.text for s in result.steps)


def test_replies_the_paper_parsing_took_whole_are_left_out_and_counted(tmp_path):
    """`--paper` takes all of a reply after `Action i:` as the action: with Qwen, often the next
    step and an observation it made up. Such a step would not read back, nor teach anything."""
    run = RUNS / "hotpotqa-sample100-react-paper-qwen1.5b.jsonl"
    results = list(read_results(run))
    multiline = [r.task_id for r in results if not one_line_steps(r)]
    assert multiline and [e["task_id"] for e in examples(results)] == [
        r.task_id for r in results if r.task_id not in multiline
    ]
    out = tmp_path / "train.jsonl"
    process = subprocess.run(
        [sys.executable, "-m", "react_agent.cli", "export", str(run), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    assert f"wrote {len(results) - len(multiline)} examples of {len(results)} episodes" in process.stdout
    assert f"left out {len(multiline)} episodes whose steps their format cannot write back" in process.stdout


def test_chat_examples_give_the_model_its_turns_and_the_environment_the_rest():
    [result] = [r for r in read_results(RUNS / "hotpotqa-demo-react-smollm2.jsonl") if r.task_id == "demo-01"]
    [example] = list(examples([result], "chat"))
    messages = example["messages"]
    assert messages[0] == {"role": "user", "content": result.question}
    step = result.steps[0]
    assert messages[1] == {
        "role": "assistant",
        "content": f"Thought 1: {step.thought}\nAction 1: {step.action.text}",
    }
    assert messages[2] == {"role": "user", "content": f"Observation 1: {step.observation}"}
    assert len(messages) == 1 + 2 * len(result.steps)


def test_export_command_keeps_only_the_successes_when_asked(tmp_path):
    out = tmp_path / "train.jsonl"
    command = [sys.executable, "-m", "react_agent.cli", "export", RUNS / "hotpotqa-demo-act-smollm2.jsonl"]
    process = subprocess.run(
        [*map(str, command), "--out", str(out), "--only-success"], capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    wanted = [
        r.task_id for r in read_results(RUNS / "hotpotqa-demo-act-smollm2.jsonl") if solved(r) and r.steps
    ]
    assert [e["task_id"] for e in kept] == wanted and wanted
    assert f"wrote {len(wanted)} examples of 22 episodes" in process.stdout


def test_results_of_voting_methods_are_not_one_trajectory_and_are_left_out():
    assert list(examples(read_results(RUNS / "hotpotqa-demo-cot-sc5-smollm2.jsonl"))) == []

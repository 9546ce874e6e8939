"""`react optimize`: examples bootstrapped from the model's own successes on training tasks, their
provenance, the refusals that keep training and test tasks apart, and examples that rebuild byte
for byte from the training episodes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHARED_DATA, need_shared
from openai_server import scripted_openai_server, url_of
from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, load_questions

REPO = Path(__file__).resolve().parent.parent
SAMPLE = SHARED_DATA / "hotpotqa" / "hotpot_dev_distractor_sample.jsonl"
RUNS = REPO / "benchmarks" / "runs"
TRAINING = (
    REPO / "benchmarks" / "training"
)  # training runs no published row scores: ALFWorld's generated games
PROMPTS = REPO / "benchmarks" / "prompts"


def react(*arguments, **kwargs):
    """`react ...` in a process of its own, as a user runs it."""
    command = [sys.executable, "-m", "react_agent.cli", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)


def error_lines(process) -> list[str]:
    """What a command said was wrong (its log's info lines aside)."""
    return [line for line in process.stderr.splitlines() if line.startswith("react: error:")]


def lines_of(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


# ---------------------------------------------------------------- examples rebuilt from the runs


def rebuilt(result: dict, step_format: str) -> str:
    """An example written again from a results line alone: the task, then for each step the label
    the model was asked after, its recorded output and the recorded observation (none after a
    final `Finish`). Written here from the formats' layouts, not with the code under test."""
    text = result["question"] + "\n"
    steps = result["steps"]
    for step in steps:
        i, [output] = step["index"], step["model_outputs"]
        label = {"numbered": f"Thought {i}:", "actions": f"Action {i}:", "commands": ">"}[step_format]
        text += label + output.rstrip("\n") + "\n"
        if step is steps[-1] and step["action"]["name"] == "finish":
            break
        observation = step["observation"]
        text += observation + "\n" if step_format == "commands" else f"Observation {i}: {observation}\n"
    return text


def check_rebuilt(prompt_file: Path, results: list[dict]) -> int:
    """Every example of the file is its task's episode rebuilt from `results`; returns how many."""
    data = json.loads(prompt_file.read_text())
    record = data["bootstrapped"]
    by_id = {r["task_id"]: r for r in results if r["config"]["hash"] == record["run"]}
    count = 0
    for key, ids in record["examples"].items():
        entry = data[key]
        examples = "".join(rebuilt(by_id[task_id], entry["format"]) for task_id in ids)
        assert entry["examples"].endswith(examples) and entry["examples"][: -len(examples)].strip() == ""
        count += len(ids)
    return count


def test_published_prompt_files_rebuild_byte_for_byte_from_their_training_runs():
    """The bootstrapped prompt files behind benchmarks/README.md hold nothing but the model's own
    recorded outputs and the recorded observations of the run their provenance names."""
    files = sorted(PROMPTS.glob("*.json"))
    assert files
    for prompt_file in files:
        record = json.loads(prompt_file.read_text())["bootstrapped"]
        [run] = [
            path
            for path in sorted([*RUNS.glob("*.jsonl"), *TRAINING.glob("*.jsonl")])
            if json.loads(path.read_text().split("\n", 1)[0])["config"]["hash"] == record["run"]
            and "sample100-"
            not in path.name  # the 100-question run of a 410-question config has no task past 100
        ]
        assert check_rebuilt(prompt_file, lines_of(run)) == sum(map(len, record["examples"].values()))
        if record["task"] == "hotpotqa":
            assert record["range"] == "201-410"  # 101-200 chose the selection rule, 1-100 are the test
            if SAMPLE.exists():
                assert not set(record["training"]) & {f"id:{q.id}" for q in load_questions(SAMPLE)[:200]}
        else:  # ALFWorld: generated games, none of them a built-in (test) game
            assert record["data"] != "built-in" and run.parent == TRAINING


def test_from_a_published_run_writes_its_successes_with_provenance(tmp_path):
    need_shared(SAMPLE)
    run = RUNS / "hotpotqa-sample410-react-qwen1.5b.jsonl"
    out = tmp_path / "opt.json"
    process = react(
        "optimize", "--task", "hotpotqa", "--data", SAMPLE, "--range", "201-410", "--from", run, "--out", out
    )
    assert process.returncode == 0, process.stderr
    data = json.loads(out.read_text())
    record = data["bootstrapped"]
    results = lines_of(run)
    config = results[0]["config"]
    assert record["model"] == config["model"] and record["model_sha256"] == config["model_sha256"]
    assert record["run"] == config["hash"] and record["method"] == "react"
    assert record["data_files"][0]["sha256"] == config["data_files"][0]["sha256"]
    assert record["training_tasks"] == 210 and record["range"] == "201-410"
    sample = load_questions(SAMPLE)
    trained = {q.id for q in sample[200:]}
    solved = [r for r in results if r["task_id"] in trained and r["metrics"]["em"] == 1.0]
    assert record["successes"] == len([r for r in solved if r["stop_reason"] == "finished"])
    [ids] = record["examples"].values()
    assert len(ids) == 6 == len(set(ids)) and set(ids) <= {r["task_id"] for r in solved}
    assert all(len(next(r for r in results if r["task_id"] == i)["steps"]) > 1 for i in ids)
    assert check_rebuilt(out, results) == 6
    assert f"id:{sample[200].id}" in record["training"] and f"id:{sample[199].id}" not in record["training"]
    # Everything but the examples is the prompt the run played with.
    ours = json.loads((REPO / "react_agent" / "prompts" / "hotpotqa.json").read_text())["react"]
    assert data["react"]["format"] == "numbered" and data["react"]["examples"].startswith(
        ours["examples"][: ours["examples"].index("Question:")] + "Question: "
    )


def test_from_a_run_of_the_test_games_or_questions_is_refused(tmp_path):
    need_shared(SAMPLE)
    # The first 100 shared questions are the test set of every paired comparison.
    process = react(
        "optimize", "--task", "hotpotqa", "--data", SAMPLE, "--range", "90-410",
        "--from", RUNS / "hotpotqa-sample410-react-qwen1.5b.jsonl", "--out", tmp_path / "opt.json",
    )  # fmt: skip
    assert process.returncode == 2 and "tasks 1-100" in process.stderr and "Traceback" not in process.stderr
    assert len(error_lines(process)) == 1 and not (tmp_path / "opt.json").exists()
    # The 60 built-in games are a test set whole.
    paper = SHARED_DATA / "react-prompts" / "paper_prompts.json"
    run = RUNS / "alfworld-builtin60-react-paper-examples-qwen1.5b.jsonl"
    out = tmp_path / "opt.json"
    process = react("optimize", "--task", "alfworld", "--prompt-file", paper, "--from", run, "--out", out)
    assert process.returncode == 2 and "test set" in process.stderr, process.stderr
    assert not (tmp_path / "opt.json").exists()


# ---------------------------------------------------------------- end to end, with a scripted server


def questions_file(path: Path) -> Path:
    """The demo questions under a file of their own (not the demo set: its questions are a test set)."""
    path.write_text(DEMO_QUESTIONS.read_text())
    return path


def answering(questions, right):
    """A scripted model: it searches the question's last word, then answers; right (the gold answer)
    for the questions numbered in `right` (1-based), wrong for the others."""
    gold = {q.question: (n in right, q.answer) for n, q in enumerate(questions, start=1)}

    def answer_for(prompt: str) -> str:
        episode = prompt.rsplit("\nQuestion: ", 1)[1]
        question = episode.split("\n", 1)[0]
        if "\nObservation 1:" not in episode:
            return f" I look it up.\nAction 1: Search[{question.rstrip('?').split()[-1]}]\n"
        is_right, answer = gold[question]
        return f" So the answer is known.\nAction 2: Finish[{answer if is_right else 'nobody'}]"

    return answer_for


@pytest.fixture
def hotpotqa_server():
    questions = load_questions(DEMO_QUESTIONS)
    with scripted_openai_server(answer_for=answering(questions, right={4, 5, 7, 9})) as server:
        yield server


def test_optimize_plays_training_questions_and_bench_plays_with_its_examples(hotpotqa_server, tmp_path):
    data = questions_file(tmp_path / "questions.jsonl")
    model = ["--model", "openai:scripted", "--base-url", url_of(hotpotqa_server, "/v1")]
    common = ["--task", "hotpotqa", "--data", data, "--wiki", DEMO_WIKI, *model]
    out, train = tmp_path / "opt.json", tmp_path / "train.jsonl"
    args = ["optimize", *common, "--range", "3-10", "--k", "3", "--out", out, "--train-out", train]
    process = react(*args)
    assert process.returncode == 0, process.stderr
    assert "4 of 8 training tasks" in process.stdout and "8 played now" in process.stdout
    trained = lines_of(train)
    assert len(trained) == 8
    data_text = json.loads(out.read_text())
    record = data_text["bootstrapped"]
    questions = load_questions(data)
    # Three of the four successes, the shortest (all of two steps: the least text) first.
    assert set(record["examples"]["react"]) < {questions[n - 1].id for n in (4, 5, 7, 9)}
    assert record["model"] == "scripted" and record["run"] == trained[0]["config"]["hash"]
    assert record["range"] == "3-10" and record["training_tasks"] == 8 and record["successes"] == 4
    assert len(record["training"]) == 16  # each question by its id and by its text
    assert check_rebuilt(out, trained) == 3

    again = react(*args)  # resumed: nothing left to play, the same file
    assert again.returncode == 0 and "0 played now" in again.stdout, again.stderr
    assert json.loads(out.read_text()) == data_text

    # Questions it did not train on play with the examples, and the leaderboard says so.
    run = tmp_path / "run.jsonl"
    hotpotqa_server.requests.clear()
    process = react("bench", *common, "--range", "1-2", "--prompt-file", out, "--out", run)
    assert process.returncode == 0, process.stderr
    assert [r["task_id"] for r in lines_of(run)] == [q.id for q in questions[:2]]  # --range 1-2
    first_prompt = hotpotqa_server.requests[0]["prompt"]
    assert data_text["react"]["examples"] in first_prompt
    assert lines_of(run)[0]["config"]["prompts"]["react"]["bootstrapped"] is True
    board = react("leaderboard", run, "--format", "markdown")
    assert "react (bootstrapped examples)" in board.stdout, board.stdout

    # A question it trained on is refused, in one line, before anything is played.
    refused = react("bench", *common, "--range", "2-3", "--prompt-file", out, "--out", tmp_path / "no.jsonl")
    assert refused.returncode == 2 and questions[2].id in refused.stderr and "trained" in refused.stderr
    assert len(error_lines(refused)) == 1 and "Traceback" not in refused.stderr
    # So is the same question in another file, under another id: by its text.
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps([{"question": questions[5].question, "answer": questions[5].answer}]))
    refused = react("bench", *common[:2], "--data", renamed, "--wiki", DEMO_WIKI, *model,
                    "--prompt-file", out, "--out", tmp_path / "no.jsonl")  # fmt: skip
    assert refused.returncode == 2 and "trained" in refused.stderr, refused.stderr


def test_training_data_that_overlaps_the_test_data_is_refused(hotpotqa_server, tmp_path):
    data = questions_file(tmp_path / "questions.jsonl")
    model = ["--model", "openai:scripted", "--base-url", url_of(hotpotqa_server, "/v1")]
    common = ["optimize", "--task", "hotpotqa", "--wiki", DEMO_WIKI, *model, "--out", tmp_path / "opt.json"]
    questions = load_questions(data)
    test = tmp_path / "test.json"  # question 6, under no id of its own
    test.write_text(json.dumps([{"question": questions[5].question, "answer": questions[5].answer}]))
    process = react(*common, "--data", data, "--range", "3-10", "--exclude", test)
    assert process.returncode == 2 and questions[5].id in process.stderr and "test.json" in process.stderr
    assert len(error_lines(process)) == 1 and not hotpotqa_server.requests
    # A results file excludes its tasks by their ids.
    run = tmp_path / "run.jsonl"
    assert react("bench", "--task", "hotpotqa", "--data", data, "--wiki", DEMO_WIKI, *model, "--range", "9-9",
                 "--out", run).returncode == 0  # fmt: skip
    process = react(*common, "--data", data, "--range", "3-10", "--exclude", run)
    assert process.returncode == 2 and questions[8].id in process.stderr, process.stderr
    # The built-in demo questions are the demo leaderboard's test set.
    process = react(*common)
    assert process.returncode == 2 and "test set" in process.stderr, process.stderr
    assert not (tmp_path / "opt.json").exists()


@pytest.mark.slow  # the embedded model plays training questions until it fails to bootstrap
def test_too_few_successes_of_the_embedded_model_write_no_file(tmp_path):
    """SmolLM2-135M answers almost nothing: asked for six examples from two questions, it is
    refused, saying how many it found and how many it needed."""
    data = questions_file(tmp_path / "questions.jsonl")
    out = tmp_path / "opt.json"
    process = react(
        "optimize", "--task", "hotpotqa", "--data", data, "--wiki", DEMO_WIKI, "--range", "1-2",
        "--max-steps", "2", "--out", out,
    )  # fmt: skip
    assert process.returncode == 2, process.stderr
    [line] = error_lines(process)
    assert "of 2 training episodes succeeded" in line and "which needs 6" in line and "no prompt file" in line
    assert not out.exists() and len(lines_of(tmp_path / "opt.train.jsonl")) == 2


# ---------------------------------------------------------------- ALFWorld: generated training games


@pytest.fixture(scope="module")
def training_games(tmp_path_factory):
    """One generated game of each task type (seed 5, not the built-in games' 2022), with the
    commands that win it, by the first observation of its game."""
    pytest.importorskip("alfworld")
    from react_agent.envs.alfworld import AlfWorldEnv, find_games
    from react_agent.envs.alfworld.generator import generate

    folder = tmp_path_factory.mktemp("training-games")
    plans: dict[Path, list[str]] = {}
    generate(folder, 6, seed=5, on_solved=lambda game_file, plan: plans.__setitem__(game_file, plan))
    env, by_start = AlfWorldEnv(), {}
    for game in find_games(folder):
        by_start[env.reset(game)] = plans[game.game_file]
    env.close()
    return folder, by_start


@pytest.mark.slow  # generates and plays ALFWorld games: minutes
def test_alfworld_examples_come_from_won_generated_games_and_keep_their_games_out(training_games, tmp_path):
    folder, by_start = training_games

    def answer_for(prompt: str) -> str:  # the winning commands, one a step, after a thought
        task = prompt.rsplit("Here is the task.\n", 1)[1]
        start, done = task.split("\n>", 1)[0], task.count("\n>") - 1
        plan = [" think: I know the way.", *(f" {command}" for command in by_start.get(start, ["look"]))]
        return plan[min(done, len(plan) - 1)]

    with scripted_openai_server(answer_for=answer_for) as server:
        model = ["--model", "openai:scripted", "--base-url", url_of(server, "/v1")]
        out = tmp_path / "opt.json"
        process = react("optimize", "--task", "alfworld", "--data", folder, *model, "--k", "1", "--out", out)
        assert process.returncode == 0, process.stderr
        data = json.loads(out.read_text())
        record = data["bootstrapped"]
        keys = ["react_clean", "react_cool", "react_examine", "react_heat", "react_put", "react_puttwo"]
        assert sorted(record["examples"]) == keys == sorted(k for k in data if k != "bootstrapped")
        assert record["successes"] == record["training_tasks"] == 6
        assert all(identity.startswith("game:") for identity in record["training"])
        assert check_rebuilt(out, lines_of(tmp_path / "opt.train.jsonl")) == 6
        assert data["react_put"]["examples"].startswith("You are in the middle of a room.")
        assert "\n> think: I know the way.\nOK.\n> " in data["react_put"]["examples"]

        # The games it trained on cannot be scored with it; the built-in games can.
        refused = react("bench", "--task", "alfworld", "--data", folder, *model, "--prompt-file", out,
                        "--out", tmp_path / "no.jsonl")  # fmt: skip
        assert refused.returncode == 2 and "trained the examples" in refused.stderr, refused.stderr
        server.requests.clear()
        run = tmp_path / "run.jsonl"
        process = react("bench", "--task", "alfworld", *model, "--prompt-file", out, "--n", "1",
                        "--max-steps", "2", "--out", run)  # fmt: skip
        assert process.returncode == 0, process.stderr
        assert data["react_put"]["examples"] in server.requests[0]["prompt"]
        # The built-in games themselves are never training games.
        process = react("optimize", "--task", "alfworld", *model, "--out", tmp_path / "no.json")
        assert process.returncode == 2 and "test set" in process.stderr


@pytest.mark.parametrize(
    "bad, says", [("5-3", "from its first task to its last"), ("20-30", "past the data's last task (22)"),
                  ("0-3", "range")]
)  # fmt: skip
def test_a_range_out_of_order_or_past_the_data_is_one_line(bad, says, tmp_path):
    process = react("bench", "--task", "hotpotqa", "--range", bad, "--out", tmp_path / "run.jsonl",
                    "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1")  # fmt: skip
    assert process.returncode == 2 and says in process.stderr, process.stderr
    assert len(error_lines(process)) == 1 and "Traceback" not in process.stderr

"""`react run` as a user runs it: a subprocess, its output, its exit code."""

import json
import os
import subprocess
import sys

import pytest

from conftest import free_port
from react_agent.trajectory import RunConfig
from servers import scripted_openai_server, url_of


def react(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "react_agent.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_error(process, expected):
    assert process.returncode == 2, process.stderr
    # The first run in a fresh cache says that it built the demo index: progress, not an error.
    lines = [line for line in process.stderr.splitlines() if line.strip() and not line.startswith("indexed ")]
    assert len(lines) == 1, process.stderr
    assert "Traceback" not in process.stderr
    assert lines[0].startswith("react: error: ") and expected in lines[0], lines[0]


EIFFEL_RUN = [
    " I need the city of the Eiffel Tower.\nAction 1: Search[Eiffel Tower]",
    " It is in Paris.\nAction 2: Search[Paris]",
    " Paris is on the Seine.\nAction 3: Finish[Seine]",
]


def test_run_shows_steps_and_summary_and_writes_results(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(EIFFEL_RUN) as server:
        process = react(
            "run",
            "--task",
            "hotpotqa",
            "--n",
            "1",
            "--model",
            "openai:m",
            "--base-url",
            url_of(server, "/v1"),
            "--out",
            out,
        )
    assert process.returncode == 0, process.stderr
    assert "Action 1: Search[Eiffel Tower]" in process.stdout
    assert "Observation 2: Paris is the capital and largest city of France." in process.stdout
    assert "Summary" in process.stdout and "EM" in process.stdout
    [line] = out.read_text().splitlines()
    record = json.loads(line)
    assert record["task_id"] == "demo-01" and record["metrics"]["em"] == 1.0


def test_embedded_model_runs_by_default(tmp_path):
    process = react(
        "run", "--task", "hotpotqa", "--n", "1", "--max-steps", "2", "--out", tmp_path / "o.jsonl"
    )
    assert process.returncode == 0, process.stderr
    assert "Thought 1:" in process.stdout and "Summary" in process.stdout
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1


def test_missing_model_file(tmp_path):
    assert_one_line_error(
        react("run", "--task", "hotpotqa", "--model", tmp_path / "no.gguf"), "model file not found"
    )


def test_non_gguf_model_file(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("this is not a model")
    assert_one_line_error(react("run", "--task", "hotpotqa", "--model", fake), "not a GGUF model file")


def test_missing_data_file(tmp_path):
    process = react("run", "--task", "hotpotqa", "--data", tmp_path / "none.jsonl")
    assert_one_line_error(process, "question file not found")


def test_malformed_data_file_names_the_line(tmp_path):
    data = tmp_path / "q.jsonl"
    data.write_text('{"id": "1", "question": "Q?", "answer": "A", "context": []}\n{"id": 2,\n')
    assert_one_line_error(react("run", "--task", "hotpotqa", "--data", data), "q.jsonl:2: not valid JSON")


def test_unknown_task():
    assert_one_line_error(react("run", "--task", "chess"), "unknown task 'chess'")


def test_unreachable_server():
    url = f"http://127.0.0.1:{free_port()}/v1"
    process = react("run", "--task", "hotpotqa", "--model", "openai:m", "--base-url", url)
    assert_one_line_error(process, f"cannot reach model server at {url}")


def test_episodes_written_before_a_failure_stay_written(tmp_path):
    out = tmp_path / "run.jsonl"
    out.write_text("")
    with scripted_openai_server(EIFFEL_RUN, fail_after=3) as server:
        process = react(
            "run",
            "--task",
            "hotpotqa",
            "--model",
            "openai:m",
            "--base-url",
            url_of(server, "/v1"),
            "--out",
            out,
        )
    assert_one_line_error(process, "stopped answering: 3 requests in a row failed")
    first, *failed = (json.loads(line) for line in out.read_text().splitlines())
    assert (first["task_id"], first["stop_reason"]) == ("demo-01", "finished")
    assert [r["stop_reason"] for r in failed] == ["error", "error"]


def test_a_server_that_ignores_the_grammar_stops_the_run_and_keeps_what_was_held_to_it(tmp_path):
    """The first episode's answers are steps the grammar allows; the second's first answer names
    an action outside it, which a server enforcing the grammar could not have sent."""
    out = tmp_path / "run.jsonl"
    strayed = " I go there.\nAction 1: Go[Paris]"
    with scripted_openai_server([*EIFFEL_RUN, strayed]) as server:
        url = url_of(server, "/v1")
        process = react(
            "run", "--task", "hotpotqa", "--model", "openai:m", "--base-url", url, "--grammar", "--out", out
        )
        sent = server.requests[0]
    assert_one_line_error(process, f"model server at {url} does not hold its answers to the grammar")
    assert "Go[Paris]" in process.stderr
    assert sent["grammar"] and sent["structured_outputs"] == {"grammar": sent["grammar"]}
    (first,) = (json.loads(line) for line in out.read_text().splitlines())
    assert (first["task_id"], first["stop_reason"], first["answer"]) == ("demo-01", "finished", "Seine")
    assert first["config"]["grammar"] is True


@pytest.mark.parametrize("flag", [["--n", "0"], ["--max-steps", "0"], ["--bogus"]])
def test_bad_options(flag):
    process = react("run", "--task", "hotpotqa", *flag)
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert len(process.stderr.strip().splitlines()) == 1


def test_unwritable_results_file(tmp_path):
    process = react("run", "--task", "hotpotqa", "--out", tmp_path / "missing" / "run.jsonl")
    assert_one_line_error(process, "cannot write results file")


# ---------------------------------------------------------------- alfworld


def test_alfworld_runs_on_the_builtin_set(tmp_path):
    out = tmp_path / "run.jsonl"
    # A scripted server as the model: the embedded one plays ALFWorld in test_grammar.py.
    with scripted_openai_server(answer_for=lambda prompt: " look") as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        process = react("run", "--task", "alfworld", "--n", "1", "--max-steps", "3", *model, "--out", out)
    assert process.returncode == 0, process.stderr
    assert "Your task is to:" in process.stdout and "Action 1:" in process.stdout
    assert "SUCCESS" in process.stdout
    record = json.loads(out.read_text())
    assert (
        record["category"] in ("pick_and_place_simple", "look_at_obj_in_light") and len(record["steps"]) <= 3
    )


def test_alfworld_generate_writes_games_the_runner_plays(tmp_path):
    process = react("alfworld", "generate", "--n", "1", "--seed", "5", "--out", tmp_path / "games")
    assert process.returncode == 0, process.stderr
    [game] = (tmp_path / "games" / "json_2.1.1" / "valid_unseen").glob("*/*/game.tw-pddl")
    assert json.loads(game.read_text())["solvable"] is True


def test_folder_without_games(tmp_path):
    process = react("run", "--task", "alfworld", "--games", tmp_path)
    assert_one_line_error(process, "no ALFWorld games")


def test_corrupt_game_file(tmp_path):
    trial = tmp_path / "json_2.1.1" / "valid_unseen" / "pick_and_place_simple-Mug-None-Desk-301" / "trial_T1"
    trial.mkdir(parents=True)
    (trial / "traj_data.json").write_text('{"task_type": "pick_and_place_simple"}')
    (trial / "game.tw-pddl").write_text('{"pddl_domain": "(define')
    assert_one_line_error(react("run", "--task", "alfworld", "--games", tmp_path), "corrupt game file")


def test_unknown_wording(tmp_path):
    process = react("alfworld", "generate", "--n", "1", "--out", tmp_path, "--wording", "shakespeare")
    assert_one_line_error(process, "unknown --wording 'shakespeare' (use one of: react, current)")


def test_alfworld_data_points_at_the_games_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "nowhere"))
    process = react("run", "--task", "alfworld")
    assert_one_line_error(
        process, f"no such games folder: {tmp_path / 'nowhere' / 'json_2.1.1' / 'valid_unseen'}"
    )


SETUP_TWICE = """
from react_agent.envs.alfworld import TASK
print(TASK.set_up({}, ("react",)).data, TASK.set_up({}, ("act",)).data)
"""


@pytest.mark.parametrize("user_data", [None, "games"])
def test_alfworld_games_stay_the_same_for_a_second_run_in_one_process(tmp_path, user_data):
    # As the benchmark suite plays: react then act in one process. Importing alfworld for the
    # first must not make the second look for games where the user never said.
    env = {k: v for k, v in os.environ.items() if k != "ALFWORLD_DATA"}
    if user_data:
        assert react("alfworld", "generate", "--n", "1", "--out", tmp_path / user_data).returncode == 0
        env["ALFWORLD_DATA"] = str(tmp_path / user_data)
    process = subprocess.run(
        [sys.executable, "-c", SETUP_TWICE], capture_output=True, text=True, env=env, timeout=300
    )
    assert process.returncode == 0, process.stderr
    expected = user_data or "built-in"  # the games' folder, by name
    assert process.stdout.split() == [expected, expected]


def test_prompt_key_without_a_prompt_file():
    assert_one_line_error(
        react("run", "--task", "hotpotqa", "--prompt-key", "act"), "--prompt-key picks an entry"
    )


def test_cot_prompt_key_for_a_method_that_does_not_vote(tmp_path):
    process = react("bench", "--task", "hotpotqa", "--cot-prompt-key", "x", "--out", tmp_path / "r.jsonl")
    assert_one_line_error(process, "--cot-prompt-key picks the votes' prompt")


def test_alfworld_has_no_cot():
    process = react("bench", "--task", "alfworld", "--method", "cot", "--out", "/dev/null")
    expected = "method 'cot' is not available for alfworld (it has: react, act, reflexion)"
    assert_one_line_error(process, expected)


def test_a_model_file_cut_in_half(tmp_path, smollm2_path):
    half = tmp_path / "half.gguf"
    data = smollm2_path.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    assert_one_line_error(react("run", "--task", "hotpotqa", "--model", half), f"cannot load model {half}")


def test_a_broken_game_is_named_and_the_rest_are_played(tmp_path):
    import shutil

    from react_agent.envs.alfworld import builtin_games_folder, find_games

    good = find_games(builtin_games_folder(tmp_path / "cache"))[0].game_file.parent
    games = tmp_path / "games" / "json_2.1.1" / "valid_unseen"
    shutil.copytree(good, games / good.parent.name / good.name)
    broken = games / "pick_and_place_simple-Mug-None-Desk-301" / "trial_T1"
    broken.mkdir(parents=True)
    (broken / "traj_data.json").write_text('{"task_type": "pick_and_place_simple"}')
    (broken / "game.tw-pddl").write_text('{"pddl_domain": "(define')
    process = react(
        "run",
        "--task",
        "alfworld",
        "--games",
        tmp_path / "games",
        "--max-steps",
        "1",
        "--model",
        "openai:m",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--out",
        tmp_path / "run.jsonl",
    )
    assert f"react: warning: skipped a game: corrupt game file {broken / 'game.tw-pddl'}" in process.stderr
    assert "cannot reach model server" in process.stderr  # it went on to play the good game


NAMED = "qwen2.5-coder-1.5b"


def test_a_named_model_missing_from_the_cache_says_what_to_get(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "react_agent.cli", "run", "--task", "hotpotqa", "--model", NAMED],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, REACT_AGENT_CACHE=str(tmp_path)),
    )
    assert_one_line_error(process, f"qwen2.5-coder-1.5b is not in {tmp_path / 'models'}")
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf, sha256 cc324af070c2ecbf" in process.stderr
    assert "get-qwen2.5-coder-1.5b" in process.stderr


@pytest.mark.slow  # the embedded model plays a question through react bench, then through bench()
def test_the_command_line_and_the_library_play_with_the_same_defaults(tmp_path):
    """One set of defaults: `react bench` given nothing but the task makes the run that
    `bench(BenchSpec(task=...))` makes (the loop guard on in both), config hash and all."""
    from react_agent import BenchSpec, bench

    process = react("bench", "--task", "hotpotqa", "--n", "1", "--out", tmp_path / "cli.jsonl")
    assert process.returncode == 0, process.stderr
    summary = bench(BenchSpec(task="hotpotqa", n=1, out=tmp_path / "python.jsonl"))
    [line] = (tmp_path / "cli.jsonl").read_text().splitlines()
    config = json.loads(line)["config"]
    assert config["hash"] == summary.config.hash and config["max_repeats"] == 3
    assert summary.config.identity() == RunConfig.model_validate(config).identity()

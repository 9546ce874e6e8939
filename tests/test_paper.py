"""`--paper`: every request the ReAct paper's own code sends, byte for byte.

../shared/golden/react-paper/ holds cases made by running the paper's code (ysymyth/ReAct) offline
with a scripted model: each case's model outputs and the requests (prompt and stop sequences) that
code sent for them. Here each case is played by `react bench --paper` against a scripted server on
127.0.0.1 that answers with the same outputs, and every request it receives must be the expected
one. The list after `Similar:` comes from Wikipedia's search in the paper and from our index here:
it is masked on both sides.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict

import pytest

from conftest import SHARED_DATA, need_shared
from react_agent.rules import PAPER
from servers import scripted_openai_server, url_of

GOLDEN = SHARED_DATA.parent / "golden" / "react-paper"
PAPER_PROMPTS = SHARED_DATA / "react-prompts" / "paper_prompts.json"
WIKI = SHARED_DATA / "hotpotqa" / "wiki_abstracts_slice.jsonl"
SIMILAR = re.compile(r"Similar: \[.*?\]\.")
# What the scripted model of the ALFWorld cases said once its outputs ran out (as their requests show).
AFTER_THE_OUTPUTS = " look"


def masked(text: str) -> str:
    return SIMILAR.sub("Similar: [...].", text)


def first_difference(case: str, k: int, sent: dict, expected: dict) -> str:
    """Where request k of a case first differs from the paper's, for the assertion's message."""
    for part in ("stop", "prompt"):
        a, b = sent[part], expected[part]
        if a == b:
            continue
        if part == "stop":
            return f"case {case!r}, request {k}: stop {a!r}, the paper's {b!r}"
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        return (
            f"case {case!r}, request {k}, prompt character {at}: ours {a[max(0, at - 60) : at + 40]!r}, "
            f"the paper's {b[max(0, at - 60) : at + 40]!r}"
        )
    return ""


class Scripted:
    """Each case's outputs in turn, the case told by `case_of(prompt)`; after `play`, the requests
    the server received, by case."""

    def __init__(self, outputs: dict[str, list[str]], case_of, after: str | None = None):
        self.outputs, self.case_of, self.after = outputs, case_of, after
        self.order: list[str] = []  # the case of each request, as the server answered them
        self.requests: dict[str, list[dict]] = defaultdict(list)

    def answer_for(self, prompt: str) -> str:
        case = self.case_of(prompt)
        said = self.order.count(case)
        self.order.append(case)
        outputs = self.outputs[case]
        if said < len(outputs):
            return outputs[said]
        assert self.after is not None, f"case {case!r} asked more often than it has outputs"
        return self.after


def play(command: list, scripted: Scripted) -> None:
    with scripted_openai_server(answer_for=scripted.answer_for) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        process = subprocess.run(
            [sys.executable, "-m", "react_agent.cli", "bench", *map(str, command), *model],
            capture_output=True,
            text=True,
        )
        bodies = list(server.requests)
    assert process.returncode == 0, process.stderr
    for case, body in zip(scripted.order, bodies, strict=True):
        scripted.requests[case].append({"prompt": body["prompt"], "stop": body["stop"]})


def check(scripted: Scripted, cases: dict[str, dict]) -> None:
    for case, expected in cases.items():
        sent = scripted.requests[case]
        for k, (ours, paper) in enumerate(zip(sent, expected["expected_requests"], strict=False), start=1):
            ours = {"prompt": masked(ours["prompt"]), "stop": ours["stop"]}
            paper = {"prompt": masked(paper["prompt"]), "stop": paper["stop"]}
            assert ours == paper, first_difference(case, k, ours, paper)
        assert len(sent) == len(expected["expected_requests"]), f"case {case!r}: {len(sent)} requests"


def test_hotpotqa_cases_send_what_the_papers_webthink_sends(tmp_path):
    need_shared(GOLDEN / "hotpotqa-webthink.json", PAPER_PROMPTS, WIKI)
    cases = {
        case["question"]: case
        for case in json.loads((GOLDEN / "hotpotqa-webthink.json").read_text())["cases"]
    }
    data = tmp_path / "questions.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": f"case-{k}", "question": q, "answer": c["answer"]}) + "\n"
            for k, (q, c) in enumerate(cases.items())
        )
    )
    scripted = Scripted(
        {question: case["outputs"] for question, case in cases.items()},
        lambda prompt: prompt.rsplit("\nQuestion: ", 1)[1].split("\n", 1)[0],
    )
    out = tmp_path / "run.jsonl"
    command = ["--task", "hotpotqa", "--paper", "--data", data, "--wiki", WIKI, "--out", out]
    play([*command, "--prompt-file", PAPER_PROMPTS, "--prompt-key", "webthink_simple6"], scripted)
    check(scripted, cases)
    results = {r["question"]: r for r in map(json.loads, out.read_text().splitlines())}
    for question, case in cases.items():
        result = results[f"Question: {question}"]
        assert (result["answer"], result["metrics"]["em"]) == (case["expected_answer"], case["expected_em"])
        assert result["metrics"]["f1"] == pytest.approx(case["expected_f1"])
    assert all(r["config"]["paper"] for r in results.values())


@pytest.mark.slow  # every ALFWorld case of the paper's golden file, each a game on the engine
def test_alfworld_cases_send_what_the_papers_alfworld_run_sends(tmp_path):
    from react_agent.envs.alfworld import builtin_games_folder

    need_shared(GOLDEN / "alfworld-react.json", PAPER_PROMPTS)
    cases = {
        case["marker"]: case for case in json.loads((GOLDEN / "alfworld-react.json").read_text())["cases"]
    }
    games = tmp_path / "games" / "json_2.1.1" / "valid_unseen"
    for case in cases.values():
        for trial in (builtin_games_folder() / case["game"]).iterdir():
            shutil.copytree(trial, games / case["game"] / trial.name)
    scripted = Scripted(
        {marker: case["outputs"] for marker, case in cases.items()},
        lambda prompt: next(
            marker for marker in cases if marker in prompt.rsplit("Here is the task.\n", 1)[1]
        ),
        after=AFTER_THE_OUTPUTS,
    )
    out = tmp_path / "run.jsonl"
    command = ["--task", "alfworld", "--paper", "--data", tmp_path / "games", "--prompt-file", PAPER_PROMPTS]
    play([*command, "--out", out], scripted)
    check(scripted, cases)
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["metrics"]["success"] for r in results) == sorted(
        c["expected_reward"] for c in cases.values()
    )


def sampled(prompt: str) -> str:
    """CoT samples whose answers differ only as EM ignores (case, an article, a full stop)."""
    sampled.calls += 1
    answers = ["Paris", "the paris.", "Lyon"]
    return f" It must be so.\nAnswer: {answers[sampled.calls % 3]}"


sampled.calls = 0


@pytest.mark.parametrize("paper", [False, True])
def test_votes_count_normalised_answers_and_the_run_records_its_sampling(tmp_path, paper):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=sampled) as server:
        command = ["bench", "--task", "hotpotqa", "--method", "cot-sc", "--sc-samples", "3", "--n", "1"]
        command += ["--model", "openai:m", "--base-url", url_of(server, "/v1"), "--out", out]
        process = subprocess.run(
            [sys.executable, "-m", "react_agent.cli", *map(str, command), *(["--paper"] if paper else [])],
            capture_output=True,
            text=True,
        )
        bodies = list(server.requests)
    assert process.returncode == 0, process.stderr
    assert [(b["temperature"], b.get("top_p")) for b in bodies] == [(0.7, 1.0 if paper else None)] * 3
    [result] = [json.loads(line) for line in out.read_text().splitlines()]
    assert result["votes"] == {"paris": 2, "lyon": 1} and result["answer"] in ("Paris", "the paris.")
    votes = result["config"]["prompts"]["votes"]
    assert votes["sampling"] == ({"temperature": 0.7, "top_p": 1.0} if paper else {"temperature": 0.7})
    assert result["config"]["paper"] is paper


def react(*args):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True)


@pytest.mark.slow  # generates games of the current wording, then plays them
def test_the_papers_examples_on_games_of_the_other_wording_are_refused_unless_forced(tmp_path):
    need_shared(PAPER_PROMPTS)
    generate = react("alfworld", "generate", "--n", "1", "--out", tmp_path / "games", "--wording", "current")
    assert generate.returncode == 0, generate.stderr
    command = ["bench", "--task", "alfworld", "--paper", "--data", tmp_path / "games"]
    command += ["--prompt-file", PAPER_PROMPTS, "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1"]
    refused = react(*command, "--out", tmp_path / "run.jsonl")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "react: error: the examples of" in refused.stderr
    assert "are in the react wording (put X in/on Y), game" in refused.stderr
    assert "in the current one (move X to Y): give --force to play them all the same" in refused.stderr
    forced = react(*command, "--force", "--out", tmp_path / "forced.jsonl")
    assert "wording" not in forced.stderr and "cannot reach model server" in forced.stderr  # it went on


def test_the_papers_act_prompt_comes_from_the_file_whole(tmp_path):
    from react_agent.envs.alfworld import AlfWorldEnv, builtin_games_folder, find_games

    need_shared(PAPER_PROMPTS)
    entries = json.loads(PAPER_PROMPTS.read_text())
    env = AlfWorldEnv(role="act", prompt_file=PAPER_PROMPTS, rules=PAPER)
    game = next(
        g for g in find_games(builtin_games_folder()) if g.task_type == "pick_clean_then_place_in_recep"
    )
    prompt = env.prompt(game)
    entry = entries["act_clean"]
    assert prompt.prefix("X") == entry["instruction"] + entry["examples"] + entry["task_header"] + "X\n"

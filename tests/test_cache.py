"""The response cache: a run made again sends the model nothing it was asked before."""

import itertools
import json
import subprocess
import sys

from react_agent import Agent
from react_agent.models import ScriptedModel
from react_agent.toolbox import tool
from servers import scripted_openai_server, url_of


def react(*args):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def answer_for(prompt: str) -> str:
    return " I know it.\nAction 1: Finish[Seine]" if "Eiffel" in prompt else " Hm.\nAction 1: Search[Paris]"


def test_a_second_run_sends_nothing_and_gets_the_same_results(tmp_path):
    cache = tmp_path / "cache"
    with scripted_openai_server(answer_for=answer_for) as server:
        url = url_of(server, "/v1")
        bench = ["bench", "--task", "hotpotqa", "--n", "3", "--max-steps", "2", "--model", "openai:m"]
        first = react(*bench, "--base-url", url, "--cache", cache, "--out", tmp_path / "first.jsonl")
        sent = len(server.requests)
        second = react(*bench, "--base-url", url, "--cache", cache, "--out", tmp_path / "second.jsonl")
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert sent >= 3 and len(server.requests) == sent  # the second run asked the server nothing
    assert f"0 of {sent} model calls answered from the cache" in first.stdout
    assert f"{sent} of {sent} model calls answered from the cache" in second.stdout
    a, b = lines(tmp_path / "first.jsonl"), lines(tmp_path / "second.jsonl")
    assert [(r["answer"], r["metrics"], r["model_outputs"]) for r in a] == [
        (r["answer"], r["metrics"], r["model_outputs"]) for r in b
    ]
    # Both runs are the same run (a cache changes no answer), and each line says a cache was on.
    assert a[0]["config"]["hash"] == b[0]["config"]["hash"] and b[0]["config"]["cache"] is True
    # Without the cache the same run asks the server again.
    with scripted_openai_server(answer_for=answer_for) as server:
        url = url_of(server, "/v1")
        react(*bench, "--base-url", url, "--out", tmp_path / "third.jsonl")
        assert len(server.requests) == sent


def test_sampled_votes_are_kept_by_draw_and_seed(tmp_path):
    draws = itertools.count()
    cache = tmp_path / "cache"

    def vote(prompt: str) -> str:
        return f" Some thought.\nAnswer: city {next(draws) % 2}"

    def run(server, seed, out):
        url = url_of(server, "/v1")
        cot_sc = ["bench", "--task", "hotpotqa", "--method", "cot-sc", "--sc-samples", "3", "--n", "1"]
        model = ["--model", "openai:m", "--base-url", url, "--cache", cache, "--seed", seed]
        return react(*cot_sc, *model, "--out", tmp_path / out)

    with scripted_openai_server(answer_for=vote) as server:
        assert run(server, 0, "a.jsonl").returncode == 0
        assert len(server.requests) == 3
        assert run(server, 0, "b.jsonl").returncode == 0
        assert len(server.requests) == 3  # the three draws came back from the cache, in order
        assert run(server, 1, "c.jsonl").returncode == 0
        assert len(server.requests) == 6  # another seed: other draws
    a, b = lines(tmp_path / "a.jsonl")[0], lines(tmp_path / "b.jsonl")[0]
    assert a["votes"] == b["votes"] == {"city 0": 2, "city 1": 1}
    assert [o["text"] for o in a["model_outputs"]] == [o["text"] for o in b["model_outputs"]]


@tool
def double(x: int) -> int:
    """Twice x."""
    return 2 * x


def test_an_agent_with_a_cache_answers_again_without_its_model(tmp_path):
    outputs = [" Double it.\nAction 1: Double[21]", " Done.\nAction 2: Finish[42]"]
    first = Agent(ScriptedModel(outputs), tools=[double], cache=tmp_path).run("What is twice 21?")
    again = Agent(ScriptedModel([]), tools=[double], cache=tmp_path).run("What is twice 21?")
    assert first.answer == again.answer == "42" and again.error is None
    assert [s.model_outputs for s in first.steps] == [s.model_outputs for s in again.steps]

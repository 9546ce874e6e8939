"""What a run records of how it was made, what makes two runs the same run, and how the
leaderboard keeps different runs apart."""

from react_agent import EpisodeResult, RunConfig, StopReason
from react_agent.datafiles import FileDigest
from react_agent.leaderboard import describe, rows
from react_agent.provenance import PromptUse, differences


def config(**changes) -> RunConfig:
    base = RunConfig(
        task="hotpotqa",
        method="react",
        data="/data/sample.jsonl",
        data_files=[FileDigest(path="/data/sample.jsonl", size=10, sha256="a" * 64)],
        prompts={
            "react": PromptUse(
                source="built-in hotpotqa:react", format="numbered", sha256="b" * 64, temperature=0.0
            )
        },
        model="m.gguf",
        seed=0,
        max_steps=7,
        max_tokens=128,
        packages={"react-agent": "0.1.0"},
        git_commit="1" * 40,
    )
    return base.model_copy(update=changes)


def test_same_bytes_from_another_folder_commit_or_machine_are_the_same_run():
    moved = config(
        data="/elsewhere/sample.jsonl",
        data_files=[FileDigest(path="/elsewhere/sample.jsonl", size=10, sha256="a" * 64)],
        git_commit="2" * 40,
        build="CPU : AVX = 1",
    )
    assert moved.hash == config().hash


def test_other_bytes_prompts_or_limits_are_another_run():
    edited = config(data_files=[FileDigest(path="/data/sample.jsonl", size=10, sha256="c" * 64)])
    assert edited.hash != config().hash
    assert differences(config().identity(), edited.identity()) == ["data_files.0"]
    hotter = config(prompts={"react": config().prompts["react"].model_copy(update={"temperature": 0.7})})
    assert differences(config().identity(), hotter.identity()) == ["prompts.react"]
    assert differences(config().identity(), config(max_steps=3).identity()) == ["max_steps"]


def test_the_hash_is_recomputed_from_what_a_line_holds():
    line = config().model_dump_json()
    assert RunConfig.model_validate_json(line).hash == config().hash
    tampered = line.replace('"max_steps":7', '"max_steps":3')
    assert RunConfig.model_validate_json(tampered).hash == config(max_steps=3).hash != config().hash


def results(run: RunConfig, n: int, em: float) -> list[EpisodeResult]:
    return [
        EpisodeResult(
            task_id=str(i),
            question="q",
            stop_reason=StopReason.finished,
            metrics={"em": em, "f1": em},
            config=run,
        )
        for i in range(n)
    ]


def test_leaderboard_keeps_runs_apart_and_names_what_differs():
    paper = config(
        prompts={
            "react": PromptUse(
                source="prompts_naive.json:webthink_simple6",
                format="numbered",
                sha256="d" * 64,
                temperature=0.0,
            )
        }
    )
    table = rows(results(config(), 4, 1.0) + results(config(max_steps=3), 2, 0.0) + results(paper, 3, 1.0))
    ours = {row.method: (row.n, row.scores["em"][0]) for row in table if not row.reported}
    # Each variant names only where it departs from the usual run, which keeps the plain label.
    assert ours == {
        "react": (4, 100.0),
        "react [max_steps=3]": (2, 0.0),
        "react [prompts.react.source=prompts_naive.json:webthink_simple6]": (3, 100.0),
    }
    assert {row.config for row in table if not row.reported} == {
        config().hash,
        config(max_steps=3).hash,
        paper.hash,
    }


def test_of_two_runs_the_one_with_an_option_unset_is_the_usual_one():
    grammar, paper = config(grammar=True), config(paper=True, max_tokens=100)
    table = rows(results(config(), 2, 1.0) + results(grammar, 2, 0.0))
    assert {row.method for row in table if not row.reported} == {"react", "react [grammar=True]"}
    # Where two runs each set something, unset is still the usual value; a field that both set, to
    # values of their own, has no usual value and is named on both.
    table = rows(results(grammar, 2, 1.0) + results(paper, 2, 0.0))
    assert {row.method for row in table if not row.reported} == {
        "react [grammar=True, max_tokens=128]",
        "react [max_tokens=100, paper=True]",
    }


def test_a_run_alone_keeps_its_plain_label():
    [row] = [row for row in rows(results(config(), 2, 1.0)) if not row.reported]
    assert (row.data, row.model, row.method, row.n) == ("sample.jsonl", "m.gguf", "react", 2)


def test_fields_added_later_join_the_identity_only_when_set():
    assert "shots" not in config().identity() and "final_answer" not in config().identity()
    assert config(shots=None).hash == config().hash
    assert config(shots=0).hash != config().hash != config(final_answer=True).hash
    assert differences(config().identity(), config(shots=1).identity()) == ["shots"]


def test_a_server_address_is_where_a_run_was_played_not_what_it_is():
    here, there = config(base_url="http://127.0.0.1:8000/v1"), config(base_url="http://10.0.0.2:9000/v1")
    assert here.hash == there.hash != config().hash


def test_a_config_line_says_what_sets_a_run_apart():
    plain = describe(config(), ["abc"])
    assert "grammar" not in plain and "--paper" not in plain
    both = describe(config(grammar=True, paper=True), ["abc"])
    assert "each step held to a grammar of the actions" in both
    assert "the paper's requests and parsing (--paper)" in both


def test_two_runs_of_one_config_are_two_rows_told_apart_by_their_tasks():
    """The first 100 questions and all 410, played with one config: two runs (two results files).
    Merged, the row would hide the 100-question one and count its shared questions twice."""
    first, whole = results(config(), 2, 1.0), results(config(), 4, 0.0)
    table = [row for row in rows(first, whole, results(config(grammar=True), 2, 1.0)) if not row.reported]
    ours = {row.method: (row.run, row.n, row.episodes, row.scores["em"][0]) for row in table}
    assert ours == {
        "react [n=2]": (0, 2, 2, 100.0),
        "react [n=4]": (1, 4, 4, 0.0),
        "react [grammar=True]": (2, 2, 2, 100.0),
    }


def test_runs_of_one_config_on_as_many_tasks_are_told_apart_by_their_names():
    """Questions 1-100 and 101-200 with one config (`--range` is no part of it): alike but for the
    run's name, which only they show."""
    first, second, grammar = (
        results(config(), 2, 1.0),
        results(config(), 2, 0.0),
        results(config(grammar=True), 2, 1.0),
    )
    table = rows(first, second, grammar, names=["sample1-2", "sample3-4", "grammar"])
    ours = {row.method: row.scores["em"][0] for row in table if not row.reported}
    assert ours == {
        "react [run=sample1-2]": 100.0,
        "react [run=sample3-4]": 0.0,
        "react [grammar=True]": 100.0,
    }

import asyncio

import pytest

from react_agent import Agent, EpisodeResult, EpisodeStart, Step, StopReason, ToolError
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ModelError, ScriptedModel


@pytest.fixture
def eiffel(demo_questions):
    return next(q for q in demo_questions if "Eiffel Tower stands" in q.question)


GOLD_RUN = [
    " I need the city of the Eiffel Tower, then its river.\nAction 1: Search[Eiffel Tower]",
    " It is in Paris. I need the river of Paris.\nAction 2: Search[Paris]",
    " Paris stands on the Seine.\nAction 3: Finish[Seine]",
]


def test_scripted_episode_finishes_with_gold_answer(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN)
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.stop_reason is StopReason.finished
    assert (result.answer, result.em, result.f1) == ("Seine", 1.0, 1.0)
    assert result.steps[0].observation.startswith("The Eiffel Tower is a wrought-iron lattice tower")
    assert [s.action.text for s in result.steps] == ["Search[Eiffel Tower]", "Search[Paris]", "Finish[Seine]"]


def test_prompt_grows_by_one_step_and_stops_at_the_next_observation(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN)
    Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    first, second = model.requests[0], model.requests[1]
    assert first.prompt.endswith(f"Question: {eiffel.question}\nThought 1:")
    assert first.stop == ["\nObservation 1:"]
    assert second.prompt.startswith(first.prompt)
    added = second.prompt[len(first.prompt) :]
    assert added.startswith(
        " I need the city of the Eiffel Tower, then its river.\nAction 1: Search[Eiffel Tower]\n"
    )
    assert "\nObservation 1: The Eiffel Tower is" in added and added.endswith("\nThought 2:")


def test_episode_stops_at_max_steps_without_answer(demo_wiki, eiffel):
    pages = ["Paris", "France", "Seine"]  # three searches apart: no loop for the guard to end
    model = ScriptedModel([f" again\nAction {i}: Search[{page}]" for i, page in enumerate(pages, start=1)])
    result = Agent(model, HotpotQAEnv(demo_wiki), max_steps=3).run(eiffel)
    assert result.stop_reason is StopReason.max_steps
    assert len(result.steps) == 3
    assert result.answer is None and result.em == 0.0


def test_missing_action_is_asked_for_once_more(demo_wiki, eiffel):
    model = ScriptedModel(
        [" I should look at the tower first.", " Search[Eiffel Tower]", " Done.\nAction 2: Finish[Seine]"]
    )
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    reask = model.requests[1]
    assert reask.prompt.endswith("Thought 1: I should look at the tower first.\nAction 1:")
    assert reask.stop == ["\n"]
    assert result.steps[0].action.text == "Search[Eiffel Tower]"
    assert result.steps[0].usage.calls == 2
    assert result.em == 1.0


def test_no_action_even_when_asked_again_is_invalid_output(demo_wiki, eiffel):
    model = ScriptedModel([" hmm", "   "])
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.stop_reason is StopReason.invalid_output
    assert result.steps == [] and "no action" in result.error


def test_unknown_action_becomes_an_observation(demo_wiki, eiffel):
    model = ScriptedModel([" x\nAction 1: Fly[Paris]", " y\nAction 2: Finish[Seine]"])
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.steps[0].observation == "Invalid action: Fly[Paris]"
    assert result.stop_reason is StopReason.finished


def test_model_failure_ends_the_episode_with_error(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN[:1])  # runs out after one call
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.stop_reason is StopReason.error
    assert "ran out of outputs" in result.error
    assert len(result.steps) == 1


def test_tool_error_is_an_observation_and_the_episode_goes_on(demo_wiki, eiffel):
    class SlowWiki:
        def find(self, entity):
            raise ToolError("Wikipedia did not answer within 10 s.")

    model = ScriptedModel([" x\nAction 1: Search[Paris]", " y\nAction 2: Finish[Seine]"])
    result = Agent(model, HotpotQAEnv(SlowWiki())).run(eiffel)
    assert result.steps[0].observation == "Wikipedia did not answer within 10 s."
    assert result.stop_reason is StopReason.finished and result.error is None


def test_bug_in_an_environment_ends_the_episode_with_its_traceback(demo_wiki, eiffel):
    class BrokenWiki:
        def find(self, entity):
            return len(entity) + "pages"  # a TypeError: a bug, not news for the model

    model = ScriptedModel([" x\nAction 1: Search[Paris]", " y\nAction 2: Finish[Seine]"])
    result = Agent(model, HotpotQAEnv(BrokenWiki())).run(eiffel)
    assert result.stop_reason is StopReason.error and result.steps == []
    assert result.error.startswith("Traceback (most recent call last):")
    assert 'return len(entity) + "pages"' in result.error  # the frame where it went wrong
    assert result.error.rstrip().endswith("TypeError: unsupported operand type(s) for +: 'int' and 'str'")


def test_stream_yields_each_step_then_the_result(demo_wiki, eiffel):
    events = list(Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).stream(eiffel))
    assert [type(e) for e in events] == [EpisodeStart, Step, Step, Step, EpisodeResult]
    assert events[0].question == f"Question: {eiffel.question}"


def test_async_run_gives_the_same_result_as_sync(demo_wiki, eiffel):
    sync = Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).run(eiffel)
    asynchronous = asyncio.run(Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).arun(eiffel))
    strip = {"seconds": True, "steps": {"__all__": {"model_seconds", "env_seconds"}}}
    assert sync.model_dump(exclude=strip) == asynchronous.model_dump(exclude=strip)


def test_result_round_trips_through_json(demo_wiki, eiffel):
    result = Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).run(eiffel)
    assert EpisodeResult.model_validate_json(result.model_dump_json()) == result


def test_scripted_model_honours_stop_sequences():
    from react_agent.models import ModelRequest

    model = ScriptedModel([" a\nAction 1: Search[x]\nObservation 1: made up"])
    assert model.complete(ModelRequest("p", stop=["\nObservation 1:"])).text == " a\nAction 1: Search[x]"
    with pytest.raises(ModelError):
        model.complete(ModelRequest("p"))


def test_weak_vote_falls_back_to_react_and_unfinished_react_to_the_vote(demo_wiki, eiffel):
    from react_agent import AgentSettings, make_player
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    def env(role):
        return HotpotQAEnv(demo_wiki, prompt=hotpotqa_prompt("cot" if role == "votes" else role))

    weak = [" a\nAnswer: Loire", " b\nAnswer: Rhine", " c\nAnswer: Thames"]  # 1 of 3 votes each
    model = ScriptedModel(weak + GOLD_RUN)
    player = make_player("cot-sc-then-react", model, env, AgentSettings(sc_samples=3))
    result = asyncio.run(player.arun(eiffel))
    assert result.votes == {"loire": 1, "rhine": 1, "thames": 1}
    assert result.answer == "Seine" and len(result.steps) == 3 + 3
    assert [output.text for output in result.model_outputs] == weak + GOLD_RUN
    assert [output.step for output in result.model_outputs] == [1, 2, 3, 4, 5, 6]

    unfinished = [f" again\nAction {i}: Search[Paris]" for i in (1, 2)]
    strong = [" x\nAnswer: Seine", " y\nAnswer: seine", " z\nAnswer: Loire"]
    model = ScriptedModel(unfinished + strong)
    player = make_player("react-then-cot-sc", model, env, AgentSettings(sc_samples=3, max_steps=2))
    result = asyncio.run(player.arun(eiffel))
    assert result.votes == {"seine": 2, "loire": 1} and result.answer == "Seine" and result.em == 1.0
    assert [s.index for s in result.steps] == [1, 2, 3, 4, 5]


def test_each_model_output_records_the_request_it_answered(demo_wiki, eiffel):
    model = ScriptedModel(
        [" I should look at the tower first.", " Search[Eiffel Tower]", GOLD_RUN[1], GOLD_RUN[2]]
    )
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert [o.request_sha256 for o in result.model_outputs] == [r.sha256() for r in model.requests]
    assert [o.step for o in result.model_outputs] == [1, 1, 2, 3]
    assert len(set(o.request_sha256 for o in result.model_outputs)) == 4


def test_request_fingerprint_covers_every_field():
    from react_agent.models import ModelRequest

    base = ModelRequest("p", stop=["\n"], max_tokens=8, temperature=None)
    changed = [
        ModelRequest("p ", stop=["\n"], max_tokens=8),
        ModelRequest("p", stop=["\nObservation"], max_tokens=8),
        ModelRequest("p", stop=["\n"], max_tokens=9),
        ModelRequest("p", stop=["\n"], max_tokens=8, temperature=0.0),
    ]
    assert len({base.sha256(), *(r.sha256() for r in changed)}) == 5
    assert base.sha256() == ModelRequest("p", stop=["\n"], max_tokens=8).sha256()


def test_task_without_an_id_gets_a_stable_one(demo_wiki):
    from react_agent.environment import task_id_of

    class Bare:
        def __init__(self, question):
            self.question = question

        def __repr__(self):
            return f"Bare({self.question!r})"

    assert task_id_of("Where is Paris?") == task_id_of("Where is Paris?") != task_id_of("Where is Rome?")
    assert task_id_of(Bare("a")) == task_id_of(Bare("a")) != task_id_of(Bare("b"))
    assert task_id_of({"question": "a"}).startswith("task-")


def test_an_answer_at_the_step_limit_when_asked_for(demo_wiki, eiffel):
    looping = [f" again\nAction {i}: Search[Paris]" for i in (1, 2)]
    plain = Agent(ScriptedModel(looping), HotpotQAEnv(demo_wiki), max_steps=2).run(eiffel)
    assert (plain.stop_reason, plain.answer, len(plain.model_outputs)) == (StopReason.max_steps, None, 2)

    model = ScriptedModel([*looping, "Seine] and more"])
    result = Agent(model, HotpotQAEnv(demo_wiki), max_steps=2, final_answer=True).run(eiffel)
    assert (result.stop_reason, result.answer, result.em) == (StopReason.max_steps, "Seine", 1.0)
    assert len(result.steps) == 2 and result.usage.calls == 3
    final = model.requests[-1]
    assert final.prompt == model.requests[-2].prompt.removesuffix("Thought 2:") + (
        "Thought 2: again\nAction 2: Search[Paris]\n"
        f"Observation 2: {result.steps[1].observation}\nAction 3: Finish["
    )
    assert final.stop == ["]", "\n"] and result.model_outputs[-1].request_sha256 == final.sha256()


def test_an_agent_refuses_what_is_no_model_or_environment(demo_wiki):
    class Bare:
        def reset(self, task):
            return "Question: ?"

    with pytest.raises(TypeError, match="Bare is no Environment: subclass react_agent.Environment"):
        Agent(ScriptedModel([]), Bare())
    with pytest.raises(TypeError, match="Bare is no Model"):
        Agent(Bare(), HotpotQAEnv(demo_wiki))


def test_a_model_or_environment_missing_a_method_it_must_write_cannot_be_made():
    from react_agent import Environment, Model

    class SyncOnly(Model):  # forgot acomplete: async runners would have got None from it
        name = "sync-only"

        def complete(self, request, stop_when=None):
            return None

    class NoStep(Environment):
        def prompt(self, task): ...
        def reset(self, task): ...
        def outcome(self): ...

    with pytest.raises(TypeError, match="abstract method acomplete"):
        SyncOnly()
    with pytest.raises(TypeError, match="abstract method step"):
        NoStep()
    # A duck-typed object with every method is no subclass: an Agent refuses it all the same.
    ducks = type("Duck", (), {name: lambda *args: None for name in ("prompt", "reset", "step", "outcome")})
    with pytest.raises(TypeError, match="Duck is no Environment"):
        Agent(ScriptedModel([]), ducks())


def test_a_replay_is_a_source_of_one_model_per_task_and_answers_nothing_itself(demo_wiki, eiffel, tmp_path):
    from react_agent.models.base import Model, ModelSource
    from react_agent.models.replay import RecordedRun
    from react_agent.results import append_result

    played = Agent(ScriptedModel(["Thought 1: x\nAction 1: Finish[Paris]"]), HotpotQAEnv(demo_wiki)).run(
        eiffel
    )
    append_result(tmp_path / "run.jsonl", played)
    run = RecordedRun(tmp_path / "run.jsonl")
    assert isinstance(run, ModelSource) and not isinstance(run, Model) and not hasattr(run, "complete")
    assert isinstance(run.for_task(played.task_id), Model)
    assert Agent(run, HotpotQAEnv(demo_wiki)).run(eiffel).answer == "Paris"
    with pytest.raises(TypeError, match="replay:run.jsonl answers no request itself: it takes no cache"):
        Agent(run, HotpotQAEnv(demo_wiki), cache=tmp_path / "cache")


def test_every_episode_closes_its_environment(demo_wiki, eiffel):
    closed = []

    class Closing(HotpotQAEnv):
        def close(self):
            closed.append(self.question.id)

    agent = Agent(ScriptedModel(GOLD_RUN + GOLD_RUN[2:]), Closing(demo_wiki))
    agent.run(eiffel)
    asyncio.run(agent.arun(eiffel))
    assert closed == [eiffel.id, eiffel.id]


def test_no_final_answer_for_a_finished_episode_or_a_game(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN)
    result = Agent(model, HotpotQAEnv(demo_wiki), final_answer=True).run(eiffel)
    assert len(model.requests) == 3 and result.stop_reason is StopReason.finished
    from react_agent.formats import FORMATS

    assert FORMATS["commands"].final_answer("> look\n", 3) is None

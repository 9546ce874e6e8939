"""The episode's state machine driven directly, as h11's tests drive its `Connection`: requests out,
completions and observations in, with no model, environment or runner (those are test_agent.py's)."""

import pytest

from react_agent.environment import Observation, Outcome
from react_agent.episode import Episode, IllegalMove, State
from react_agent.formats import FORMATS, NumberedSteps
from react_agent.grammar import ActionSpace
from react_agent.models import Completion, ContextFull, ModelError
from react_agent.settings import AgentSettings
from react_agent.trajectory import StopReason, Usage

PREFIX = "Solve it.\nQuestion: Which river flows through the city of the Eiffel Tower?\n"
QUESTION = "Question: Which river flows through the city of the Eiffel Tower?"


def said(text: str) -> Completion:
    return Completion(
        text=text, usage=Usage(calls=1, prompt_tokens=10, evaluated_tokens=2, completion_tokens=5)
    )


def episode(step_format: str = "numbered", space: ActionSpace | None = None, **settings) -> Episode:
    return Episode(
        "eiffel",
        PREFIX,
        QUESTION,
        step_format=FORMATS[step_format],
        settings=AgentSettings(**settings),
        action_space=space,
    )


def test_a_whole_episode_step_by_step():
    e = episode()
    first = e.next_request()
    assert e.state is State.asking and first.prompt == PREFIX + "Thought 1:"
    assert first.stop == ["\nObservation 1:"] and first.max_tokens == 128 and first.temperature is None

    action = e.take_completion(said(" Find the city.\nAction 1: Search[Eiffel Tower]"), 0.5)
    assert (action.name, action.argument, e.state) == ("search", "Eiffel Tower", State.acting)
    step = e.take_observation(Observation("The tower is in Paris."), 0.1)
    assert (step.index, step.thought, step.observation) == (1, "Find the city.", "The tower is in Paris.")
    assert e.next_request().prompt == PREFIX + (
        "Thought 1: Find the city.\nAction 1: Search[Eiffel Tower]\nObservation 1: The tower is in Paris.\n"
        "Thought 2:"
    )

    e.take_completion(said(" It is Paris.\nAction 2: Finish[Seine]"), 0.5)
    e.take_observation(Observation("Episode finished, reward = 1", done=True), 0.0)
    assert e.done and e.next_request() is None and e.stop_reason is StopReason.finished
    result = e.result(Outcome(answer="Seine", gold="Seine", metrics={"em": 1.0}), 2.0)
    assert (result.task_id, result.question, result.answer, len(result.steps)) == (
        "eiffel",
        QUESTION,
        "Seine",
        2,
    )
    assert result.usage == Usage(calls=2, prompt_tokens=20, evaluated_tokens=4, completion_tokens=10)
    assert [o.request_sha256 for o in result.model_outputs] == [
        first.sha256(),
        result.model_outputs[1].request_sha256,
    ]


def test_the_pending_request_is_computed_once_per_state():
    class Counting(NumberedSteps):
        asked = 0

        def request(self, transcript, i, max_tokens):
            Counting.asked += 1
            return super().request(transcript, i, max_tokens)

    e = Episode("t", PREFIX, QUESTION, step_format=Counting())
    assert e.next_request() is e.next_request() is e.next_request()
    assert Counting.asked == 1
    e.take_completion(said(" x\nAction 1: Search[Paris]"), 0)
    e.take_observation(Observation("Paris."), 0)
    e.next_request(), e.next_request()
    assert Counting.asked == 2


def test_moves_a_state_does_not_take_are_refused():
    e = episode()
    with pytest.raises(IllegalMove, match="take_observation\\(\\) while asking"):
        e.take_observation(Observation("too soon"), 0)
    with pytest.raises(IllegalMove, match="result\\(\\) while asking"):
        e.result(Outcome(), 0)
    e.take_completion(said(" x\nAction 1: Search[Paris]"), 0)
    with pytest.raises(IllegalMove, match="next_request\\(\\) while acting"):
        e.next_request()
    with pytest.raises(IllegalMove, match="take_completion\\(\\) while acting"):
        e.take_completion(said(" again"), 0)


def test_a_thought_without_an_action_is_asked_for_the_action_once():
    e = episode()
    assert e.take_completion(said(" I should look at the tower first."), 0.2) is None
    reask = e.next_request()
    assert e.state is State.reasking
    assert reask.prompt == PREFIX + "Thought 1: I should look at the tower first.\nAction 1:"
    assert (reask.stop, reask.max_tokens) == (["\n"], 48)
    action = e.take_completion(said(" Search[Eiffel Tower]"), 0.3)
    step = e.take_observation(Observation("A tower."), 0)
    assert action.text == "Search[Eiffel Tower]" and step.model_outputs == [
        " I should look at the tower first.",
        " Search[Eiffel Tower]",
    ]
    assert step.usage.calls == 2 and step.model_seconds == pytest.approx(0.5)

    e = episode()
    e.take_completion(said(" hmm"), 0)
    assert e.take_completion(said("   "), 0) is None
    assert e.stop_reason is StopReason.invalid_output and "no action" in e.error


def test_a_format_that_cannot_ask_again_ends_the_episode():
    e = episode("actions")
    assert FORMATS["actions"].reask is None
    assert e.take_completion(said("   "), 0) is None
    assert e.done and e.stop_reason is StopReason.invalid_output


def test_a_full_context_cuts_the_oldest_observation_then_gives_up():
    e = episode()
    long = "The Eiffel Tower is a wrought-iron lattice tower in Paris. " * 5
    e.take_completion(said(" x\nAction 1: Search[Eiffel Tower]"), 0)
    e.take_observation(Observation(long), 0)
    refused = e.next_request()
    e.take_model_error(ContextFull("Requested tokens exceed context window of 512"))
    again = e.next_request()
    assert e.state is State.asking and again.prompt != refused.prompt
    assert f"Observation 1: {long[:100]} [...]\nThought 2:" in again.prompt and e.steps[0].shortened
    e.take_model_error(ContextFull("still too long"))
    assert e.stop_reason is StopReason.context_full and "still too long" in e.error
    outputs = e.result(Outcome(), 0).model_outputs
    assert [o.context_full for o in outputs] == [False, True]  # the second refusal ended it: not replayed


def test_a_failed_model_call_ends_the_episode():
    e = episode()
    e.take_model_error(ModelError("server said 500"))
    assert e.stop_reason is StopReason.error and e.error == "ModelError: server said 500"


def test_the_step_limit_asks_for_an_answer_when_the_settings_say_so():
    e = episode(max_steps=1, final_answer=True)
    e.take_completion(said(" x\nAction 1: Search[Paris]"), 0)
    e.take_observation(Observation("Paris is in France."), 0)
    assert e.state is State.answering and e.stop_reason is StopReason.max_steps
    final = e.next_request()
    assert final.prompt.endswith("Observation 1: Paris is in France.\nAction 2: Finish[")
    answer = e.take_completion(said("Seine] then"), 0)
    assert answer.text == "Finish[Seine]" and e.state is State.scoring
    assert e.take_observation(Observation("Episode finished, reward = 1", done=True), 0) is None
    assert e.done and e.stop_reason is StopReason.max_steps and len(e.steps) == 1

    e = episode(max_steps=1, final_answer=True)
    e.take_completion(said(" x\nAction 1: Search[Paris]"), 0)
    e.take_observation(Observation("Paris."), 0)
    e.take_model_error(ModelError("gone"))
    assert (
        e.stop_reason is StopReason.max_steps and e.error == "no answer at the step limit: ModelError: gone"
    )

    e = episode(max_steps=1)  # off, as in the paper
    e.take_completion(said(" x\nAction 1: Search[Paris]"), 0)
    e.take_observation(Observation("Paris."), 0)
    assert e.done and e.next_request() is None


def test_the_loop_guard_ends_a_repeating_episode():
    e = episode(max_repeats=2)
    for _ in range(2):
        e.take_completion(said(f" again\nAction {e.step_number}: Search[Paris]"), 0)
        e.take_observation(Observation("Paris."), 0)
    assert (
        e.stop_reason is StopReason.repeated_action and "Search[Paris] gave the same observation 2" in e.error
    )


def test_the_grammar_follows_the_action_space_that_comes_with_each_observation():
    e = episode("commands", ActionSpace(commands=("go to desk 1",), think=True), grammar=True)
    first = e.next_request()
    assert '"go to desk 1"' in first.grammar and first.within_grammar(" go to desk 1\n")
    e.take_completion(said(" go to desk 1\n"), 0)
    e.take_observation(
        Observation("On the desk 1, you see a mug 1."), 0, ActionSpace(commands=("take mug 1",))
    )
    second = e.next_request()
    assert '"take mug 1"' in second.grammar and '"go to desk 1"' not in second.grammar
    assert "think: " not in second.grammar  # this space allows no thinking

    off = episode("commands", ActionSpace(commands=("go to desk 1",)))  # grammar off in the settings
    assert off.next_request().grammar is None


def test_the_settings_shape_every_request():
    e = episode(max_steps=2, max_tokens=64, temperature=0.3, final_answer=True)
    e.take_completion(said(" x"), 0)  # a re-ask
    requests = [e.next_request()]
    e.take_completion(said(" Search[Paris]"), 0)
    e.take_observation(Observation("Paris."), 0)
    requests.append(e.next_request())
    e.take_completion(said(" y\nAction 2: Search[Seine]"), 0)
    e.take_observation(Observation("A river."), 0)
    requests.append(e.next_request())  # the answer at the step limit
    assert [r.temperature for r in requests] == [0.3, 0.3, 0.3]
    assert [r.max_tokens for r in requests] == [48, 64, 48]


def test_an_episode_that_never_started():
    e = Episode.failed_to_start("t-9", "Traceback: no such game")
    assert e.done and e.next_request() is None
    result = e.result(Outcome(), 0.1)
    assert (result.stop_reason, result.error, result.steps) == (
        StopReason.error,
        "Traceback: no such game",
        [],
    )


@pytest.mark.parametrize(
    "limits, steps, reached",
    [
        # Each call sends 10 tokens and generates 5: 45 tokens are reached after the third step.
        ({"episode_tokens": 45}, 3, "episode_tokens: 45 tokens sent and generated, limit 45"),
        ({"episode_tokens": 46}, 4, "episode_tokens: 60 tokens sent and generated, limit 46"),
        # Each step takes 0.5 s of the model's and 0.25 s of the environment's: 1.5 s after two.
        ({"episode_seconds": 1.5}, 2, "episode_seconds: 1.5 s, limit 1.5"),
    ],
)
def test_an_episode_ends_at_its_token_or_time_limit_before_asking_again(limits, steps, reached):
    e = episode(**limits)
    for i in range(1, steps + 1):
        assert e.next_request() is not None
        e.take_completion(said(f" Look again.\nAction {i}: Search[Paris {i}]"), 0.5)
        e.take_observation(Observation("Paris is in France."), 0.25)
    assert e.done and e.next_request() is None
    assert (e.stop_reason, e.error) == (StopReason.limit, reached)
    assert len(e.result(Outcome(), 1.0).steps) == steps

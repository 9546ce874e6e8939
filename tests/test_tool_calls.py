"""The tools format (`format="tools"`): a chat model's native tool calls as the actions.

Golden message lists (tests/golden/tools-*.txt) hold every request a scripted episode sends after
several steps, as test_transcripts.py does for the text formats; the rest checks the calls that
cannot be carried out, the records and their replay, and the OpenAI backend's streamed calls
against a server on 127.0.0.1. The local backend and llama-cpp-python's own server are tested with
the real SmolLM2 in test_llama_cpp.py and test_openai.py.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from test_transcripts import FIRST_GAME_PLAN, check_golden, first_game  # noqa: F401 - a fixture

from react_agent import Agent, StopReason
from react_agent.diagnosis import format_failures, refused
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.formats import FINISHED, FORMATS, NOT_RUN
from react_agent.models import Completion, ModelRequest, ScriptedModel
from react_agent.models.openai import OpenAIModel
from react_agent.models.replay import RecordedRun
from react_agent.results import append_result
from react_agent.trajectory import ToolCall, Usage
from servers import scripted_openai_server, url_of


def reply(thought: str, *calls: tuple[str, object]) -> Completion:
    """A chat reply: `thought` as its content, and calls of (name, arguments: a dict, or raw text)."""
    made = tuple(
        ToolCall(id=f"call_{n}", name=name, arguments=args if isinstance(args, str) else json.dumps(args))
        for n, (name, args) in enumerate(calls, start=1)
    )
    return Completion(text=thought, usage=Usage(), tool_calls=made)


def render(requests: list[ModelRequest]) -> str:
    """The tools once, the fixed messages (system, examples, task) once, then what each request
    adds to them, one message per line."""
    first = requests[0].messages
    assert first is not None
    parts = ["=== tools ===", json.dumps(requests[0].tools, indent=1, ensure_ascii=False)]
    parts += [f"=== prefix: {len(first)} messages ==="] + [json.dumps(m, ensure_ascii=False) for m in first]
    for k, request in enumerate(requests, start=1):
        messages = request.messages or ()
        assert messages[: len(first)] == first, "every request starts with the fixed messages"
        parts.append(
            f"=== request {k}: max_tokens={request.max_tokens} tool_choice={request.tool_choice} ==="
        )
        parts += [json.dumps(m, ensure_ascii=False) for m in messages[len(first) :]]
    return "\n".join(parts) + "\n=== end ===\n"


def grows_by_appending(requests: list[ModelRequest]) -> bool:
    """Each request's messages begin with the last one's: a prefix the model has seen stays put."""
    return all(
        after.messages[: len(before.messages)] == before.messages  # type: ignore[index]
        for before, after in zip(requests, requests[1:], strict=False)
    )


@pytest.fixture
def eiffel(demo_questions):
    return next(q for q in demo_questions if "Eiffel Tower stands" in q.question)


HOTPOTQA_RUN = [
    reply("I need to find where the Eiffel Tower stands.", ("Search", {"entity": "Eiffel Tower"})),
    reply("It stands in Paris.", ("Fly", {"to": "Paris"})),  # no such tool
    reply("", ("Lookup", '{"keyword": "river"')),  # arguments that are no JSON
    reply("I should search Paris.", ("Search", {"entity": "Paris"}), ("Lookup", {"keyword": "river"})),
    reply("Paris stands on the Seine.", ("Finish", {"answer": "Seine"})),
]


def test_tool_calls_on_hotpotqa(demo_wiki, eiffel):
    model = ScriptedModel(HOTPOTQA_RUN)
    result = Agent(model, HotpotQAEnv(demo_wiki), format="tools").run(eiffel)
    assert [s.action.text for s in result.steps] == [
        "Search[Eiffel Tower]",
        'Fly({"to": "Paris"})',
        'Lookup({"keyword": "river")',
        "Search[Paris]",
        "Finish[Seine]",
    ]
    assert result.steps[1].observation == 'Invalid action: Fly({"to": "Paris"})'
    assert result.steps[2].observation.startswith("Invalid action")
    assert (result.stop_reason, result.em, result.steps[0].thought) == (
        StopReason.finished,
        1.0,
        "I need to find where the Eiffel Tower stands.",
    )
    requests = model.requests
    assert grows_by_appending(requests)
    # The second call of step 4 was answered, not run, and the examples end by calling Finish.
    last = requests[-1].messages or ()
    assert {"role": "tool", "tool_call_id": "call_4_2", "content": NOT_RUN} in last
    assert sum(m["role"] == "tool" and m["content"] == FINISHED for m in last) == 6
    assert [t["function"]["name"] for t in requests[0].tools or ()] == ["Search", "Lookup", "Finish"]
    check_golden("tools-hotpotqa.txt", render(requests))


def test_tool_calls_of_act_on_hotpotqa(demo_wiki, eiffel):
    """Act's examples have no thoughts: its assistant messages are calls alone, and its system
    message asks for none."""
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    model = ScriptedModel(
        [
            reply("", ("Search", {"entity": "Eiffel Tower"})),
            reply("", ("Lookup", {"keyword": "river"})),
            reply("", ("Search", {"entity": "Paris"})),
            reply("", ("Finish", {"answer": "Seine"})),
        ]
    )
    env = HotpotQAEnv(demo_wiki, prompt=hotpotqa_prompt("act"))
    result = Agent(model, env, format="tools").run(eiffel)
    assert (result.stop_reason, result.em, len(result.steps)) == (StopReason.finished, 1.0, 4)
    assert grows_by_appending(model.requests)
    examples = [m for m in (model.requests[0].messages or ()) if m["role"] == "assistant"]
    assert examples and all(m["content"] is None for m in examples)
    check_golden("tools-actions.txt", render(model.requests))


def test_a_reply_with_no_call_ends_the_episode_as_invalid_output(demo_wiki, eiffel):
    model = ScriptedModel([reply("The answer is the Seine.")])
    result = Agent(model, HotpotQAEnv(demo_wiki), format="tools").run(eiffel)
    assert result.stop_reason == StopReason.invalid_output and not result.steps
    assert "The answer is the Seine." in (result.error or "")


def test_tool_calls_on_alfworld(first_game):  # noqa: F811 - the fixture
    from react_agent.envs.alfworld import AlfWorldEnv

    outputs = (
        [
            reply("I need to find a cd, then put it in a cabinet.", ("act", {"command": FIRST_GAME_PLAN[0]})),
            reply("", ("act", {"command": "fly to the moon"})),
            reply("", ("act", {"order": "look"})),  # not the tool's argument
        ]
        + [reply("", ("act", {"command": command})) for command in FIRST_GAME_PLAN[1:]]
    )
    model = ScriptedModel(outputs)
    result = Agent(model, AlfWorldEnv(), format="tools", max_steps=50).run(first_game)
    assert [s.observation for s in result.steps[1:3]] == ["Nothing happens.", "Nothing happens."]
    # The game cannot tell them apart; the second is no command at all, a format failure.
    assert [refused(s) for s in result.steps[1:3]] == [False, True] and format_failures(result) == 1
    assert (result.stop_reason, result.metrics) == (StopReason.finished, {"success": 1.0, "progress": 1.0})
    assert grows_by_appending(model.requests)
    # The examples' think: lines are the content of the call that follows them.
    examples = [m for m in (model.requests[0].messages or ()) if m["role"] == "assistant"]
    assert examples and all(m["tool_calls"][0]["function"]["name"] == "act" for m in examples)
    assert not any("think:" in json.dumps(m) for m in examples)
    check_golden("tools-commands.txt", render(model.requests))


def held_commands(request: ModelRequest) -> list[str]:
    """The commands `act` may take in answer to `request` (`--grammar`)."""
    [act] = request.held_tools or ()
    return act["function"]["parameters"]["properties"]["command"]["enum"]


def test_the_grammar_holds_a_call_to_the_commands_the_game_accepts_now(first_game):  # noqa: F811
    """With --grammar, each request's `act` tool takes only the step's admissible commands (an
    enum, sent apart from the tools the chat shows, which stay put), as the text grammar does."""
    from react_agent.envs.alfworld import AlfWorldEnv

    outputs = [reply("", ("act", {"command": command})) for command in FIRST_GAME_PLAN]
    held, free = ScriptedModel(outputs), ScriptedModel(outputs)
    env = AlfWorldEnv()
    admissible = []
    original_step = env.step

    def step(action):  # what was admissible when the command was chosen
        admissible.append(list(env.admissible_commands))
        return original_step(action)

    env.step = step
    result = Agent(held, env, format="tools", max_steps=50, grammar=True).run(first_game)
    Agent(free, AlfWorldEnv(), format="tools", max_steps=50).run(first_game)
    assert result.metrics == {"success": 1.0, "progress": 1.0}
    assert [held_commands(r) for r in held.requests] == admissible
    assert len({tuple(commands) for commands in admissible}) > 1  # they change as the game goes
    # The chat is the one without the grammar, and so are the tools it shows.
    assert [r.messages for r in held.requests] == [r.messages for r in free.requests]
    assert all(r.tools == free.requests[0].tools for r in held.requests)
    assert all(r.held_tools is None for r in free.requests)
    assert held.requests[0].sha256() != free.requests[0].sha256()  # a replay tells them apart
    check_golden(
        "tools-commands-held.txt",
        "".join(
            f"=== request {k} ===\n" + "\n".join(held_commands(r)) + "\n"
            for k, r in enumerate(held.requests, 1)
        ),
    )


def test_the_grammar_leaves_tools_of_no_commands_as_they_are(demo_wiki, eiffel):
    model = ScriptedModel(HOTPOTQA_RUN)
    Agent(model, HotpotQAEnv(demo_wiki), format="tools", grammar=True).run(eiffel)
    assert model.requests and all(r.held_tools is None for r in model.requests)


def test_an_openai_server_is_sent_the_tools_held_to_the_commands(first_game):  # noqa: F811
    from react_agent.envs.alfworld import AlfWorldEnv

    outputs = [
        {"content": "", "tool_calls": [{"name": "act", "arguments": json.dumps({"command": c})}]}
        for c in FIRST_GAME_PLAN
    ]
    with scripted_openai_server(outputs) as server:
        model = OpenAIModel("scripted", base_url=url_of(server, "/v1"), api_key="k")
        result = Agent(model, AlfWorldEnv(), format="tools", max_steps=50, grammar=True).run(first_game)
        sent = server.requests
    assert result.metrics == {"success": 1.0, "progress": 1.0}
    for body, command in zip(sent, FIRST_GAME_PLAN, strict=True):
        [act] = body["tools"]
        assert command in act["function"]["parameters"]["properties"]["command"]["enum"]


def test_a_chat_with_tools_is_told_of_calls_not_of_lines(demo_wiki, eiffel, first_game):  # noqa: F811
    """Its system message is the prompt's tools instruction: the text formats' instruction asks
    for Action lines, `Search[entity]` and `think:` commands, none of which a chat with tools
    writes. An instruction of the user's own is told as it is."""
    from react_agent import tool
    from react_agent.envs.alfworld import AlfWorldEnv
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    @tool
    def add(a: int, b: int) -> int:
        """Add two whole numbers."""
        return a + b

    def system_message(agent: Agent, task: object) -> str:
        agent.run(task)  # the reply calls nothing: one request, then the episode ends
        [request] = agent.model.requests
        assert request.messages and request.messages[0]["role"] == "system"
        return request.messages[0]["content"]

    def agent(**kwargs: object) -> Agent:
        return Agent(ScriptedModel([reply("No call.")]), format="tools", **kwargs)

    told = {
        "react": system_message(agent(env=HotpotQAEnv(demo_wiki)), eiffel),
        "act": system_message(agent(env=HotpotQAEnv(demo_wiki, prompt=hotpotqa_prompt("act"))), eiffel),
        "alfworld": system_message(agent(env=AlfWorldEnv()), first_game),
        "tools": system_message(agent(tools=[add]), "17 plus 23?"),
    }
    assert told["react"] == told["tools"] == hotpotqa_prompt("react").tools_instruction
    assert told["act"] == hotpotqa_prompt("act").tools_instruction and "thought" not in told["act"]
    assert "calling act" in told["alfworld"]
    for text in told.values():
        assert not any(line in text for line in ("Action", "[", "think:", '">"'))
    assert system_message(agent(tools=[add], instructions="Add them."), "17 plus 23?") == "Add them."


def test_a_prompt_file_says_what_a_chat_with_tools_is_told(tmp_path):
    """Examples alone (the paper's layout) keep our tools instruction; an instruction of the file's
    own is told in its place unless the file words one for tools too."""
    from react_agent import AgentSettings
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    ours = hotpotqa_prompt("react")
    entries = {
        "examples_only": ours.examples,
        "own": {"instruction": "Find it.", "examples": ours.examples},
        "both": {
            "instruction": "Find it.",
            "tools_instruction": "Call to find it.",
            "examples": ours.examples,
        },
    }
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps(entries))
    tools = AgentSettings(format="tools")
    told = {key: hotpotqa_prompt("react", path, key).shown(tools).instruction for key in entries}
    assert told == {"examples_only": ours.tools_instruction, "own": "Find it.", "both": "Call to find it."}
    assert hotpotqa_prompt("react", path, "both").shown(AgentSettings()).instruction == "Find it."


def test_a_tools_run_replays_from_its_record(demo_wiki, eiffel, tmp_path):
    first = Agent(ScriptedModel(HOTPOTQA_RUN), HotpotQAEnv(demo_wiki), format="tools").run(eiffel)
    path = tmp_path / "run.jsonl"
    append_result(path, first)
    again = Agent(RecordedRun(path), HotpotQAEnv(demo_wiki), format="tools").run(eiffel)
    assert [s.action for s in again.steps] == [s.action for s in first.steps]
    assert [s.tool_calls for s in again.steps] == [s.tool_calls for s in first.steps]
    assert again.em == 1.0


def test_streamed_tool_calls_from_an_openai_server_malformed_ones_too(demo_wiki, eiffel):
    outputs = [
        {
            "content": "I search it.",
            "tool_calls": [{"name": "Search", "arguments": '{"entity": "Eiffel Tower"}'}],
        },
        {"content": "", "tool_calls": [{"name": "Lookup", "arguments": '{"keyword": '}]},  # cut off
        {"content": "", "tool_calls": [{"name": "", "arguments": "[]"}]},  # nameless
        {"content": "", "tool_calls": [{"name": "Finish", "arguments": '{"answer": "Seine"}'}]},
    ]
    with scripted_openai_server(outputs) as server:
        model = OpenAIModel("scripted", base_url=url_of(server, "/v1"), api_key="k")
        result = Agent(model, HotpotQAEnv(demo_wiki), format="tools").run(eiffel)
        sent = server.requests
    assert [s.action.text for s in result.steps] == [
        "Search[Eiffel Tower]",
        'Lookup({"keyword": )',
        "([])",
        "Finish[Seine]",
    ]
    assert all(s.observation.startswith("Invalid action") for s in result.steps[1:3])
    assert (result.stop_reason, result.em) == (StopReason.finished, 1.0)
    assert result.steps[0].thought == "I search it."
    assert all(body["tool_choice"] == "auto" and body["stream"] for body in sent)
    assert [t["function"]["name"] for t in sent[0]["tools"]] == ["Search", "Lookup", "Finish"]
    assert sent[1]["messages"][-2]["tool_calls"][0]["function"]["arguments"] == '{"entity": "Eiffel Tower"}'


def test_the_response_cache_keeps_tool_calls(demo_wiki, eiffel, tmp_path):
    first_model = ScriptedModel(HOTPOTQA_RUN)
    first = Agent(first_model, HotpotQAEnv(demo_wiki), format="tools", cache=tmp_path).run(eiffel)
    again_model = ScriptedModel([])  # answers nothing: every request must come from the cache
    again = Agent(again_model, HotpotQAEnv(demo_wiki), format="tools", cache=tmp_path).run(eiffel)
    assert again_model.requests == [] and [s.tool_calls for s in again.steps] == [
        s.tool_calls for s in first.steps
    ]
    assert again.em == 1.0


def test_format_tools_through_the_command_line(tmp_path):
    from test_cli import assert_one_line_error, react

    from react_agent import AgentSettings
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    calls = [
        {
            "content": "I search it.",
            "tool_calls": [{"name": "Search", "arguments": '{"entity": "Eiffel Tower"}'}],
        },
        {
            "content": "It is in Paris.",
            "tool_calls": [{"name": "Search", "arguments": '{"entity": "Paris"}'}],
        },
        {"content": "", "tool_calls": [{"name": "Finish", "arguments": '{"answer": "Seine"}'}]},
    ]
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(calls) as server:
        base = ("--task", "hotpotqa", "--n", "1", "--model", "openai:m", "--base-url", url_of(server, "/v1"))
        process = react("run", *base, "--format", "tools", "--out", out)
        assert process.returncode == 0, process.stderr
        assert "Search[Eiffel Tower]" in process.stdout and "Summary" in process.stdout
        [record] = [json.loads(line) for line in out.read_text().splitlines()]
        assert record["config"]["format"] == "tools" and record["metrics"]["em"] == 1.0
        # The prompt's fingerprint is of the instruction told, the tools one.
        told = hotpotqa_prompt("react").shown(AgentSettings(format="tools"))
        assert record["config"]["prompts"]["react"]["sha256"] == told.sha256()
        assert told.sha256() != hotpotqa_prompt("react").sha256()
        assert [s["tool_calls"][0]["name"] for s in record["steps"]] == ["Search", "Search", "Finish"]
        cot = react("bench", *base, "--method", "cot", "--format", "tools", "--out", tmp_path / "cot.jsonl")
        assert_one_line_error(cot, "format tools")
        assert_one_line_error(react("run", *base, "--format", "tools", "--paper"), "tools format")


def test_a_typed_answer_is_the_finish_call(eiffel):
    from pydantic import BaseModel

    from react_agent import tool

    class Sum(BaseModel):
        total: int
        unit: str

    @tool
    def add(a: int, b: int) -> int:
        """Add two whole numbers."""
        return a + b

    model = ScriptedModel(
        [
            reply("", ("Add", {"a": 17, "b": 23})),
            reply("", ("Finish", {"total": "many"})),  # refused: the observation says why
            reply("", ("Finish", {"total": 40, "unit": "apples"})),
        ]
    )
    result = Agent(model, tools=[add], output_type=Sum, format="tools").run("17 plus 23 apples?")
    finish = next(t["function"] for t in model.requests[0].tools or () if t["function"]["name"] == "Finish")
    assert set(finish["parameters"]["properties"]) == {"total", "unit"}
    assert result.steps[1].observation.startswith("Invalid input for Finish")
    assert (result.stop_reason, result.output) == (StopReason.finished, Sum(total=40, unit="apples"))


@pytest.mark.parametrize("method", FORMATS["tools"].only_methods)
def test_the_methods_that_act_play_with_tool_calls(demo_wiki, eiffel, method):
    from react_agent import AgentSettings, make_player
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    model = ScriptedModel([reply("", ("Finish", {"answer": "Seine"}))])
    settings = AgentSettings(format="tools", max_steps=3)
    player = make_player(
        method, model, lambda role: HotpotQAEnv(demo_wiki, prompt=hotpotqa_prompt(role)), settings
    )
    result = asyncio.run(player.arun(eiffel))
    assert result.em == 1.0
    [request] = model.requests
    assert request.messages and request.tools and not request.prompt


def test_a_tools_run_exports_as_its_own_chat(demo_wiki, eiffel):
    from react_agent.errors import OptionError
    from react_agent.export import examples
    from react_agent.trajectory import RunConfig

    result = Agent(ScriptedModel(HOTPOTQA_RUN), HotpotQAEnv(demo_wiki), format="tools").run(eiffel)
    config = RunConfig(
        task="hotpotqa",
        method="react",
        data="built-in",
        prompts={},
        model="m",
        seed=0,
        max_steps=7,
        max_tokens=128,
        packages={},
        format="tools",
    )
    result = result.model_copy(update={"config": config})
    [example] = list(examples([result], "chat"))
    messages = example["messages"]
    assert example["format"] == "tools" and messages[0] == {"role": "user", "content": result.question}
    assistants = [m for m in messages if m["role"] == "assistant"]
    assert [m["tool_calls"][0]["function"]["name"] for m in assistants] == [
        "Search",
        "Fly",
        "Lookup",
        "Search",
        "Finish",
    ]
    assert [m["content"] for m in messages if m["role"] == "tool"][0] == result.steps[0].observation
    with pytest.raises(OptionError, match="export it as chat"):
        list(examples([result], "completion"))

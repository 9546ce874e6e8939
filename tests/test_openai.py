"""OpenAIModel against real OpenAI-compatible servers on 127.0.0.1: llama-cpp-python's own server
running SmolLM2, and a small scripted server of ours for exact answers and failures."""

import asyncio
import re

import pytest

from conftest import free_port
from react_agent import Agent, StopReason
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ModelRequest, ModelUnavailable, OpenAIModel
from servers import scripted_openai_server, url_of

PROMPT = "Question: Where is the Eiffel Tower?\nThought 1:"


def test_completions_endpoint_on_llama_cpp_server(llama_server):
    model = OpenAIModel("smollm2", base_url=llama_server.url)
    completion = model.complete(ModelRequest(PROMPT, stop=["\nObservation 1:"], max_tokens=40))
    assert completion.text.strip()
    assert completion.usage.calls == 1


def test_chat_endpoint_on_llama_cpp_server(llama_server):
    model = OpenAIModel("smollm2", base_url=llama_server.url, endpoint="chat")
    completion = model.complete(ModelRequest("Say hello.", max_tokens=16))
    assert completion.text.strip()


def test_agent_plays_an_episode_through_the_server(llama_server, demo_wiki, demo_questions):
    model = OpenAIModel("smollm2", base_url=llama_server.url)
    result = Agent(model, HotpotQAEnv(demo_wiki), max_steps=2).run(demo_questions[0])
    assert result.stop_reason in (StopReason.finished, StopReason.max_steps), result.error
    assert result.steps


@pytest.mark.slow  # starts llama_cpp.server and plays under the grammar
def test_llama_cpp_server_holds_answers_to_the_grammar(llama_server, demo_wiki, demo_questions):
    """llama-cpp-python's server reads the `grammar` field: a grammar the model would never follow
    on its own is followed, and episodes under `grammar=True` go through the backend's check that
    each answer is a start of what the grammar allows, with only actions of the space."""
    model = OpenAIModel("smollm2", base_url=llama_server.url)
    zebra = 'root ::= " zebra " [0-9] [0-9]\n'
    held = model.complete(ModelRequest("The capital of France is", max_tokens=8, grammar=zebra))
    assert re.fullmatch(r" zebra [0-9]{2}", held.text)
    result = Agent(model, HotpotQAEnv(demo_wiki), max_steps=2, grammar=True).run(demo_questions[0])
    assert result.error is None and result.steps, result.error
    for step in result.steps:
        assert step.action.name in {"search", "lookup", "finish"} and step.action.argument


def test_async_client_on_llama_cpp_server(llama_server):
    model = OpenAIModel("smollm2", base_url=llama_server.url)
    completion = asyncio.run(model.acomplete(ModelRequest(PROMPT, max_tokens=8)))
    assert completion.text


def test_token_counts_and_prefix_reuse_on_llama_cpp_server(llama_server, smollm2_path):
    """This server sends no usage in its streams: the counts come from its tokenize endpoint. It
    evaluates only what follows the prefix that the request before it shared (its log says so)."""
    from llama_cpp import Llama

    vocabulary = Llama(str(smollm2_path), vocab_only=True, verbose=False)

    def tokens(text: str) -> int:
        return len(vocabulary.tokenize(text.encode(), special=True))

    model = OpenAIModel("smollm2", base_url=llama_server.url)
    first = model.complete(ModelRequest(PROMPT, stop=["\nObservation 1:"], max_tokens=24))
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (tokens(PROMPT), tokens(first.text))
    assert first.usage.evaluated_tokens is None  # it does not say what its cache served
    follow = f"{PROMPT}{first.text}\nObservation 1: It is in Paris.\nThought 2:"
    seen = len(llama_server.log.read_text())
    second = model.complete(ModelRequest(follow, stop=["\nObservation 2:"], max_tokens=8))
    assert second.usage.prompt_tokens == tokens(follow)
    hits = re.findall(r"Llama.generate: (\d+) prefix-match hit", llama_server.log.read_text()[seen:])
    assert hits and int(hits[-1]) >= tokens(PROMPT)


def test_stream_is_cut_when_the_action_is_whole():
    answer = " I search.\nAction 1: Search[Paris] and then I keep talking for a long while"
    with scripted_openai_server([answer]) as server:
        model = OpenAIModel("m", base_url=url_of(server, "/v1"))
        completion = model.complete(ModelRequest(PROMPT), lambda text: text.rstrip().endswith("]"))
    assert completion.text == " I search.\nAction 1: Search[Paris]"
    # A few pieces were read past the action, the usage did not come, and there is no tokenize
    # endpoint to ask: unknown, not zero.
    assert completion.usage.prompt_tokens is None


def test_usage_that_comes_soon_after_a_whole_action_is_read():
    with scripted_openai_server([" I search.\nAction 1: Search[Paris] now"]) as server:
        model = OpenAIModel("m", base_url=url_of(server, "/v1"))
        completion = model.complete(ModelRequest(PROMPT), lambda text: text.rstrip().endswith("]"))
    assert completion.text == " I search.\nAction 1: Search[Paris]"  # what follows is not ours
    assert completion.usage.completion_tokens == 6  # every piece the server sent, " now" among them


def test_usage_is_reported_when_the_stream_ends(demo_wiki, demo_questions):
    with scripted_openai_server([" x\nAction 1: Finish[Seine]"]) as server:
        model = OpenAIModel("m", base_url=url_of(server, "/v1"))
        completion = model.complete(ModelRequest(PROMPT))
        assert server.requests[0]["stop"] is None and server.requests[0]["stream"] is True
    assert completion.usage.completion_tokens == 4
    assert completion.usage.evaluated_tokens is None  # no cache figures from this server


def test_unreachable_server_is_a_clear_error():
    model = OpenAIModel("m", base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=1, timeout=5)
    with pytest.raises(ModelUnavailable, match="cannot reach model server at http://127.0.0.1"):
        model.complete(ModelRequest(PROMPT))


def test_missing_key_for_the_real_api_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelUnavailable, match="OPENAI_API_KEY is not set"):
        OpenAIModel("gpt-4o-mini")


@pytest.fixture(scope="module")
def llama_tools_server(smollm2_path, tmp_path_factory):
    """llama-cpp-python's server with its chat format for tool calls (`chatml-function-calling`:
    the model chooses a message or calls, each call's arguments held to the tool's schema)."""
    from llama_server import llama_cpp_server

    log = tmp_path_factory.mktemp("llama-tools-server") / "server.log"
    with llama_cpp_server(smollm2_path, log, chat_format="chatml-function-calling") as url:
        yield url


def test_tool_calls_through_llama_cpp_server(llama_tools_server):
    """The tools format end to end on a real server: the requests carry the tools, the calls come
    back as actions (asked again without streaming: this server sends an empty stream when the
    model may call tools), and whatever the small model calls, the episode ends as one can."""
    from react_agent import tool

    @tool
    def search(entity: str) -> str:
        """Find the encyclopedia page of an entity."""
        return f"{entity} is a thing."

    model = OpenAIModel("smollm2", base_url=llama_tools_server)
    instructions = "Answer the question. Search first, then call Finish with the answer."
    agent = Agent(model, tools=[search], instructions=instructions, format="tools", max_steps=3)
    results = [
        agent.run(question) for question in ["Where is Paris?", "Who wrote Hamlet?", "What is the Nile?"]
    ]
    assert all(r.stop_reason is not StopReason.error for r in results), [r.error for r in results]
    steps = [s for r in results for s in r.steps]
    assert steps, "the model called a tool at least once"
    for step in steps:
        # The server held the arguments to the tool's schema: each call reads as that tool's action.
        assert step.tool_calls and step.tool_calls[0].name in ("Search", "Finish")
        assert step.action.name == step.tool_calls[0].name.lower() and step.action.argument, step.action
    assert model._streams_tool_calls is False

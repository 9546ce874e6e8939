"""OpenAIModel against real OpenAI-compatible servers on 127.0.0.1: llama-cpp-python's own server
running SmolLM2, and a small scripted server of ours for exact answers and failures."""

import asyncio

import pytest

from conftest import free_port
from react_agent import Agent, StopReason
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ModelRequest, ModelUnavailable, OpenAIModel
from servers import scripted_openai_server, url_of

PROMPT = "Question: Where is the Eiffel Tower?\nThought 1:"


def test_completions_endpoint_on_llama_cpp_server(llama_server):
    model = OpenAIModel("smollm2", base_url=llama_server)
    completion = model.complete(ModelRequest(PROMPT, stop=["\nObservation 1:"], max_tokens=40))
    assert completion.text.strip()
    assert completion.usage.calls == 1


def test_chat_endpoint_on_llama_cpp_server(llama_server):
    model = OpenAIModel("smollm2", base_url=llama_server, endpoint="chat")
    completion = model.complete(ModelRequest("Say hello.", max_tokens=16))
    assert completion.text.strip()


def test_agent_plays_an_episode_through_the_server(llama_server, demo_wiki, demo_questions):
    model = OpenAIModel("smollm2", base_url=llama_server)
    result = Agent(model, HotpotQAEnv(demo_wiki), max_steps=2).run(demo_questions[0])
    assert result.stop_reason in (StopReason.finished, StopReason.max_steps), result.error
    assert result.steps


def test_async_client_on_llama_cpp_server(llama_server):
    model = OpenAIModel("smollm2", base_url=llama_server)
    completion = asyncio.run(model.acomplete(ModelRequest(PROMPT, max_tokens=8)))
    assert completion.text


def test_stream_is_cut_when_the_action_is_whole():
    answer = " I search.\nAction 1: Search[Paris] and then I keep talking for a long while"
    with scripted_openai_server([answer]) as server:
        model = OpenAIModel("m", base_url=url_of(server, "/v1"))
        completion = model.complete(ModelRequest(PROMPT), lambda text: text.rstrip().endswith("]"))
    assert completion.text == " I search.\nAction 1: Search[Paris]"
    assert completion.usage.prompt_tokens is None  # the usage chunk never came: unknown, not zero


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

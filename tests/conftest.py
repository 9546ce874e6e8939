from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
HOTPOT_SAMPLE = SHARED_DATA / "hotpotqa" / "hotpot_dev_distractor_sample.jsonl"
WIKI_SLICE = SHARED_DATA / "hotpotqa" / "wiki_abstracts_slice.jsonl"
PAPER_PROMPTS = SHARED_DATA / "react-prompts" / "prompts_naive.json"


def need_shared(*paths: Path) -> None:
    for path in paths:
        if not path.exists():
            pytest.skip(f"reference data {path} is absent (it lives in ../shared/data beside the clone)")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # Indexes go to a cache folder; tests use their own so they never see a user's.
    monkeypatch.setenv("REACT_AGENT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    # Importing alfworld sets ALFWORLD_DATA to its own default; a `react` started by a test must
    # see the environment a user has, not that.
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)


@pytest.fixture(scope="session")
def demo_wiki(tmp_path_factory):
    from react_agent.envs.hotpotqa import DEMO_WIKI
    from react_agent.tools.wikipedia import LocalWiki

    return LocalWiki.from_corpus(DEMO_WIKI, cache_dir=tmp_path_factory.mktemp("demo-index"), progress=False)


@pytest.fixture(scope="session")
def demo_questions():
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, load_questions

    return load_questions(DEMO_QUESTIONS)


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python is not installed: pip install -e '.[test]'")
    from react_agent.models.llama_cpp import embedded_model_path

    return embedded_model_path()


@pytest.fixture(scope="session")
def smollm2(smollm2_path):
    from react_agent.models import LlamaCppModel

    return LlamaCppModel(smollm2_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer(NamedTuple):
    url: str  # the OpenAI-compatible API, ending in /v1
    log: Path  # what the server prints: its prefix-cache hits among them


@pytest.fixture(scope="session")
def llama_server(smollm2_path, tmp_path_factory):
    """llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, serving SmolLM2."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(smollm2_path),
        "--model_alias",
        "smollm2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        str(os.cpu_count()),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 120 s")
            time.sleep(0.3)
        yield LlamaServer(base_url, log)
    finally:
        process.terminate()
        process.wait(timeout=30)

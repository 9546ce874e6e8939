from __future__ import annotations

import compileall
import contextlib
import importlib.util
import os
from pathlib import Path
from typing import NamedTuple

import pytest

from llama_server import free_port, llama_cpp_server

__all__ = ["free_port"]  # the tests that start servers of their own take a port from here

REPO = Path(__file__).resolve().parents[1]

# README's test command plays a test file per core (pytest-xdist). Each worker, and what it starts,
# keeps to a core of its own: a model then decodes with one thread per worker (it takes as many as
# its process may use), where two workers' models each taking every core would wait on each other.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and hasattr(os, "sched_setaffinity"):
    _cpus = sorted(os.sched_getaffinity(0))
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) <= len(_cpus):
        os.sched_setaffinity(0, {_cpus[int(_worker[2:]) % len(_cpus)]})


def pytest_configure(config):
    # The tests start `react` in processes of their own a few hundred times. Where bytecode is not
    # written (PYTHONDONTWRITEBYTECODE, as on our CI's image), each of them would compile the
    # package's sources again: compile them once, before the workers start.
    if not _worker:
        for folder in ("react_agent", "envs", "tools", "benchmarks", "tests"):
            compileall.compile_dir(REPO / folder, quiet=1)


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


class LlamaServer(NamedTuple):
    url: str  # the OpenAI-compatible API, ending in /v1
    log: Path  # what the server prints: its prefix-cache hits among them


@pytest.fixture(scope="session")
def llama_server(smollm2_path, tmp_path_factory):
    """llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, serving SmolLM2."""
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(llama_cpp_server(smollm2_path, log))
        except RuntimeError as error:
            pytest.fail(str(error))
        yield LlamaServer(url, log)


@pytest.fixture(scope="session")
def planned_game(tmp_path_factory):
    """A generated ALFWorld game (seed 5, react wording: put a cd on a shelf), and the generator's
    plan that wins it, for scripted models to play."""
    from react_agent.envs.alfworld.generator import generate

    out = tmp_path_factory.mktemp("planned-game")
    plans = []
    generate(out, 1, seed=5, wording="react", on_solved=lambda path, plan: plans.append(plan))
    return out, plans[0]


@pytest.fixture
def server():
    """The scripted OpenAI-compatible server on 127.0.0.1 that the `react bench` tests play against
    (its deterministic model: `openai_server.search_then_answer`)."""
    from openai_server import search_then_answer
    from servers import scripted_openai_server

    with scripted_openai_server(answer_for=search_then_answer, delay=0.05) as running:
        yield running

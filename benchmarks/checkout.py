"""The tests' servers on 127.0.0.1 (`tests/openai_server.py`: an OpenAI-like server with scripted
answers and faults; `tests/llama_server.py`: llama-cpp-python's own), for the benchmarks that need
one. They are test code, kept out of the package: these benchmarks run from a checkout."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[1] / "tests"


def from_tests(name: str) -> ModuleType:
    """The module `tests/<name>.py` of this checkout."""
    if not (TESTS / f"{name}.py").exists():
        raise SystemExit(f"this benchmark uses tests/{name}.py: run it from a checkout (pip install -e .)")
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return importlib.import_module(name)

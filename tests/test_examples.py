"""Every file in examples/ runs: with a scripted model where its exact output is asserted, and as
a user runs it, with the embedded model, where only that it completes is."""

import asyncio
import importlib.util
import json
import subprocess
import sys

import httpx
import pytest

from conftest import REPO, free_port
from react_agent.models import ScriptedModel

EXAMPLES = REPO / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_as_a_user(*args):
    process = subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=REPO
    )
    assert process.returncode == 0, process.stderr[-2000:]
    return process.stdout


def test_every_example_is_tested_here():
    tested = {"calculator_agent", "custom_environment", "mcp_agent", "mcp_units_server", "async_service"}
    tested |= {"typed_answer"}
    assert {path.stem for path in EXAMPLES.glob("*.py")} == tested


def test_calculator_agent(capsys):
    example = load("calculator_agent")
    model = ScriptedModel(
        [
            " I convert miles to km.\n"
            'Action 1: Convert[{"value": 26.2, "from_unit": "mile", "to_unit": "km"}]',
            " Check it.\nAction 2: Calculate[26.2 * 1609.344 / 1000]",
            " Bad.\nAction 3: Calculate[__import__('os')]",
            " It is 42.165 km.\nAction 4: Finish[42.165]",
        ]
    )
    assert example.main("How many kilometres is 26.2 miles?", model) == "42.165"
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == [
        'Convert[{"value": 26.2, "from_unit": "mile", "to_unit": "km"}] -> 42.164813',
        "Calculate[26.2 * 1609.344 / 1000] -> 42.1648128",
        "Calculate[__import__('os')] -> Calculate takes numbers and + - * / ** only, "
        "not \"__import__('os')\".",
    ]
    assert "Here are some examples." in model.requests[0].prompt
    assert "(2) Convert[" in model.requests[0].prompt and "converts a length" in model.requests[0].prompt
    assert "answer:" in run_as_a_user(EXAMPLES / "calculator_agent.py", "What is 6 times 7?")


def test_typed_answer(capsys):
    example = load("typed_answer")
    model = ScriptedModel(
        [
            " The total is 3 * 40.\nAction 1: Calculate[3 * 40]",
            ' Acme, 120.\nAction 2: Finish[{"vendor": "Acme Ltd", "total": 120}]',
            ' In euros.\nAction 3: Finish[{"vendor": "Acme Ltd", "total": 120, "currency": "euro"}]',
            ' EUR.\nAction 4: Finish[{"vendor": "Acme Ltd", "total": 120, "currency": "EUR"}]',
        ]
    )
    invoice = example.main("Acme Ltd billed 3 hours at 40 EUR an hour.", model)
    assert invoice == example.Invoice(vendor="Acme Ltd", total=120.0, currency="EUR")
    printed = capsys.readouterr().out.splitlines()
    # Each answer that does not validate is the observation, and the episode goes on.
    assert printed[1].startswith('Finish[{"vendor": "Acme Ltd", "total": 120}] -> Invalid input for Finish')
    assert "currency: Field required" in printed[1]
    assert "currency: String should match pattern" in printed[2]
    finish = 'Finish[{"vendor": str, "total": float, "currency": str}]'
    assert printed[1].endswith(f"It takes {finish}.")
    assert f"{finish} gives the answer" in model.requests[0].prompt
    assert "invoice:" in run_as_a_user(EXAMPLES / "typed_answer.py")


def test_custom_environment(capsys):
    example = load("custom_environment")
    bisect = [" Middle.\nAction 1: Guess[50]", " Lower.\nAction 2: Guess[25]", " Up.\nAction 3: Guess[30]"]
    model = ScriptedModel([*bisect, " Found.\nAction 4: Finish[30]", " Go.\nAction 1: Finish[50]"])
    assert example.main(model) == [1.0, 0.0]
    assert "game-1: ['Guess[50]', 'Guess[25]', 'Guess[30]', 'Finish[30]']" in capsys.readouterr().out
    assert "game-2:" in run_as_a_user(EXAMPLES / "custom_environment.py")


def test_mcp_agent(capsys):
    example = load("mcp_agent")
    model = ScriptedModel(
        [
            " I look it up.\nAction 1: boiling_point[ethanol]",
            ' In F.\nAction 2: temperature[{"value": 78.37, "from_scale": "C", "to_scale": "F"}]',
            ' Wrong scale.\nAction 3: temperature[{"value": 1, "from_scale": "R", "to_scale": "F"}]',
            " Done.\nAction 4: Finish[173.07 F]",
        ]
    )
    assert example.main("What is the boiling point of ethanol in Fahrenheit?", model) == "173.07 F"
    printed = capsys.readouterr().out
    assert "boiling_point[ethanol] -> 78.37 C" in printed
    assert "-> 173.07" in printed and "unknown scale 'R': use C, F or K" in printed


@pytest.mark.slow  # the example as a user runs it: its MCP server and the embedded model
def test_mcp_agent_runs_as_it_is():
    assert "answer:" in run_as_a_user(EXAMPLES / "mcp_agent.py")


def counting_model():
    def answer(prompt):
        word = prompt.rsplit("Question: How many letters has ", 1)[1].split("?", 1)[0]
        if "\nObservation 1:" not in prompt.rsplit("Question:", 1)[1]:
            return f" I count them.\nAction 1: CountLetters[{word}]"
        return f" So {len(word)}.\nAction 2: Finish[{len(word)}]"

    class Counting(ScriptedModel):
        def complete(self, request, stop_when=None):
            self._outputs.append(answer(request.prompt))
            return super().complete(request, stop_when)

    return Counting([])


QUESTIONS = [f"How many letters has {word}?" for word in ("strawberry", "banana", "kiwi")]


def served(model, questions):
    """What the example's service answers `questions` (as JSON) and a body that is no JSON."""
    example = load("async_service")

    async def ask(port, body):
        async with httpx.AsyncClient() as client:
            return await client.post(f"http://127.0.0.1:{port}/ask", content=body, timeout=600)

    async def scenario():
        port = free_port()
        server = await example.serve(port, model)
        async with server:
            response = await ask(port, json.dumps({"questions": questions}))
            bad = await ask(port, "not json")
        return response, bad

    return asyncio.run(scenario())


def test_async_service():
    response, bad = served(counting_model(), QUESTIONS)
    assert response.status_code == 200 and response.json() == {"answers": ["10", "6", "4"]}
    assert bad.status_code == 400


@pytest.mark.slow  # the embedded model answers two questions through the service
def test_async_service_with_the_embedded_model(smollm2):
    response, _ = served(smollm2, QUESTIONS[:2])  # it completes
    assert response.status_code == 200 and len(response.json()["answers"]) == 2


@pytest.mark.parametrize("name", ["mcp_units_server"])
def test_the_mcp_server_is_one_of_the_examples(name):
    example = load(name)
    assert example.temperature(100, "C", "F") == 212.0

"""An agent with two tools of its own: a calculator and a unit converter, on the embedded model.

    python examples/calculator_agent.py "How many kilometres is 26.2 miles?"

Each tool is a plain function: `@tool` takes its name, its docstring's first paragraph and its
signature; the agent's instruction lists them, and the model calls them as `Name[argument]`.
"""

from __future__ import annotations

import ast
import operator
import sys

from react_agent import Agent, ToolError, tool

_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
}


@tool
def calculate(expression: str) -> float:
    """works out an arithmetic expression such as 3 * (4 + 5) / 2."""

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.operand))
        raise ToolError(f"Calculate takes numbers and + - * / ** only, not {ast.unparse(node)!r}.")

    try:
        return value(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ZeroDivisionError) as error:
        raise ToolError(f"Cannot calculate {expression!r}: {error}.") from None


_TO_METRES = {"m": 1.0, "km": 1000.0, "mile": 1609.344, "ft": 0.3048, "inch": 0.0254}


@tool
def convert(value: float, from_unit: str, to_unit: str) -> float:
    """converts a length between m, km, mile, ft and inch."""
    for unit in (from_unit, to_unit):
        if unit not in _TO_METRES:
            raise ToolError(f"Convert knows {', '.join(_TO_METRES)}, not {unit!r}.")
    return round(value * _TO_METRES[from_unit] / _TO_METRES[to_unit], 6)


EXAMPLES = [
    "Question: What is 12 times 7, plus 5?\n"
    "Thought 1: I calculate it.\n"
    "Action 1: Calculate[12 * 7 + 5]\n"
    "Observation 1: 89\n"
    "Thought 2: It is 89.\n"
    "Action 2: Finish[89]\n",
    "Question: How many feet are 3 metres?\n"
    "Thought 1: I convert 3 m to ft.\n"
    'Action 1: Convert[{"value": 3, "from_unit": "m", "to_unit": "ft"}]\n'
    "Observation 1: 9.84252\n"
    "Thought 2: It is about 9.84 feet.\n"
    "Action 2: Finish[9.84]\n",
]


def make_agent(model=None) -> Agent:
    if model is None:
        from react_agent.models import LlamaCppModel

        model = LlamaCppModel()  # the embedded SmolLM2-135M-Instruct
    return Agent(model, tools=[calculate, convert], examples=EXAMPLES, max_steps=4)


def main(question: str, model=None) -> str | None:
    result = make_agent(model).run(question)
    for step in result.steps:
        print(f"{step.action.text} -> {step.observation}")
    print(f"answer: {result.answer} ({result.stop_reason.value})")
    return result.answer


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "How many kilometres is 26.2 miles?")

"""A typed answer: the agent's Finish must be an `Invoice`, checked by pydantic, on the embedded model.

    python examples/typed_answer.py "Acme Ltd billed 3 hours at 40 EUR an hour."

`Agent(..., output_type=Invoice)` shows the model Finish with the invoice's fields, reads Finish's
argument as a JSON object of them, and validates it: an answer that does not validate is the
observation (what is wrong, and what Finish takes), and the episode goes on; one that does ends it,
and `result.output` is the `Invoice`. A 135M model rarely writes one; a bigger one
(`--model qwen2.5-coder-1.5b`'s file, or a server) does.
"""

from __future__ import annotations

import sys

from pydantic import BaseModel, Field

from react_agent import Agent, tool


class Invoice(BaseModel):
    vendor: str
    total: float = Field(ge=0)
    currency: str = Field(pattern="^[A-Z]{3}$")


@tool
def calculate(expression: str) -> float:
    """works out a product or sum of numbers such as 3 * 40."""
    terms = [term.split("*") for term in expression.replace(" ", "").split("+")]
    total = 0.0
    for factors in terms:
        product = 1.0
        for factor in factors:
            product *= float(factor)
        total += product
    return total


EXAMPLES = [
    "Question: Read the invoice: Bolt GmbH charged 2 lamps at 15 EUR each.\n"
    "Thought 1: The total is 2 * 15.\n"
    "Action 1: Calculate[2 * 15]\n"
    "Observation 1: 30.0\n"
    "Thought 2: Bolt GmbH, 30 EUR.\n"
    'Action 2: Finish[{"vendor": "Bolt GmbH", "total": 30.0, "currency": "EUR"}]\n',
]


def main(text: str, model=None) -> Invoice | None:
    if model is None:
        from react_agent.models import LlamaCppModel

        model = LlamaCppModel()  # the embedded SmolLM2-135M-Instruct
    agent = Agent(model, tools=[calculate], examples=EXAMPLES, output_type=Invoice, max_steps=4)
    result = agent.run(f"Read the invoice: {text}")
    for step in result.steps:
        print(f"{step.action.text} -> {step.observation}")
    print(f"invoice: {result.output!r} ({result.stop_reason.value})")
    return result.output


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "Acme Ltd billed 3 hours at 40 EUR an hour.")

"""How many observations of a bootstrapped HotpotQA prompt file show a supporting page of test
questions (a page a test question needs is no leak of its answer, but a reader should know).

    python -m benchmarks.example_pages PROMPTS.json DATA [--test 1-100]

For each example step that opened a page, it names the test questions whose supporting facts that
step showed (by the page's title, or by one of its sentences: `envs.hotpotqa.supports`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from react_agent.envs.hotpotqa import Question, load_questions, opened_a_page, supports
from react_agent.formats import FORMATS
from react_agent.prompts import prompt_keys, read_prompt_file
from react_agent.trajectory import Action, Step


def example_steps(prompt_file: Path) -> list[Step]:
    """Every step of every example of the file, read back by its format."""
    data = read_prompt_file(prompt_file)
    steps = []
    for key in prompt_keys(data):
        for read in FORMATS[data[key]["format"]].read(data[key]["examples"]):
            name, _, argument = read.action.partition("[")
            action = Action(text=read.action, name=name.lower(), argument=argument.removesuffix("]"))
            steps.append(Step(index=1, thought=read.thought, action=action, observation=read.observation,
                              model_outputs=[]))  # fmt: skip
    return steps


def supporting(steps: list[Step], questions: list[Question]) -> list[tuple[Step, list[str]]]:
    """The steps that opened a page, each with the ids of the questions it showed a supporting page of."""
    return [(s, [q.id for q in questions if supports(s, q)]) for s in steps if opened_a_page(s)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt_file", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--test", default="1-100", help="the test questions, A-B (1-based, inclusive)")
    args = parser.parse_args()
    first, last = map(int, args.test.split("-"))
    questions = load_questions(args.data)[first - 1 : last]
    found = supporting(example_steps(args.prompt_file), questions)
    for step, ids in found:
        print(f"{step.action.text}: {', '.join(ids) or '-'}")
    shown = sum(bool(ids) for _, ids in found)
    print(f"{shown} of {len(found)} pages the examples opened support test questions {args.test}")


if __name__ == "__main__":
    main()

"""How our ALFWorld examples in state lines (`--format state`) were written: from our ReAct
examples of the same task type and wording (`react/<wording>/<type>` in
react_agent/prompts/alfworld.json), step for step. Each command becomes a step whose state lines
say where things stood before it: the goal (the task's sentence), the location (the last place
gone to; at first the middle of the room) and the inventory (the last thing taken, until it was
put down); the `think:` commands before it become its one Thought line; its observation is the
game's answer as the example has it. No step is added or left out: the commands are the same.

    python -m benchmarks.state_examples [--check]

rewrites the `state/...` prompts in place (`--check`: says whether they are up to date; a test
runs it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from react_agent.formats import FORMATS
from react_agent.trajectory import Action

PROMPTS = Path(__file__).resolve().parents[1] / "react_agent" / "prompts" / "alfworld.json"
START = "middle of the room"
EMPTY = "nothing"
INSTRUCTION = (
    "Solve a household task one step at a time. A step begins with three lines on where things "
    "stand: Goal (what the task asks), Location (where you are) and Inventory (what you carry). "
    "Then, when it helps, a Thought line reasons about what to do next, and an Action line gives "
    "one command that acts in the room ({commands}), which the household answers on an "
    "Observation line."
)


def in_state_lines(example: str) -> str:
    """A ReAct example (`> command` lines) written in state lines (see the module's docstring)."""
    task, _, steps = example.partition("\n> ")
    goal = task.split("Your task is to: ", 1)[1].strip()
    written, thoughts = FORMATS["state"], []
    location, inventory, text = START, EMPTY, task + "\n"
    for command, observation in re.findall(r"(.*)\n(.*)\n", "> " + steps):
        command = command.removeprefix("> ")
        if command.startswith("think:"):
            thoughts.append(command.removeprefix("think:").strip())
            continue
        state = {"goal": goal, "location": location, "inventory": inventory}
        text += written.block(0, " ".join(thoughts), Action(text=command), observation, state)
        thoughts = []
        if command.startswith("go to "):
            location = command.removeprefix("go to ")
        elif taken := re.match(r"take (.+) from ", command):
            inventory = taken[1]
        elif command.startswith(("put ", "move ")):
            inventory = EMPTY
    return text


def state_prompts(prompts: dict[str, Any]) -> dict[str, Any]:
    """The `state/<wording>/<type>` prompts, from the `react/<wording>/<type>` ones."""
    out = {}
    for key, prompt in prompts.items():
        if not key.startswith("react/"):
            continue
        examples = re.split(r"(?m)^(?=You are in the middle of a room\.)", prompt["examples"])
        commands = re.search(r"\((go to, [^)]*)\)", prompt["instruction"])[1]  # type: ignore[index]
        out["state/" + key.removeprefix("react/")] = {
            "instruction": INSTRUCTION.format(commands=commands),
            "examples": "".join(in_state_lines(example) for example in examples if example),
            "format": "state",
            "task_header": prompt["task_header"],
            "examples_intro": prompt["examples_intro"],
            "example_start": prompt["example_start"],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="say whether the file is up to date")
    args = parser.parse_args()
    prompts = json.loads(PROMPTS.read_text(encoding="utf-8"))
    written = {key: value for key, value in prompts.items() if not key.startswith("state/")}
    written |= state_prompts(written)
    if args.check:
        if written != prompts:
            sys.exit(
                f"{PROMPTS}: its state prompts are not those of its react prompts: rerun without --check"
            )
        return
    PROMPTS.write_text(json.dumps(written, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {sum(key.startswith('state/') for key in written)} state prompts into {PROMPTS}")


if __name__ == "__main__":
    main()

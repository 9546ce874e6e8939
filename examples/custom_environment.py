"""A task of one's own: an `Environment` written from scratch, played by a ReAct agent.

An environment subclasses `react_agent.Environment` and writes four methods
(react_agent/environment.py):

- `prompt(task)`: the instruction, few-shot examples and step format for this task (a `Prompt`);
- `reset(task)`: start the task and return the first observation (what the model is asked);
- `step(action)`: carry out one action, return an `Observation` (its text, and whether the task is
  done); a bad action is an observation, an expected failure raises `ToolError` (shown to the model);
- `outcome()`: the answer given, the gold one, and the metrics, whether or not the task finished.

The others have defaults: `astep` (an async `step`), `action_space` (for a grammar), `close` (the
end of each episode) and `describe` (what a run's record says of it).

Here the task is to find a hidden number with Guess[n] ("higher" / "lower"); the model's
`Finish[n]` names the number it found.

    python examples/custom_environment.py
"""

from __future__ import annotations

from dataclasses import dataclass

from react_agent import Action, Agent, Environment, Observation, Outcome, Prompt

INSTRUCTION = (
    "Find the hidden whole number between 1 and 100 by alternating Thought, Action and Observation "
    "lines. An Action is Guess[n], answered higher, lower or right, or Finish[n] to give the number. "
    "Here is an example.\n"
)
EXAMPLE = (
    "Question: Find the hidden number.\n"
    "Thought 1: I start in the middle.\n"
    "Action 1: Guess[50]\n"
    "Observation 1: higher\n"
    "Thought 2: It is above 50.\n"
    "Action 2: Guess[75]\n"
    "Observation 2: right\n"
    "Thought 3: I found it.\n"
    "Action 3: Finish[75]\n"
)


@dataclass
class HiddenNumber:
    id: str
    number: int
    question: str = "Find the hidden number."


class GuessingGame(Environment):
    """The four methods every `react_agent.Environment` writes (the rest have defaults)."""

    def __init__(self):
        self.game: HiddenNumber | None = None
        self.answer: str | None = None
        self.guesses = 0

    def prompt(self, task: HiddenNumber) -> Prompt:
        return Prompt(instruction=INSTRUCTION, examples=EXAMPLE, format="numbered")

    def reset(self, task: HiddenNumber) -> str:
        self.game, self.answer, self.guesses = task, None, 0
        return f"Question: {task.question}"

    def step(self, action: Action) -> Observation:
        assert self.game is not None, "step() before reset()"
        if action.name == "finish" and action.argument is not None:
            self.answer = action.argument
            won = action.argument.strip() == str(self.game.number)
            return Observation("You won." if won else "That is not it.", done=True)
        if action.name != "guess" or not (action.argument or "").strip().isdigit():
            return Observation(f"Invalid action: {action.text}. Use Guess[n] or Finish[n].")
        self.guesses += 1
        guess = int(action.argument)
        if guess == self.game.number:
            return Observation("right")
        return Observation("higher" if guess < self.game.number else "lower")

    def outcome(self) -> Outcome:
        found = self.game is not None and self.answer == str(self.game.number)
        return Outcome(
            answer=self.answer,
            gold=str(self.game.number) if self.game else None,
            metrics={"success": float(found), "guesses": float(self.guesses)},
        )


def main(model=None) -> list[float]:
    if model is None:
        from react_agent.models import LlamaCppModel

        model = LlamaCppModel()  # the embedded SmolLM2-135M-Instruct
    agent = Agent(model, GuessingGame(), max_steps=8)
    scores = []
    for game in [HiddenNumber("game-1", 30), HiddenNumber("game-2", 81)]:
        result = agent.run(game)
        print(f"{game.id}: {[s.action.text for s in result.steps]} -> {result.metrics}")
        scores.append(result.metrics["success"])
    return scores


if __name__ == "__main__":
    main()

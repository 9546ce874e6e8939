"""`AgentSettings`: every option of how an agent plays, in one record.

One object carries them from the command line or the caller to every player: an `Agent`, the
samples of CoT-SC, the two hybrids. A method builds its agents from it (changing what the method
itself decides, such as the samples' temperature), never by copying fields one by one, so an
option added here reaches every method without another line of code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from react_agent.formats import chosen_format
from react_agent.rules import OURS, Rules, rules_of

DEFAULT_MAX_STEPS = 7  # the paper's HotpotQA limit: an Agent's, when neither it nor a task says
SC_SAMPLES = 21  # the paper's number of sampled CoT chains
SC_TEMPERATURE = 0.7  # and their temperature
# What a run's record keeps of the settings (see `AgentSettings.recorded`).
_RECORDED = {"max_steps", "final_answer", "shots", "max_repeats", "grammar", "paper", "episode_tokens"}
_RECORDED |= {"episode_seconds"}


class AgentSettings(BaseModel):
    """How an agent plays. Unknown names and out-of-range values are refused when it is made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_steps: int | None = Field(
        None,
        ge=1,
        description="steps before an episode ends without an answer (default: the task's, 7 or 50; "
        "1 for the methods that answer at once; 7 for an Agent given no task)",
    )
    max_tokens: int | None = Field(
        None,
        ge=1,
        description="the token budget of one model call (default: 128; the paper's 100 under `paper`)",
    )
    temperature: float | None = Field(
        None, ge=0, description="sampling temperature (default: the model's, 0)"
    )
    final_answer: bool = Field(
        False,
        description="at the step limit, ask once more for Finish[ and score that answer (off in the paper)",
    )
    max_repeats: int | None = Field(
        None,
        ge=0,
        description="end an episode when the same action gives the same observation this many times in a "
        f"row (default: {OURS.loop_guard}; 0: never, as in the paper, whose rules have it off)",
    )
    grammar: bool = Field(
        False,
        description="let the model write only well-formed steps over the task's actions (a GBNF grammar; "
        "with --format tools, a game's commands held to those it accepts at each step)",
    )
    shots: int | None = Field(None, ge=0, description="few-shot examples kept in each prompt (default: all)")
    sc_samples: int = Field(
        SC_SAMPLES, ge=1, description="CoT-SC and ReAct-SC: chains or episodes sampled per task, to vote"
    )
    sc_temperature: float = Field(
        SC_TEMPERATURE, ge=0, description="CoT-SC and ReAct-SC: the samples' temperature"
    )
    attempts: int = Field(
        3,
        ge=1,
        description="Reflexion: attempts at a task, each after a failed one and the model's reflection on "
        "it; the first success ends the task",
    )
    oracle_feedback: bool = Field(
        False,
        description="Reflexion on a task whose environment judges no success (HotpotQA): judge attempts by "
        "the gold answer, as the Reflexion paper did; such a run's score is no test score",
    )
    top_p: float | None = Field(
        None,
        gt=0,
        le=1,
        description="nucleus sampling of sampled requests, and no other truncation (default: the model's "
        "own; 1 under `paper`, as the paper's)",
    )
    episode_tokens: int | None = Field(
        None,
        ge=1,
        description="end an episode once its model calls have sent and generated this many tokens "
        "(stop reason: limit)",
    )
    episode_seconds: float | None = Field(
        None,
        gt=0,
        description="end an episode once its model calls and actions have taken this many seconds (a "
        "call in flight is not cut: remote calls have their own timeout)",
    )
    format: Literal["text", "tools", "state"] = Field(
        "text",
        description="how the model writes a step: text (the prompt's own layout, as in the paper), tools "
        "(a chat model's native tool calls) or state (goal, location and inventory lines before each "
        "thought and action: a prompt in state lines, ALFWorld's our own)",
    )
    paper: bool = Field(
        False,
        description="the ReAct paper's rules: its parsing, transcript, observations and limits, so that "
        "each request is what its code sends (README: what --paper changes)",
    )

    @model_validator(mode="after")
    def _rules_allow_it(self) -> AgentSettings:
        if not self.rules.guards and (self.final_answer or self.max_repeats):
            raise ValueError(f"{self.rules.name} ask for no answer at the step limit and have no loop guard")
        refusal = chosen_format(self.format).refusal(self.rules, final_answer=self.final_answer)
        if refusal:
            raise ValueError(refusal)
        return self

    @property
    def rules(self) -> Rules:
        """The rules these settings play by: the paper's code's with `paper`, else ours. The one
        place that reads `paper`: everything else is handed the rules."""
        return rules_of(self)

    @property
    def nucleus(self) -> float | None:
        """The top-p of sampled requests (`top_p`, resolved): None leaves the model its own."""
        return self.top_p if self.top_p is not None else self.rules.top_p

    @property
    def loop_guard(self) -> int:
        """The repeats that end an episode (`max_repeats`, resolved)."""
        return self.max_repeats if self.max_repeats is not None else self.rules.loop_guard

    @property
    def budget(self) -> int:
        """The token budget of a model call (`max_tokens`, resolved)."""
        return self.max_tokens or self.rules.max_tokens

    def but(self, **changes: Any) -> AgentSettings:
        """These settings with some changed, validated as any settings are."""
        return AgentSettings.model_validate(self.model_dump() | changes)

    def recorded(self) -> dict[str, Any]:
        """The fields a run's record (`RunConfig`) keeps of them; the temperatures are recorded
        with each prompt role, the samples with the method that draws them."""
        recorded = self.model_dump(include=_RECORDED) | {"max_tokens": self.budget}
        recorded["max_repeats"] = self.loop_guard
        # Only where it is not the prompts' own, so that the runs recorded before it keep their configs.
        return recorded | chosen_format(self.format).recorded()

"""react-agent: ReAct agents (Thought / Action / Observation) on local or remote language models."""

from react_agent.agent import Agent
from react_agent.environment import Environment, Observation, Outcome
from react_agent.episode import Episode
from react_agent.prompts import Prompt
from react_agent.trajectory import Action, EpisodeResult, EpisodeStart, Step, StopReason, Usage

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Agent",
    "Environment",
    "Episode",
    "EpisodeResult",
    "EpisodeStart",
    "Observation",
    "Outcome",
    "Prompt",
    "Step",
    "StopReason",
    "Usage",
    "__version__",
]

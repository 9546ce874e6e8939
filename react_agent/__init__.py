"""react-agent: ReAct agents (Thought / Action / Observation) on local or remote language models."""

from react_agent.agent import Agent
from react_agent.environment import Environment, Observation, Outcome, ToolError
from react_agent.episode import Episode
from react_agent.prompts import Prompt
from react_agent.provenance import RunConfig
from react_agent.toolbox import Tool, ToolEnvironment, tool
from react_agent.trajectory import Action, EpisodeResult, EpisodeStart, ModelOutput, Step, StopReason, Usage

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Agent",
    "Environment",
    "Episode",
    "EpisodeResult",
    "EpisodeStart",
    "ModelOutput",
    "Observation",
    "Outcome",
    "Prompt",
    "RunConfig",
    "Step",
    "Tool",
    "ToolEnvironment",
    "StopReason",
    "ToolError",
    "Usage",
    "__version__",
    "tool",
]

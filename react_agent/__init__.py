"""react-agent: ReAct agents (Thought / Action / Observation) on local or remote language models.

The names an app needs are here: `Agent` and its `AgentSettings`, `tool` (and `Tool`,
`ToolEnvironment`, `ToolError`, `McpTools`) to give it tools, `Environment` and `Model` to write
one's own, `bench` / `BenchSpec` to run a benchmark as `react bench` does, `run_all` / `run_many`
to play many tasks (concurrently, resumable to a results file), the paper's methods
(`make_player`, `SelfConsistency` and the two hybrids), and the records they produce. Model
backends are in `react_agent.models`.
"""

from react_agent.agent import Agent
from react_agent.bench import BenchSpec, RunSummary, abench, bench
from react_agent.environment import Environment, Observation, Outcome, ToolError
from react_agent.episode import Episode
from react_agent.mcp_tools import McpTools
from react_agent.methods import (
    ReactThenSelfConsistency,
    SelfConsistency,
    SelfConsistencyThenReact,
    make_player,
)
from react_agent.models.base import Model, ModelSource
from react_agent.prompts import Prompt
from react_agent.results import read_results
from react_agent.rules import OURS, PAPER, Rules
from react_agent.runner import run_all, run_many
from react_agent.settings import AgentSettings
from react_agent.toolbox import Tool, ToolEnvironment, tool
from react_agent.trajectory import (
    Action,
    EpisodeResult,
    EpisodeStart,
    ModelOutput,
    RunConfig,
    Step,
    StopReason,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Agent",
    "AgentSettings",
    "BenchSpec",
    "Environment",
    "Episode",
    "EpisodeResult",
    "EpisodeStart",
    "McpTools",
    "Model",
    "ModelOutput",
    "ModelSource",
    "OURS",
    "Observation",
    "Outcome",
    "PAPER",
    "Prompt",
    "ReactThenSelfConsistency",
    "Rules",
    "RunConfig",
    "RunSummary",
    "SelfConsistency",
    "SelfConsistencyThenReact",
    "Step",
    "StopReason",
    "Tool",
    "ToolEnvironment",
    "ToolError",
    "Usage",
    "__version__",
    "abench",
    "bench",
    "make_player",
    "read_results",
    "run_all",
    "run_many",
    "tool",
]

"""Model backends, one file each, behind the protocol in `base.py`.

`LlamaCppModel` and `OpenAIModel` import their client libraries only when first used, so the core
works with neither installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from react_agent.models.base import (
    Completion,
    ContextFull,
    Model,
    ModelError,
    ModelRequest,
    ModelUnavailable,
)
from react_agent.models.scripted import ScriptedModel

if TYPE_CHECKING:
    from react_agent.models.llama_cpp import LlamaCppModel
    from react_agent.models.openai import OpenAIModel
    from react_agent.models.replay import ReplayModel

__all__ = [
    "Completion",
    "ContextFull",
    "LlamaCppModel",
    "Model",
    "ModelError",
    "ModelRequest",
    "ModelUnavailable",
    "OpenAIModel",
    "ReplayModel",
    "ScriptedModel",
]


def __getattr__(name: str):
    if name == "LlamaCppModel":
        from react_agent.models.llama_cpp import LlamaCppModel

        return LlamaCppModel
    if name == "ReplayModel":
        from react_agent.models.replay import ReplayModel

        return ReplayModel
    if name == "OpenAIModel":
        from react_agent.models.openai import OpenAIModel

        return OpenAIModel
    raise AttributeError(name)

"""Models known by name: `--model qwen2.5-coder-1.5b` finds its GGUF file in the cache folder.

The package downloads no model. A named model's file is put in `<cache>/models/` (the cache is
`$REACT_AGENT_CACHE`, else ~/.cache/react-agent) by a script or by hand; a name whose file is not
there, or is not the file we measured (its sha256 differs), fails in one line that says what to get.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from react_agent.datafiles import default_cache_dir, file_sha256
from react_agent.models.base import ModelUnavailable


@dataclass(frozen=True)
class NamedModel:
    file: str  # its name in the cache's models folder
    sha256: str
    source: str  # where to get it, for the error that says it is missing


NAMED_MODELS = {
    "qwen2.5-coder-1.5b": NamedModel(
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        source=(
            "run shared/models/get-qwen2.5-coder-1.5b, or download Qwen's own file from "
            "huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF"
        ),
    ),
}


def models_dir() -> Path:
    return default_cache_dir() / "models"


def named_model_path(name: str) -> Path:
    """The checked file of the model called `name` (a key of `NAMED_MODELS`)."""
    known = NAMED_MODELS[name]
    path = models_dir() / known.file
    if not path.is_file():
        raise ModelUnavailable(
            f"{name} is not in {models_dir()}: {known.source} ({known.file}, sha256 {known.sha256})"
        )
    if file_sha256(path) != known.sha256:
        raise ModelUnavailable(
            f"{path} is not {name}: its sha256 is {file_sha256(path)}, want {known.sha256}"
        )
    return path

"""What each line of a results file records of how it was made, so that a number can be traced to
the code, model, data, prompts and settings behind it.

`RunConfig.hash` identifies a run: two lines belong to the same run when their hashes agree. It
covers every field but three, recorded all the same: the git commit (a run resumed after an
unrelated commit is still the same run: a change that shapes prompts shows in the prompt hashes,
and the replay check catches the rest), the local model's build (llama.cpp is compiled for the CPU
it runs on, and greedy outputs can differ between builds: a run resumed on another machine is still
the same run, and `build` tells why its numbers may move), the folders files were read from
(the same bytes read from another checkout are the same data) and the address of a model server
(a server restarted on another port serves the same model).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, computed_field

from react_agent.datafiles import FileDigest

if TYPE_CHECKING:
    from react_agent.prompts import Prompt


# Fields that join the identity only when they are set: a run made before they existed keeps its hash.
_ADDED_LATER: dict[str, Any] = {"final_answer": False, "shots": None, "max_repeats": 0, "grammar": False}


class PromptUse(BaseModel):
    """The prompt a role of a method was played with (`react`; `cot` for the votes of CoT-SC)."""

    source: str  # where it came from: "built-in hotpotqa:react", "prompts_naive.json:webthink_simple6"
    format: str  # its step format (react_agent.formats)
    sha256: str  # of everything the model sees of it; over all its prompts when it varies per task
    temperature: float | None  # None: the model's own, recorded as the model's


class RunConfig(BaseModel):
    task: str
    method: str
    data: str  # the question file or games folder as given, or "built-in"
    data_files: list[FileDigest] = []
    sample: str | None = None
    wiki: list[FileDigest] | str | None = None  # the index's build inputs, or "live"
    prompts: dict[str, PromptUse]
    sc_samples: int | None = None
    model: str
    model_sha256: str | None = None
    base_url: str | None = None
    endpoint: str | None = None
    n_ctx: int | None = None
    seed: int
    max_steps: int
    max_tokens: int
    final_answer: bool = False  # an answer asked for at the step limit (off in the paper)
    shots: int | None = None  # how many few-shot examples each prompt kept (None: all it has)
    max_repeats: int = 0  # the loop guard: repeats of an action and observation that end an episode
    grammar: bool = False  # each step held to a grammar of the task's actions (react_agent.grammar)
    packages: dict[str, str | None]
    git_commit: str | None = None
    build: str | None = None  # the local model's llama.cpp build: the CPU features it uses

    def identity(self) -> dict[str, Any]:
        """The fields that make a run what it is (see the module's docstring)."""
        identity = self.model_dump(exclude={"git_commit", "build", "hash"})
        for name, default in _ADDED_LATER.items():  # so that older runs keep the hash they had
            if identity[name] == default:
                del identity[name]
        identity["data"] = Path(self.data).name
        if self.base_url is not None:  # a server's address is where a run was played, not what it is
            identity["base_url"] = "a server"
        for files in (identity["data_files"], identity["wiki"]):
            for file in files if isinstance(files, list) else []:
                file["path"] = Path(file["path"]).name
        return identity

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hash(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def prompt_use(prompts: Iterable[Prompt], temperature: float | None) -> PromptUse:
    """One role's record, from the prompts it uses (one per task type for ALFWorld)."""
    unique = {prompt.sha256(): prompt for prompt in prompts}
    if not unique:
        raise ValueError("a role with no prompt")
    ordered = [unique[digest] for digest in sorted(unique)]
    digest = ordered[0].sha256() if len(ordered) == 1 else _sha256_of(sorted(unique))
    sources = sorted({prompt.source for prompt in ordered})
    formats = sorted({prompt.format for prompt in ordered})
    return PromptUse(
        source=", ".join(sources), format="/".join(formats), sha256=digest, temperature=temperature
    )


def _sha256_of(values: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(values).encode()).hexdigest()


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """The commit of the checkout this package runs from (with `-dirty` when files differ from
    it), or None for an installed package."""
    folder = Path(__file__).resolve().parents[1]
    if not (folder / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def differences(a: dict[str, Any], b: dict[str, Any], depth: int = 2) -> list[str]:
    """The dotted names (`method`, `prompts.react`, `wiki.0`) of the fields where two configs, as
    `identity()` gives them, differ, named at most `depth` levels down."""
    flat_a, flat_b = flatten(a), flatten(b)
    keys = [key for key in flat_a.keys() | flat_b.keys() if flat_a.get(key) != flat_b.get(key)]
    return sorted({".".join(key.split(".")[:depth]) for key in keys})


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists of dicts as one dict of dotted names: `prompts.react.sha256`."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}{key}."))
        return flat
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        flat = {}
        for i, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}{i}."))
        return flat
    return {prefix.rstrip("."): value}

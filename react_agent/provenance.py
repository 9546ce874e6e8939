"""Provenance: what a run records of how it was made (`RunConfig`, in `react_agent.trajectory`),
computed here: each prompt role's record, the versions of the packages that played, the git commit
of the checkout, and the fields where two runs differ.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from react_agent.trajectory import PromptUse

if TYPE_CHECKING:
    from react_agent.prompts import Prompt


def prompt_use(
    prompts: Iterable[Prompt], temperature: float | None, sampling: dict[str, float] | None = None
) -> PromptUse:
    """One role's record, from the prompts it uses (one per task type for ALFWorld)."""
    unique = {prompt.sha256(): prompt for prompt in prompts}
    if not unique:
        raise ValueError("a role with no prompt")
    ordered = [unique[digest] for digest in sorted(unique)]
    digest = ordered[0].sha256() if len(ordered) == 1 else _sha256_of(sorted(unique))
    sources = sorted({prompt.source for prompt in ordered})
    formats = sorted({prompt.format for prompt in ordered})
    return PromptUse(
        source=", ".join(sources),
        format="/".join(formats),
        sha256=digest,
        temperature=temperature,
        sampling=sampling,
        bootstrapped=any(prompt.bootstrapped for prompt in ordered),
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

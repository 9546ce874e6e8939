"""The shape of the package: its modules import one another in one direction (no circle, whatever
the import: at the top, inside a function, or for type checking only), and no code asks a model,
an environment or a step format what concrete class it is (the protocols say what they can do)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

# Where each installed package of the distribution lives in the checkout (pyproject's package-dir).
PACKAGES = {
    "react_agent": REPO / "react_agent",
    "react_agent.tools": REPO / "tools",
    "react_agent.envs": REPO / "envs",
    "react_agent.benchmarks": REPO / "benchmarks",
}
# The concrete classes behind the protocols, with the module that may name them in such a check.
CONCRETE = {
    "LlamaCppModel": "react_agent.models.llama_cpp",
    "OpenAIModel": "react_agent.models.openai",
    "ReplayModel": "react_agent.models.replay",
    "RecordedEpisode": "react_agent.models.replay",
    "ScriptedModel": "react_agent.models.scripted",
    "ToolEnvironment": "react_agent.toolbox",
    "HotpotQAEnv": "react_agent.envs.hotpotqa",
    "AlfWorldEnv": "react_agent.envs.alfworld",
    "NumberedSteps": "react_agent.formats",
    "CommandLines": "react_agent.formats",
    "ActionsOnly": "react_agent.formats",
    "DirectAnswer": "react_agent.formats",
    "ReasonedAnswer": "react_agent.formats",
}
# What a model, an environment or a format is called where it is held.
HOLDERS = {"model", "env", "environment", "step_format", "format", "player"}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [part for part in path.relative_to(folder).with_suffix("").parts if part != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of the package that `name` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # `from package import module` imports the module; `from module import name`, the module.
            found |= {
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            }
    return {module for module in found if module in known and module != name}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_circle():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    assert len(graph) > 40 and graph["react_agent.bench"] >= {"react_agent.runner", "react_agent.methods"}
    assert circles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_records_are_at_the_bottom_and_no_environment_imports_a_method():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    assert graph["react_agent.trajectory"] <= {"react_agent.datafiles"}
    for environment in ("react_agent.envs.hotpotqa", "react_agent.envs.alfworld", "react_agent.toolbox"):
        assert not graph[environment] & {"react_agent.methods", "react_agent.bench", "react_agent.cli"}


def class_checks(name: str, path: Path) -> list[str]:
    """The isinstance / issubclass / getattr / hasattr calls of a module that name a concrete class
    of another module, or look into a model, environment or format by attribute name."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        call, arguments = node.func.id, node.args
        if call in ("isinstance", "issubclass") and len(arguments) == 2:
            named = {n.id for n in ast.walk(arguments[1]) if isinstance(n, ast.Name)}
            named |= {n.attr for n in ast.walk(arguments[1]) if isinstance(n, ast.Attribute)}
            problems += [
                f"{path.name}:{node.lineno}: {call}(..., {cls})"
                for cls in named & set(CONCRETE)
                if CONCRETE[cls] != name
            ]
        if call in ("getattr", "hasattr") and arguments:
            held = arguments[0]
            last = held.attr if isinstance(held, ast.Attribute) else getattr(held, "id", "")
            if last in HOLDERS:
                problems.append(f"{path.name}:{node.lineno}: {call}({ast.unparse(held)}, ...)")
    return problems


def test_no_code_asks_a_model_environment_or_format_its_class():
    problems = [problem for name, path in modules().items() for problem in class_checks(name, path)]
    assert problems == []


def test_the_class_check_finds_what_it_looks_for(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "def f(model, env):\n"
        "    if isinstance(model, LlamaCppModel):\n"
        "        return getattr(env, 'astep', None)\n"
        "    return isinstance(env.step_format, (NumberedSteps, str))\n"
    )
    assert sorted(p.split(": ", 1)[1] for p in class_checks("elsewhere", source)) == [
        "getattr(env, ...)",
        "isinstance(..., LlamaCppModel)",
        "isinstance(..., NumberedSteps)",
    ]

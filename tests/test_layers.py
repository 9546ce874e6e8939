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
    "benchmarks": REPO / "benchmarks",  # not installed: scripts run from a checkout
}
# The concrete classes behind the protocols, with the module that may name them in such a check.
CONCRETE = {
    "LlamaCppModel": "react_agent.models.llama_cpp",
    "OpenAIModel": "react_agent.models.openai",
    "RecordedRun": "react_agent.models.replay",
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


# README's layers, bottom first (its architecture block names them, and each module's file under
# its own): a module imports only modules of its layer or of those below.
LAYERS = {
    "records": ["trajectory", "rules", "errors", "datafiles", "results"],
    "protocols": [
        *("models.base", "environment", "grammar", "parsing", "tool_calls", "formats", "settings"),
        *("prompts", "diagnosis", "provenance"),
    ],
    "the loop": ["episode", "tracing"],
    "backends": [
        *("models", "models.llama_cpp", "models.llama_batch", "models.openai", "models.chat_template"),
        *("models.scripted", "models.replay", "models.named", "models.cache"),
    ],
    "environments": [
        *("toolbox", "mcp_tools", "tasks", "downloads", "envs", "envs.hotpotqa", "envs.alfworld"),
        *(f"envs.hotpotqa.{name}" for name in ("data", "metrics", "prompts", "diagnosis", "environment")),
        *(f"envs.alfworld.{name}" for name in ("games", "pddl", "diagnosis", "environment", "generator")),
        *("tools", "tools.wikipedia"),
        *(f"tools.wikipedia.{name}" for name in ("pages", "browser", "local", "live")),
    ],
    "the agent": ["agent"],
    "methods": ["methods", "reflexion"],
    "the run": ["runner", "ray_executor", "bench", "optimize", "suites"],
    "reading runs": ["leaderboard", "report", "export", "compare", "assets"],
    "the shell": ["cli", "flags", "display", ""],
}


def layer_of(module: str) -> int:
    """The rank of a module's layer (0: records), by its name in the package."""
    if module.split(".")[0] == "benchmarks":  # scripts over everything
        return len(LAYERS)
    short = module.removeprefix("react_agent").removeprefix(".")
    ranks = [rank for rank, names in enumerate(LAYERS.values()) if short in names]
    assert ranks, f"{module} is in no layer: give it one here and in README's architecture"
    return ranks[0]


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module from a layer above its own."""
    return sorted(
        f"{name} -> {other}"
        for name, others in graph.items()
        for other in others
        if layer_of(other) > layer_of(name)
    )


def readme_layers() -> dict[str, str]:
    """README's architecture block: the text of each layer of react_agent/, and of tools/, envs/."""
    text = (REPO / "README.md").read_text()
    block = text[text.index("In layers, bottom first") :]
    block = block[block.index("```\n") + 4 : block.index("\n```", block.index("```\n") + 4)]
    found: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        if line.startswith("  ") and line[2] != " ":
            current = line[2:18].strip()
            found[current] = line[18:]
        elif not line.startswith(" "):
            current = line.split()[0]
            found[current] = line[len(current) :]
        elif current is not None:
            found[current] += " " + line.strip()
    return found


def test_every_module_imports_only_from_its_layer_and_those_below():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    assert upward(graph) == []


def test_the_layer_check_finds_a_planted_upward_import(tmp_path):
    planted = tmp_path / "trajectory.py"
    planted.write_text(
        "from react_agent.trajectory import Step\n\ndef f():\n    from react_agent.bench import bench\n"
    )
    found = modules()
    graph = {"react_agent.trajectory": imports("react_agent.trajectory", planted, set(found))}
    assert upward(graph) == ["react_agent.trajectory -> react_agent.bench"]


def test_readme_states_the_layers_in_their_order_each_module_under_its_own():
    stated, found = readme_layers(), modules()
    assert [name for name in stated if name in LAYERS] == list(LAYERS)
    for layer, names in LAYERS.items():
        for name in names:
            path = found["react_agent" + (f".{name}" if name else "")]
            folder, last = name.split(".")[0], name.rsplit(".", 1)[-1]
            # A module by its file's name, a package by its folder's, as README's block writes them.
            shown = f"{last}/" if path.name == "__init__.py" else f"{last}.py"
            text = stated[layer]
            if folder in ("tools", "envs"):  # packages of their own, whose entries name their layer
                text = stated[f"{folder}/"]
                shown = f"the {layer}' layer" if name == folder else shown
            elif not name:
                shown = "__init__.py (the names a user imports)"
            assert shown in text, f"README's architecture shows no {shown} in {layer}"


def test_the_command_line_stays_a_thin_shell():
    # Its options come from the library's records (flags.py), its work from the library: a command
    # added later keeps it so.
    assert len((REPO / "react_agent" / "cli.py").read_text().splitlines()) < 300


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


# What names a step format where it is held: a prompt's, a record's or the settings' `format`.
FORMAT_HOLDERS = {"format", "step_format", "examples_format", "prompt_format"}


def format_comparisons(path: Path, names: set[str]) -> list[str]:
    """The comparisons of a module that ask a step format by its name (`names`): `==` or `!=` with
    a format's name, or between where formats' names are held (`use.format != step_format`), or a
    membership test in a literal list that holds one. (A leaderboard's output `format` is compared
    to names of its own, `json`, which are no step format's.)"""

    def is_name(node: ast.expr) -> bool:
        return isinstance(node, ast.Constant) and node.value in names

    def held(node: ast.expr) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr in FORMAT_HOLDERS) or (
            isinstance(node, ast.Name) and node.id in FORMAT_HOLDERS
        )

    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        pairs = zip(operands, node.ops, operands[1:], strict=False)
        for left, op, right in pairs:
            if isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
                asks = (
                    is_name(left)
                    or is_name(right)
                    or (held(left) or held(right))
                    and not (isinstance(left, ast.Constant) or isinstance(right, ast.Constant))
                )
            elif isinstance(op, ast.In | ast.NotIn):
                asks = isinstance(right, ast.Tuple | ast.List | ast.Set) and any(map(is_name, right.elts))
            else:
                asks = False
            if asks:
                problems.append((node.lineno, f"{path.name}:{node.lineno}: {ast.unparse(node)}"))
    return [problem for _, problem in sorted(set(problems))]


def format_names() -> set[str]:
    from react_agent.formats import FORMATS, TEXT

    return {*FORMATS, TEXT.name}


def test_no_code_outside_the_formats_module_compares_a_step_formats_name():
    found = modules()
    problems = [
        problem
        for name, path in found.items()
        if name != "react_agent.formats"
        for problem in format_comparisons(path, format_names())
    ]
    assert problems == []


def test_the_format_check_finds_what_it_looks_for(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "def f(settings, config, use, kind):\n"
        "    if settings.format == 'tools' or kind == 'json':\n"
        "        return use.format != step_format\n"
        "    return kind in ('state', 'json') or kind == 'json' or 'tools' in config.template\n"
    )
    assert [p.split(": ", 1)[1] for p in format_comparisons(source, format_names())] == [
        "settings.format == 'tools'",
        "use.format != step_format",
        "kind in ('state', 'json')",
    ]


def test_every_step_format_tool_calls_included_is_registered():
    from react_agent.formats import FORMATS, StepFormat

    assert "tools" in FORMATS and all(isinstance(f, StepFormat) for f in FORMATS.values())

"""How far a game got: its goal's conditions read from the PDDL problem, and the share of them met
(AgentBoard's progress rate)."""

from __future__ import annotations

from typing import Any

# Predicates that never change in a game: they say which objects may fill a goal, and are not
# steps towards it. Every other predicate of a goal is a condition the agent has to bring about.
_STATIC = {
    "objecttype",
    "receptacletype",
    "cleanable",
    "heatable",
    "coolable",
    "toggleable",
    "sliceable",
    "pickupable",
    "openable",
    "receptacleatlocation",
    "cancontain",
    "isreceptacleobject",
}


def _sexp(text: str) -> list[Any]:
    """The first whole s-expression of `text`, as nested lists of lower-case tokens."""
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    stack: list[list[Any]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            done = stack.pop()
            stack[-1].append(done)
            if len(stack) == 1:
                break
        else:
            stack[-1].append(token.lower())
    return stack[0][0]


def goal_parts(problem: str) -> list[tuple[dict[str, str], list[tuple[bool, str, tuple[str, ...]]]]]:
    """The goal of a game's PDDL problem as independent parts, each its variables (name: type) and
    its literals (negated, predicate, arguments), nested `exists` and `and` flattened."""
    start = problem.lower().index("(:goal")
    goal = _sexp(problem[start:])[1]

    def flatten(node: Any, variables: dict[str, str], literals: list[Any]) -> None:
        head = node[0]
        if head == "and":
            for child in node[1:]:
                flatten(child, variables, literals)
        elif head == "exists":  # (exists (?a ?b - object ?r - receptacle) body)
            names: list[str] = []
            tokens = iter(node[1])
            for token in tokens:
                if token == "-":
                    kind = next(tokens)
                    variables.update(dict.fromkeys(names, kind))
                    names = []
                else:
                    names.append(token)
            flatten(node[2], variables, literals)
        elif head == "not":
            predicate, *args = node[1]
            literals.append((True, predicate, tuple(args)))
        else:
            literals.append((False, head, tuple(node[1:])))

    children = goal[1:] if goal[0] == "and" else [goal]
    parts = []
    for child in children:
        variables: dict[str, str] = {}
        literals: list[Any] = []
        flatten(child, variables, literals)
        parts.append((variables, literals))
    return parts


def progress(parts: list[Any], facts: Any) -> float:
    """The share of the goal's changing conditions that hold (AgentBoard's progress rate), for the
    binding of its variables to the game's objects that satisfies the most of them."""
    true = {(f.name.strip().lower(), tuple(a.name.strip().lower() for a in f.arguments)) for f in facts}
    domains: dict[str, set[str]] = {}
    for fact in facts:
        for argument in fact.arguments:
            domains.setdefault(argument.type, set()).add(argument.name.strip().lower())
    met = total = 0
    for variables, literals in parts:
        conditions = [lit for lit in literals if lit[1] not in _STATIC and lit[1] != "="]
        total += len(conditions)
        met += _best(variables, literals, conditions, true, domains)
    return met / total if total else 0.0


def _best(
    variables: dict[str, str],
    literals: list[Any],
    conditions: list[Any],
    true: set[Any],
    domains: dict[str, set[str]],
) -> int:
    order = list(variables)
    constraints = [lit for lit in literals if lit not in conditions]
    best = 0

    def holds(literal: Any, binding: dict[str, str]) -> bool:
        negated, predicate, args = literal
        values = tuple(binding.get(a, a) for a in args)
        found = values[0] == values[1] if predicate == "=" else (predicate, values) in true
        return found != negated

    def search(i: int, binding: dict[str, str]) -> None:
        nonlocal best
        if best == len(conditions):
            return
        if i == len(order):
            best = max(best, sum(holds(c, binding) for c in conditions))
            return
        name = order[i]
        for value in sorted(domains.get(variables[name], ())):
            binding[name] = value
            bound = set(order[: i + 1])
            if all(
                holds(c, binding)
                for c in constraints
                if all(a in bound or not a.startswith("?") for a in c[2])
            ):
                search(i + 1, binding)
        binding.pop(name, None)

    search(0, {})
    return best

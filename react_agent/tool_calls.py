"""What a chat model is told of the environment's actions, and how its calls become actions
(`--format tools`).

An environment gives its actions as `FunctionSpec`s (`Environment.tool_specs`): one per tool, its
arguments a JSON schema, as the chat API's `tools` take them. A call comes back as a `ToolCall`
(name and JSON text) and is read as the action the text formats would have written, so that the
environment carries it out unchanged: `search(entity="Paris")` is `Search[Paris]`, a call of a
tool of several arguments is `Name[{json}]`, and ALFWorld's `act(command="go to desk 1")` is the
command itself. A call that cannot be read (an unknown tool, arguments that are no JSON object)
is an action with no name, which the environment answers as an invalid action: an observation,
as for a malformed text action.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from react_agent.parsing import parse_action
from react_agent.trajectory import Action, ToolCall

ONE_ARGUMENT = "argument"  # the parameter of an action known only by its name (`Name[argument]`)


@dataclass(frozen=True)
class FunctionSpec:
    """A tool as a chat model sees it. `command`: its one argument is the action's whole text (a
    game's command), not the argument of `Name[...]`."""

    name: str
    description: str
    parameters: dict[str, Any] = field(hash=False)  # a JSON schema of an object
    command: bool = False

    @classmethod
    def of_text(cls, name: str, description: str = "", parameter: str = ONE_ARGUMENT) -> FunctionSpec:
        """A tool of one text argument."""
        schema = {"type": "object", "properties": {parameter: {"type": "string"}}, "required": [parameter]}
        return cls(name, description, schema)

    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters.get("properties", {}))

    def openai(self, commands: tuple[str, ...] = ()) -> dict[str, Any]:
        """The definition the chat API's `tools` list takes; with `commands` (`--grammar`), a
        command tool's argument may be only one of them (a JSON-schema enum)."""
        parameters = self.parameters
        if self.command and commands and self.parameter_names:
            argument = self.parameter_names[0]
            held = {**parameters["properties"][argument], "enum": list(commands)}
            parameters = {**parameters, "properties": {**parameters["properties"], argument: held}}
        function = {"name": self.name, "description": self.description, "parameters": parameters}
        return {"type": "function", "function": function}


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def action_for_call(specs: list[FunctionSpec], call: ToolCall) -> Action:
    """The action a call makes (see the module's docstring)."""
    unreadable = unreadable_call(call)
    spec = next((s for s in specs if s.name.lower() == call.name.strip().lower()), None)
    try:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
    except json.JSONDecodeError:
        return unreadable
    if spec is None or not isinstance(arguments, dict):
        return unreadable
    names = spec.parameter_names
    if spec.command:
        command = arguments.get(names[0]) if names else None
        return Action(text=command.strip()) if isinstance(command, str) and command.strip() else unreadable
    if len(names) == 1 and set(arguments) <= {names[0]}:
        argument = _as_text(arguments.get(names[0], "")).strip()
    else:
        argument = json.dumps(arguments, ensure_ascii=False)
    return Action(text=f"{spec.name}[{argument}]", name=spec.name.lower(), argument=argument)


def unreadable_call(call: ToolCall) -> Action:
    """What a call that no tool takes is read as: its own text, with no name."""
    return Action(text=f"{call.name}({call.arguments})")


def call_for_action(specs: list[FunctionSpec], text: str, call_id: str) -> ToolCall | None:
    """The call that makes the action written `text` (a few-shot example's); None when no tool
    makes it."""
    commands = [s for s in specs if s.command]
    action = parse_action(text)
    if action is None:
        return None
    spec = next((s for s in specs if not s.command and s.name.lower() == action.name), None)
    if spec is None:  # a plain command (no `Name[...]`) is the argument of the commands' tool
        if not commands or action.name is not None:
            return None
        arguments: Any = {commands[0].parameter_names[0]: text.strip()}
        return ToolCall(
            id=call_id, name=commands[0].name, arguments=json.dumps(arguments, ensure_ascii=False)
        )
    names = spec.parameter_names
    if len(names) == 1:
        arguments = {names[0]: action.argument}
    else:
        try:
            arguments = json.loads(action.argument or "{}")
        except json.JSONDecodeError:
            return None
    return ToolCall(id=call_id, name=spec.name, arguments=json.dumps(arguments, ensure_ascii=False))


def act_spec(description: str = "Carry out one command the game accepts now.") -> FunctionSpec:
    """A game's commands as one tool: `act(command)`."""
    schema = {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}
    return FunctionSpec("act", description, schema, command=True)

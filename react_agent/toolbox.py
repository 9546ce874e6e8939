"""Tools from plain functions, and the environment in which a model uses them.

`@tool` turns a function into a `Tool`: its name, the first paragraph of its docstring as what it
does, and its signature (type hints, defaults) as its arguments, validated with pydantic. Actions
keep the paper's `Name[argument]` layout: a tool of one parameter takes the bracket's text, a tool
of several takes a JSON object (`Multiply[{"a": 17, "b": 23}]`); names match in any case.

`ToolEnvironment` turns a list of tools into an `Environment`: `Finish[answer]` is built in, and
the instruction that lists the tools in the paper's style ("(1) Search[entity] opens ...") is
written from them (`react_agent/prompts/tools.json` holds its wording). A bad argument, an unknown
tool, or a `ToolError` raised by a tool is an observation saying what was wrong and what is
accepted; any other exception from a tool is a bug, and ends the episode with its traceback.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ValidationError, create_model

from react_agent.environment import Environment, Observation, Outcome, ToolError
from react_agent.formats import FINISH
from react_agent.grammar import ActionSpace
from react_agent.prompts import Prompt, builtin_prompts
from react_agent.tool_calls import FunctionSpec
from react_agent.trajectory import Action

OBSERVATION_CHARS = 2000  # a tool's answer is cut to this many characters
_NUMBERS = "zero one two three four five six seven eight nine ten".split()


@dataclass(frozen=True)
class Tool:
    """A function the model can call as `Name[argument]`. Calling the tool calls the function."""

    name: str
    description: str
    function: Callable[..., Any]
    arguments: type[BaseModel]  # the function's parameters as a pydantic model
    # The arguments' JSON schema as their source wrote it (an MCP server's); None: `arguments`'.
    schema: dict[str, Any] | None = dataclasses.field(default=None, hash=False, compare=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    @property
    def parameters(self) -> list[str]:
        return list(self.arguments.model_fields)

    @property
    def signature(self) -> str:
        """How the instruction shows it: `Search[entity]`, `Multiply[{"a": int, "b": int}]`."""
        if len(self.parameters) == 1:
            return f"{self.name}[{self.parameters[0]}]"
        fields = []
        for name, field in self.arguments.model_fields.items():
            shown = f'"{name}": {_type_name(field.annotation)}'
            fields.append(shown if field.is_required() else f"{shown} (default {field.default!r})")
        return f"{self.name}[{{{', '.join(fields)}}}]"

    def spec(self) -> FunctionSpec:
        """The tool as a chat model is told of it (`--format tools`)."""
        return FunctionSpec(self.name, self.description, self.schema or _schema(self.arguments))

    def bind(self, text: str) -> dict[str, Any]:
        """The keyword arguments that the bracket's text gives, validated; `ToolError` says what
        is wrong with them and what the tool takes."""
        if len(self.parameters) == 1:
            values: Any = {self.parameters[0]: text}
        elif not self.parameters:
            values = {}
        else:
            try:
                values = json.loads(text)
            except json.JSONDecodeError:
                values = None
            if not isinstance(values, dict):
                raise ToolError(f"{self.name} takes a JSON object: {self.signature}")
        try:
            return dict(self.arguments.model_validate(values))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'argument'}: {e['msg']}" for e in error.errors()
            )
            raise ToolError(
                f"Invalid input for {self.name} ({problems}). It takes {self.signature}."
            ) from None


def tool(
    function: Callable[..., Any] | None = None, *, name: str | None = None, description: str | None = None
) -> Any:
    """`@tool` or `@tool(name=..., description=...)`: a `Tool` made from a function. The name is the
    function's, capitalized as the paper writes its actions; the description, the first paragraph
    of its docstring."""

    def make(function: Callable[..., Any]) -> Tool:
        return as_tool(function, name=name, description=description)

    return make(function) if function is not None else make


def as_tool(
    function: Callable[..., Any] | Tool, *, name: str | None = None, description: str | None = None
) -> Tool:
    if isinstance(function, Tool):
        return function
    hints = get_type_hints(function)
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise TypeError(f"a tool's parameters are named: {function.__name__} takes *{parameter.name}")
        annotation = hints.get(parameter.name, str)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    tool_name = name or _capitalized(function.__name__)
    doc = inspect.getdoc(function) or ""
    return Tool(
        name=tool_name,
        description=description or doc.split("\n\n")[0].replace("\n", " ").strip(),
        function=function,
        arguments=_arguments_model(tool_name, fields),
    )


def _arguments_model(tool_name: str, fields: dict[str, Any]) -> type[BaseModel]:
    # Building a pydantic model takes about 0.4 ms, and environments make their tools anew for each
    # episode (a tool closes over the episode's state): a signature seen before reuses its model.
    key = (tool_name, tuple((name, *spec) for name, spec in fields.items()))
    try:
        return _cached_arguments_model(key)
    except TypeError:  # an unhashable default or annotation: built each time
        return create_model(f"{tool_name}Arguments", **fields)


@functools.lru_cache(maxsize=512)
def _cached_arguments_model(key: tuple[Any, ...]) -> type[BaseModel]:
    tool_name, fields = key
    return create_model(
        f"{tool_name}Arguments", **{name: (annotation, default) for name, annotation, default in fields}
    )


def _schema(arguments: type[BaseModel]) -> dict[str, Any]:
    """The arguments' JSON schema, without the titles pydantic adds (the model sees every token)."""
    schema = arguments.model_json_schema()
    schema.pop("title", None)
    for field in schema.get("properties", {}).values():
        field.pop("title", None)
    return schema


def _capitalized(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def as_text(value: Any, limit: int | None = OBSERVATION_CHARS) -> str:
    """A tool's answer as an observation: text as it is, anything else as JSON, cut to `limit`."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]} [... {len(text) - limit} more characters]"
    return text


def run_coroutine(coroutine: Any) -> Any:
    """The result of a coroutine, from synchronous code, whether or not an event loop is running
    in this thread (inside one, the coroutine runs on a loop of its own in another thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# ---------------------------------------------------------------- the environment


def finish_tool(output_type: type[BaseModel]) -> Tool:
    """Finish of a typed answer: its argument is read and checked as a tool's arguments are (a JSON
    object of the type's fields, or the bare value of a one-field type)."""
    return Tool(name="Finish", description="", function=output_type, arguments=output_type)


def instruction_for(
    tools: Sequence[Tool], step_format: str = "numbered", output_type: type[BaseModel] | None = None
) -> str:
    """The paper-style instruction that lists the tools and Finish (wording: prompts/tools.json);
    with `output_type`, Finish shows the answer's fields."""
    wording = builtin_prompts("tools")
    if step_format not in wording["intro"]:
        raise ValueError(f"tools are used in the formats {', '.join(wording['intro'])}, not {step_format!r}")
    finish = (
        wording["finish_typed"].format(signature=finish_tool(output_type).signature)
        if output_type is not None
        else wording["finish"]
    )
    lines = [f"{tool.signature} {tool.description}" for tool in tools] + [finish]
    count = _NUMBERS[len(lines)] if len(lines) < len(_NUMBERS) else str(len(lines))
    text = wording["intro"][step_format].format(count=count)
    return text + "".join(f"({i}) {line}\n" for i, line in enumerate(lines, start=1))


def tools_prompt(
    tools: Sequence[Tool],
    step_format: str = "numbered",
    examples: str = "",
    output_type: type[BaseModel] | None = None,
) -> Prompt:
    """The prompt of an agent with tools: the instruction written from them, then the examples.
    A chat with tools is told less: the tools' definitions come with the request."""
    wording = builtin_prompts("tools")
    intro = tuple(wording["examples_intro"])
    return Prompt(
        instruction=instruction_for(tools, step_format, output_type),
        examples=examples,
        format=step_format,
        examples_intro=(intro[0], intro[1], intro[2]),
        tools_instruction=wording["tools_intro"][step_format],
    )


def question_of(task: Any) -> str:
    """The text of a task: a string, or an object's `question`."""
    return task if isinstance(task, str) else str(getattr(task, "question", task))


class ToolEnvironment(Environment):
    """An `Environment` of tools: each action calls one, `Finish[answer]` ends the task.

    `tools` are `Tool`s or plain functions; `instructions` replaces the instruction written from
    them; `examples` are few-shot examples (text, or a list of examples joined in order). A task is
    a string or has a `question`; the episode starts with `Question: <it>`. Subclasses give tools
    of their own per episode (`tools_for`), score the answer (`outcome`) or word observations
    (`finished`, `invalid_action`).

    With `output_type` (a pydantic model), the answer is typed: Finish's argument must validate as
    one (a JSON object of its fields); when it does not, the observation says why and the episode
    goes on; when it does, the outcome holds the object (`EpisodeResult.output`).
    """

    def __init__(
        self,
        tools: Iterable[Tool | Callable[..., Any]] = (),
        *,
        instructions: str | None = None,
        examples: str | Sequence[str] | None = None,
        step_format: str = "numbered",
        observation_chars: int | None = OBSERVATION_CHARS,  # None: observations are never cut
        output_type: type[BaseModel] | None = None,
    ):
        self.tools = [as_tool(t) for t in tools]
        self.output_type = output_type
        self.output: Any = None
        self.instructions = instructions
        self.examples = examples if isinstance(examples, str) or examples is None else "".join(examples)
        self.step_format = step_format
        self.observation_chars = observation_chars
        self.task: Any = None
        self.answer: str | None = None
        self._by_name: dict[str, Tool] = {}

    def tools_for(self, task: Any) -> list[Tool]:
        """The tools of an episode: the same for every task, unless a subclass says otherwise."""
        return self.tools

    def prompt(self, task: Any) -> Prompt:
        if self.instructions is not None:
            return Prompt(
                instruction=self.instructions, examples=self.examples or "", format=self.step_format
            )
        return tools_prompt(self.tools_for(task), self.step_format, self.examples or "", self.output_type)

    def reset(self, task: Any) -> str:
        self.task, self.answer, self.output = task, None, None
        self._by_name = {tool.name.lower(): tool for tool in self.tools_for(task)}
        return f"Question: {question_of(task)}"

    def action_space(self) -> ActionSpace:
        """The episode's tools by name, and Finish: what a grammar lets the model call."""
        return ActionSpace(names=tuple(tool.name for tool in self._by_name.values()) + ("Finish",))

    def tool_specs(self) -> list[FunctionSpec]:
        """The episode's tools and Finish, as a chat model calls them."""
        if self.output_type is not None:
            finish = FunctionSpec("Finish", self.finish_description(), _schema(self.output_type))
        else:
            finish = FunctionSpec.of_text("Finish", self.finish_description(), parameter="answer")
        return [tool.spec() for tool in self._by_name.values()] + [finish]

    def finish_description(self) -> str:
        return "Give the final answer and end the task."

    def step(self, action: Action) -> Observation:
        call = self.call_for(action)
        if isinstance(call, Observation):
            return call
        tool, arguments = call
        result = tool.function(**arguments)
        if inspect.isawaitable(result):
            result = run_coroutine(result)
        return Observation(as_text(result, self.observation_chars))

    async def astep(self, action: Action) -> Observation:
        """`step` for async runners: async tools are awaited, others run in a worker thread."""
        call = self.call_for(action)
        if isinstance(call, Observation):
            return call
        tool, arguments = call
        if inspect.iscoroutinefunction(tool.function):
            result = await tool.function(**arguments)
        else:
            result = await asyncio.to_thread(tool.function, **arguments)
            if inspect.isawaitable(result):
                result = await result
        return Observation(as_text(result, self.observation_chars))

    def call_for(self, action: Action) -> tuple[Tool, dict[str, Any]] | Observation:
        """The tool an action calls and its arguments, or the observation that answers it without
        a tool (Finish, an invalid action)."""
        if action.name == FINISH and action.argument is not None:
            if self.output_type is not None:
                finish = finish_tool(self.output_type)
                try:  # a typed answer that does not validate is an observation: the model tries again
                    self.output = self.output_type.model_validate(finish.bind(action.argument))
                except ToolError as error:
                    return Observation(str(error))
            self.answer = action.argument
            return self.finished(action.argument)
        tool = self._by_name.get(action.name or "")
        if tool is None or action.argument is None:
            return Observation(self.invalid_action(action))
        return tool, tool.bind(action.argument)  # ToolError: the runner shows it as the observation

    def finished(self, answer: str) -> Observation:
        return Observation("Episode finished.", done=True)

    def invalid_action(self, action: Action) -> str:
        accepted = ", ".join([tool.signature for tool in self._by_name.values()] + ["Finish[answer]"])
        return f"Invalid action: {action.text} (the actions are {accepted})"

    def outcome(self) -> Outcome:
        return Outcome(answer=self.answer, output=self.output)

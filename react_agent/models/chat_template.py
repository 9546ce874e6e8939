"""A local model's chat with tools (`--format tools` on `LlamaCppModel`): the GGUF's own chat
template turns the messages and tools into a prompt, a grammar holds the answer to one tool call
of the tools' schemas, and the answer is read back as content and calls.

The calls are written as Qwen2.5's template (and Hermes's) has them: `<tool_call>\\n{"name": ...,
"arguments": {...}}\\n</tool_call>`. A template that knows no tools (SmolLM2's) is given them the
same way: their definitions appended to the system message (wording in prompts/tools.json), each
call in its assistant message's text, each result as a user message in `<tool_response>` tags.

The grammar allows one line of thought (THOUGHT_CHARS at most), then exactly one call whose
arguments match its tool's JSON schema (llama-cpp-python's converter writes that part): a local
model calls one tool per step, as `tool_choice="required"` would have it. With `--grammar`, the
request's `held_tools` (a game's commands as an enum) shape the grammar, and its `tools` the prompt.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from react_agent.models.base import Completion, ModelRequest
from react_agent.prompts import builtin_prompts
from react_agent.trajectory import ToolCall

CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
# The longest thought before a call, in characters: about 50 tokens of text, leaving most of a
# step's budget (128 tokens) to the call. A thought of unusually short tokens can still spend the
# budget first: the answer then has no call, and the episode ends with `invalid_output`.
THOUGHT_CHARS = 200
# Grammars kept converted: the tools' own, and those held to the last steps' commands (`--grammar`).
GRAMMARS_KEPT = 64
_CALLS = re.compile(re.escape(CALL_OPEN) + r"\s*(.*?)\s*(?:" + re.escape(CALL_CLOSE) + r"|$)", re.DOTALL)


class ChatTemplate:
    """The chat template `template` (Jinja, from the GGUF's `tokenizer.chat_template`), with the
    model's start and end tokens as text; answers think in `thought_chars` characters at most."""

    def __init__(self, template: str, bos_token: str, eos_token: str, thought_chars: int = THOUGHT_CHARS):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.knows_tools = "tools" in template
        self._formatter = Jinja2ChatFormatter(template, eos_token=eos_token, bos_token=bos_token)
        self.thought_chars = thought_chars
        # How a template that knows no tools is told of them: read once, not at every step.
        self._tools_wording = "" if self.knows_tools else builtin_prompts("tools")["chat_tools"]

    def prompt(self, messages: tuple[dict[str, Any], ...], tools: tuple[dict[str, Any], ...]) -> str:
        """The text the model continues: the chat so far, and the start of its answer."""
        if self.knows_tools:
            shown = [_with_argument_objects(m) for m in messages]
            return self._formatter(messages=shown, tools=list(tools)).prompt
        return self._formatter(messages=_tools_in_text(messages, tools, self._tools_wording)).prompt

    def grammar(self, tools: tuple[dict[str, Any], ...]) -> str:
        """GBNF of an answer: a line of thought at most, then one call of one of `tools`."""
        return _answer_grammar(json.dumps(tools), self.thought_chars)

    def text_request(self, request: ModelRequest) -> ModelRequest:
        """The chat request as the text request the decoder runs."""
        assert request.messages is not None
        tools = request.tools or ()
        # The tools held to a step's commands are enforced, not shown: the prompt (whose system
        # message lists the tools) stays the prefix the model has seen at the steps before.
        return ModelRequest(
            self.prompt(request.messages, tools),
            stop=list(request.stop),
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            seed=request.seed,
            grammar=self.grammar(request.held_tools or tools) if tools else None,
        )

    @staticmethod
    def read(completion: Completion) -> Completion:
        """The answer as content and tool calls. A call that is no JSON object of a name and
        arguments is kept as written (no name, its text the arguments): the episode's
        environment answers it as an invalid action."""
        text = completion.text
        start = text.find(CALL_OPEN)
        if start < 0:
            return completion
        calls = []
        for n, match in enumerate(_CALLS.finditer(text, start), start=1):
            try:
                call = json.loads(match[1])
                name, arguments = call["name"], json.dumps(call["arguments"], ensure_ascii=False)
                assert isinstance(name, str)
            except (json.JSONDecodeError, KeyError, TypeError, AssertionError):
                name, arguments = "", match[1]
            calls.append(ToolCall(id=f"call_{n}", name=name, arguments=arguments))
        return Completion(text=text[:start].strip(), usage=completion.usage, tool_calls=tuple(calls))


@functools.lru_cache(maxsize=GRAMMARS_KEPT)
def _answer_grammar(tools_json: str, thought_chars: int) -> str:
    """`ChatTemplate.grammar` of the tools written as `tools_json`, in their order."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    calls = {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "name": {"const": tool["function"]["name"]},
                    "arguments": tool["function"].get("parameters") or {"type": "object"},
                },
                "required": ["name", "arguments"],
            }
            for tool in json.loads(tools_json)
        ]
    }
    call = json_schema_to_gbnf(json.dumps(calls), prop_order=["name", "arguments"])
    # The converter's rule `root` becomes `call`, under a root of our own.
    call = re.sub(r"^root ::=", "call ::=", call, flags=re.M)
    opening, closing = json.dumps(CALL_OPEN + "\n"), json.dumps("\n" + CALL_CLOSE)
    thought = f'[^<\\n]{{1,{thought_chars}}} "\\n"' if thought_chars else '""'
    return f"root ::= thought? {opening} call {closing}\nthought ::= {thought}\n{call}"


def _arguments_object(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except json.JSONDecodeError:
        return arguments


def _with_argument_objects(message: dict[str, Any]) -> dict[str, Any]:
    """A message as templates take it: a call's arguments as an object (the API sends JSON text),
    and text content, never None."""
    shown = dict(message, content=message.get("content") or "")
    if message.get("tool_calls"):
        shown["tool_calls"] = [
            {
                **call,
                "function": {
                    **call["function"],
                    "arguments": _arguments_object(call["function"]["arguments"]),
                },
            }
            for call in message["tool_calls"]
        ]
    return shown


def _call_text(call: dict[str, Any]) -> str:
    function = call["function"]
    arguments = json.dumps(_arguments_object(function["arguments"]), ensure_ascii=False)
    return f'{CALL_OPEN}\n{{"name": "{function["name"]}", "arguments": {arguments}}}\n{CALL_CLOSE}'


def _tools_in_text(
    messages: tuple[dict[str, Any], ...], tools: tuple[dict[str, Any], ...], wording: str
) -> list[dict]:
    """The chat for a template that knows no tools: every tool (as `wording` introduces them) and
    call written into the text."""
    described = wording.format(tools="".join("\n" + json.dumps(t, ensure_ascii=False) for t in tools))
    shown: list[dict[str, Any]] = []
    for message in messages:
        role, content = message["role"], message.get("content") or ""
        if role == "assistant" and message.get("tool_calls"):
            content = "\n".join([content] * bool(content) + [_call_text(c) for c in message["tool_calls"]])
        elif role == "tool":
            role, content = "user", f"<tool_response>\n{content}\n</tool_response>"
        shown.append({"role": role, "content": content})
    if tools:
        if shown and shown[0]["role"] == "system":
            shown[0] = {"role": "system", "content": shown[0]["content"] + described}
        else:
            shown.insert(0, {"role": "system", "content": described.lstrip()})
    return shown

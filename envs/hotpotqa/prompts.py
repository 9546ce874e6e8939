"""The prompts of each HotpotQA method: ours, or a prompt file's (the paper's keys by default)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from react_agent.prompts import Prompt, builtin_prompt, choose_key, prompt_from, read_prompt_file
from react_agent.toolbox import tools_prompt
from react_agent.tools.wikipedia import WikiBrowser, wiki_tools

# The ReAct paper's prompt keys in its `prompts_naive.json`, for each method of its Table 1.
PAPER_PROMPT_KEYS = {
    "react": "webthink_simple6",
    "act": "webact_simple6",
    "cot": "cotqa_simple6",
    "standard": "webqa_simple6",
}


def hotpotqa_prompt(
    method: str = "react", prompt_file: str | Path | None = None, prompt_key: str | None = None
) -> Prompt:
    """The prompt of a method (react, act, cot, standard): ours, or a file's.

    From a file, `prompt_key` picks the entry; without one, the entry named after the method, else
    the paper's key for it (`webthink_simple6` for react...). An entry of the paper's layout (the
    examples alone) takes its instruction and step format from our prompt of the same method. The
    instruction of the methods that act is written from the tools (Search, Lookup, Finish).
    """
    ours = builtin_prompt("hotpotqa", method)
    if method in ("react", "act"):
        written = tools_prompt(wiki_tools(WikiBrowser(None)), ours.format)
        ours = replace(
            ours,
            instruction=written.instruction,
            examples_intro=written.examples_intro,
            tools_instruction=written.tools_instruction,
        )
    if prompt_file is None:
        return ours
    data = read_prompt_file(prompt_file)
    candidates = [method, PAPER_PROMPT_KEYS[method]]
    key = prompt_key or choose_key(data, candidates, str(prompt_file), f"method {method!r}")
    return prompt_from(data, key, str(prompt_file), ours)


def votes_prompt(prompt_file: str | Path | None = None, cot_prompt_key: str | None = None) -> Prompt:
    """The CoT prompt that CoT-SC and the hybrids sample: the file's when it has one (`cot`, else
    the paper's `cotqa_simple6`, or `cot_prompt_key`), else ours."""
    if prompt_file is not None:
        has_cot = {"cot", PAPER_PROMPT_KEYS["cot"]} & set(read_prompt_file(prompt_file))
        if cot_prompt_key or has_cot:
            return hotpotqa_prompt("cot", prompt_file, cot_prompt_key)
    return hotpotqa_prompt("cot")

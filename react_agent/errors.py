"""Errors in what a user chose: one line each, naming the options as the library spells them.

An `OptionError`'s message writes each option between backquotes, by its Python name
(`` `prompt_key` ``); a front end shows them as it spells them (the command line: `--prompt-key`),
so the library never names a flag of the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import ValidationError

_OPTION = re.compile(r"`(\w+)`")


class OptionError(ValueError):
    """An option a user can change holds something that cannot be played; the message says what."""

    def spelled(self, spell: Callable[[str], str]) -> str:
        """The message with each option written as `spell` writes its name."""
        return _OPTION.sub(lambda match: spell(match[1]), str(self))


def as_option_error(error: ValidationError) -> OptionError:
    """A pydantic validation error of options, as the one line of its first problem."""
    problem = error.errors()[0]
    names = [str(part) for part in problem["loc"] if not isinstance(part, int)]
    name = names[-1] if names else "options"
    kind, limits = problem["type"], problem.get("ctx", {})
    if kind == "extra_forbidden":
        return OptionError(f"there is no option `{name}`")
    if kind == "greater_than_equal":
        return OptionError(f"`{name}` must be at least {limits['ge']}")
    if kind == "greater_than":
        return OptionError(f"`{name}` must be more than {limits['gt']}")
    if kind == "value_error":  # a rule of the settings, said in its own words
        return OptionError(str(limits["error"]))
    return OptionError(f"`{name}`: {problem['msg'].lower()}")

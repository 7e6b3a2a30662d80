"""Answering a server's questions (form elicitation) on the terminal that runs the CLI.

A tool may ask the user something mid-call (``ctx.elicit``). When the CLI
runs on a terminal it declares elicitation and asks each field of the
requested schema on stderr, reading the answers from stdin: strings as
typed, numbers and integers parsed, booleans as y/n, enums by value or
number. An empty line keeps a field's default, or leaves an optional field
out. End of input (Ctrl-D) declines the request; Ctrl-C cancels it. Without
a terminal the CLI declares no elicitation, so the server knows not to ask.
"""

from __future__ import annotations

import sys
from typing import IO, Any, Callable, Mapping

from ..types import ElicitRequestFormParams, ElicitResult

__all__ = ["TerminalAnswers", "terminal_answers"]

_TRUE = {"y", "yes", "true", "1"}
_FALSE = {"n", "no", "false", "0"}


class _Decline(Exception):
    pass


class TerminalAnswers:
    """An ``elicitation=`` handler that asks the fields of a form on a terminal."""

    def __init__(self, stdin: IO[str], stderr: IO[str]) -> None:
        self.stdin = stdin
        self.stderr = stderr

    def __call__(self, params: ElicitRequestFormParams) -> ElicitResult:
        self._say(f"\nThe server asks: {params.message}")
        self._say("(Enter keeps a default or skips an optional field; Ctrl-D declines, Ctrl-C cancels.)")
        schema = params.requested_schema if isinstance(params.requested_schema, Mapping) else {}
        declared = schema.get("properties")
        properties = declared if isinstance(declared, Mapping) else {}
        required = set(schema.get("required") or ())
        content: dict[str, Any] = {}
        try:
            for name, field in properties.items():
                value = self._ask(name, field if isinstance(field, Mapping) else {}, name in required)
                if value is not _SKIP:
                    content[name] = value
        except _Decline:
            self._say("(declined)")
            return ElicitResult(action="decline")
        except KeyboardInterrupt:
            self._say("(cancelled)")
            return ElicitResult(action="cancel")
        return ElicitResult(action="accept", content=content)

    def _say(self, text: str, end: str = "\n") -> None:
        self.stderr.write(text + end)
        self.stderr.flush()

    def _ask(self, name: str, field: Mapping[str, Any], required: bool) -> Any:
        kind = field.get("type")
        choices = _choices(field)
        label = field.get("title") or name
        hint = field.get("description")
        if choices:
            self._say(f"  {label}: " + ", ".join(f"{i}) {v}" for i, v in enumerate(choices, 1)))
        elif hint:
            self._say(f"  {label}: {hint}")
        default = field.get("default", _SKIP)
        shown = "" if default is _SKIP else f" [{_show(default)}]"
        what = "y/n" if kind == "boolean" else (kind or "text")
        while True:
            self._say(f"  {label} ({what}{'' if required else ', optional'}){shown}: ", end="")
            line = self.stdin.readline()
            if not line:
                raise _Decline()
            text = line.rstrip("\r\n")
            if text == "":
                if default is not _SKIP:
                    return default
                if not required:
                    return _SKIP
                self._say("  (required)")
                continue
            try:
                return _parse(text, kind, choices)
            except ValueError as exc:
                self._say(f"  {exc}")


class _Skip:
    def __repr__(self) -> str:
        return "SKIP"


_SKIP: Any = _Skip()


def _choices(field: Mapping[str, Any]) -> list[Any]:
    if isinstance(field.get("enum"), list):
        return list(field["enum"])
    for key in ("oneOf", "anyOf"):
        options = field.get(key)
        if isinstance(options, list) and all(isinstance(o, Mapping) and "const" in o for o in options):
            return [o["const"] for o in options]
    return []


def _show(value: Any) -> str:
    if value is True:
        return "y"
    if value is False:
        return "n"
    return str(value)


def _parse(text: str, kind: Any, choices: list[Any]) -> Any:
    if choices:
        if text.isdigit() and 1 <= int(text) <= len(choices):
            return choices[int(text) - 1]
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ValueError(f"choose one of: {', '.join(map(str, choices))} (or its number)")
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("answer y or n")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("enter a whole number") from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError("enter a number") from None
        return int(number) if number.is_integer() and "." not in text else number
    return text


def terminal_answers(stdin: IO[str] | None = None, stderr: IO[str] | None = None) -> Callable[..., Any] | None:
    """The elicitation handler for the CLI: one that asks on the terminal, or None without a terminal."""
    stdin = sys.stdin if stdin is None else stdin
    stderr = sys.stderr if stderr is None else stderr
    try:
        interactive = stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    return TerminalAnswers(stdin, stderr) if interactive else None

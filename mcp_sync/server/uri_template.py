"""RFC 6570 URI templates (levels 1-4) for MCP resource templates.

``UriTemplate(template)`` parses once and offers:

* ``variables``: variable names, in order of first appearance;
* ``expand(values)``: RFC 6570 expansion (values: ``str``/numbers, lists,
  mappings; ``None``, empty lists and empty mappings are undefined);
* ``match(uri)``: the inverse, for routing ``resources/read``: a dict of
  percent-decoded variable values, or ``None``.

Matching rules (a URI template is not generally invertible, so these are
choices):

* ``{var}`` matches one non-empty path segment: no ``/``, ``?`` or ``#``.
* ``{+var}`` matches a non-empty run that may span ``/`` (and ``?`` unless
  the template has a query part after it); ``{#var}`` the fragment.
* ``{.var}``, ``{/var}``: optional labels / segments; exploded
  ``{/var*}``/``{.var*}`` span several and yield a list.
* ``{;x,y}``, ``{?x,y}``, ``{&x}``: parameters are parsed by name, in any
  order; unknown parameters are ignored; absent ones are left out of the
  result.  Exploded (``*``) variables yield a list of all values given.
* Other exploded variables yield the value split on the operator's
  separator.  Values are percent-decoded (UTF-8) after splitting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

__all__ = ["UriTemplate"]

MatchResult = dict[str, "str | list[str]"]


class _Operator(NamedTuple):
    first: str
    sep: str
    named: bool
    ifemp: str
    allow_reserved: bool


_OPERATORS: dict[str, _Operator] = {
    "": _Operator("", ",", False, "", False),
    "+": _Operator("", ",", False, "", True),
    "#": _Operator("#", ",", False, "", True),
    ".": _Operator(".", ".", False, "", False),
    "/": _Operator("/", "/", False, "", False),
    ";": _Operator(";", ";", True, "", False),
    "?": _Operator("?", "&", True, "=", False),
    "&": _Operator("&", "&", True, "=", False),
}
_RESERVED_OPERATORS = "=,!@|"
_VARCHAR = r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})"
_VARSPEC = re.compile(rf"({_VARCHAR}(?:\.?{_VARCHAR})*)(?::([0-9]+)|(\*))?")
_PCT_TRIPLET = re.compile(r"(%[0-9A-Fa-f]{2})")
_RESERVED_CHARS = ":/?#[]@!$&'()*+,;="


class _VarSpec(NamedTuple):
    name: str
    prefix: int | None
    explode: bool


class _Expression(NamedTuple):
    operator: str
    varspecs: tuple[_VarSpec, ...]


def _encode(text: str, allow_reserved: bool) -> str:
    if not allow_reserved:
        return quote(text, safe="")
    # U+R: keep reserved characters and existing pct-encoded triplets.
    return "".join(
        piece if _PCT_TRIPLET.fullmatch(piece) else quote(piece, safe=_RESERVED_CHARS)
        for piece in _PCT_TRIPLET.split(text)
        if piece
    )


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class UriTemplate:
    """A parsed RFC 6570 URI template.  Raises ``ValueError`` if malformed."""

    __slots__ = ("template", "_parts", "_variables", "_regex", "_groups")

    def __init__(self, template: str) -> None:
        if not isinstance(template, str):
            raise TypeError(f"URI template must be a str, not {type(template).__name__}")
        self.template = template
        self._parts = _parse(template)
        names: list[str] = []
        for part in self._parts:
            if isinstance(part, _Expression):
                for spec in part.varspecs:
                    if spec.name not in names:
                        names.append(spec.name)
        self._variables = tuple(names)
        self._regex, self._groups = _compile(self._parts)

    @staticmethod
    def is_template(text: str) -> bool:
        """True if ``text`` contains at least one ``{...}`` expression."""
        return "{" in text and "}" in text

    @property
    def variables(self) -> list[str]:
        """Variable names, in order of first appearance."""
        return list(self._variables)

    def __str__(self) -> str:
        return self.template

    def __repr__(self) -> str:
        return f"UriTemplate({self.template!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UriTemplate) and other.template == self.template

    def __hash__(self) -> int:
        return hash(self.template)

    # -- expansion ----------------------------------------------------------

    def expand(self, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> str:
        """Expand the template (RFC 6570 section 3).

        Values are strings (numbers and booleans are stringified), lists or
        tuples, or mappings (associative arrays).  Missing names, ``None``,
        empty lists and empty mappings are undefined and produce nothing.
        """
        vals: dict[str, Any] = dict(values or {})
        vals.update(kwargs)
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(_encode(part, True))
            else:
                out.append(_expand_expression(part, vals))
        return "".join(out)

    # -- matching -----------------------------------------------------------

    def match(self, uri: str) -> MatchResult | None:
        """The variables of ``uri`` if it matches this template, else ``None``."""
        m = self._regex.fullmatch(uri)
        if m is None:
            return None
        result: MatchResult = {}
        for group, operator, specs in self._groups:
            raw = m.group(group)
            if raw is None:
                continue
            for name, value in _extract(operator, specs, raw):
                if name in result and result[name] != value:
                    return None
                result[name] = value
        return result


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def _parse(template: str) -> list[str | _Expression]:
    parts: list[str | _Expression] = []
    literal: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == "}":
            raise ValueError(f"malformed URI template {template!r}: unmatched '}}' at {i}")
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        end = template.find("}", i + 1)
        if end < 0:
            raise ValueError(f"malformed URI template {template!r}: unclosed '{{' at {i}")
        body = template[i + 1 : end]
        if "{" in body:
            raise ValueError(f"malformed URI template {template!r}: nested '{{' at {i}")
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(_parse_expression(template, body, i))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return parts


def _parse_expression(template: str, body: str, pos: int) -> _Expression:
    def error(reason: str) -> ValueError:
        return ValueError(f"malformed URI template {template!r}: {reason} in expression at {pos}")

    if not body:
        raise error("empty expression")
    operator = ""
    if body[0] in _OPERATORS and body[0] != "":
        operator, body = body[0], body[1:]
    elif body[0] in _RESERVED_OPERATORS:
        raise error(f"operator {body[0]!r} is reserved")
    specs: list[_VarSpec] = []
    for raw in body.split(","):
        m = _VARSPEC.fullmatch(raw)
        if m is None:
            raise error(f"invalid variable {raw!r}")
        prefix = None
        if m.group(2) is not None:
            prefix = int(m.group(2))
            if not 1 <= prefix <= 9999 or m.group(2).startswith("0"):
                raise error(f"prefix length of {m.group(1)!r} must be 1-9999")
        specs.append(_VarSpec(m.group(1), prefix, m.group(3) is not None))
    return _Expression(operator, tuple(specs))


# --------------------------------------------------------------------------
# Expansion (RFC 6570 appendix A)
# --------------------------------------------------------------------------


def _expand_expression(expr: _Expression, values: Mapping[str, Any]) -> str:
    op = _OPERATORS[expr.operator]
    enc: Callable[[str], str] = (lambda s: _encode(s, op.allow_reserved))
    items: list[str] = []
    for spec in expr.varspecs:
        value = values.get(spec.name)
        if value is None:
            continue
        if isinstance(value, Mapping):
            if not value:
                continue
            if spec.prefix is not None:
                raise ValueError(f"prefix modifier on {spec.name!r}, whose value is a mapping")
            pairs = [(enc(_scalar(k)), enc(_scalar(v))) for k, v in value.items()]
            if spec.explode:
                items.append(
                    op.sep.join(k + ("=" + v if v or not op.named else op.ifemp) for k, v in pairs)
                )
            else:
                joined = ",".join(f"{k},{v}" for k, v in pairs)
                items.append(f"{spec.name}={joined}" if op.named else joined)
        elif isinstance(value, (list, tuple)):
            if not value:
                continue
            if spec.prefix is not None:
                raise ValueError(f"prefix modifier on {spec.name!r}, whose value is a list")
            encoded = [enc(_scalar(v)) for v in value]
            if spec.explode:
                if op.named:
                    items.append(
                        op.sep.join(
                            spec.name + ("=" + v if v else op.ifemp) for v in encoded
                        )
                    )
                else:
                    items.append(op.sep.join(encoded))
            else:
                joined = ",".join(encoded)
                items.append(f"{spec.name}={joined}" if op.named else joined)
        else:
            text = _scalar(value)
            if spec.prefix is not None:
                text = text[: spec.prefix]
            encoded_text = enc(text)
            if op.named:
                items.append(spec.name + ("=" + encoded_text if encoded_text else op.ifemp))
            else:
                items.append(encoded_text)
    if not items:
        return ""
    return op.first + op.sep.join(items)


# --------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------

_Group = tuple[str, str, tuple[_VarSpec, ...]]


def _compile(parts: list[str | _Expression]) -> tuple[re.Pattern[str], list[_Group]]:
    pattern: list[str] = []
    groups: list[_Group] = []
    query_group: int | None = None  # index in groups of an open ?-block to merge & into

    def new_group(operator: str, specs: tuple[_VarSpec, ...]) -> str:
        name = f"g{len(groups)}"
        groups.append((name, operator, specs))
        return name

    for index, part in enumerate(parts):
        if isinstance(part, str):
            encoded = _encode(part, True)
            alternatives = sorted({re.escape(part), re.escape(encoded)}, key=len, reverse=True)
            pattern.append(alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})")
            query_group = None
            continue
        op = part.operator
        specs = part.varspecs
        if op == "&" and query_group is not None:
            name, prev_op, prev_specs = groups[query_group]
            groups[query_group] = (name, prev_op, prev_specs + specs)
            continue
        query_group = None
        if op in ("?", "&"):
            name = new_group(op, specs)
            query_group = len(groups) - 1
            pattern.append(f"(?:{re.escape(op)}(?P<{name}>[^#]*))?")
        elif op == ";":
            name = new_group(op, specs)
            pattern.append(f"(?P<{name}>(?:;[^/?#;]*)*)")
        elif op in (".", "/"):
            sep = re.escape(op)
            cls = "[^/?#.]" if op == "." else "[^/?#]"
            for spec in specs:
                name = new_group(op, (spec,))
                if spec.explode:
                    pattern.append(f"(?P<{name}>(?:{sep}{cls}*)+)?")
                else:
                    pattern.append(f"(?:{sep}(?P<{name}>{cls}*))?")
        else:  # "", "+", "#"
            query_later = any(
                (isinstance(p, _Expression) and p.operator in "?&" and p.operator)
                or (isinstance(p, str) and "?" in p)
                for p in parts[index + 1 :]
            )
            multi = len(specs) > 1
            if op == "":
                cls = "[^/?#,]" if multi else "[^/?#]"
            elif op == "+":
                cls = ("[^?#,]" if multi else "[^?#]") if query_later else ("[^#,]" if multi else "[^#]")
            else:
                cls = "[^,]" if multi else "."
            pieces = []
            for position, spec in enumerate(specs):
                name = new_group(op, (spec,))
                if position == 0:
                    pieces.append(f"(?P<{name}>{cls}+)")
                else:
                    pieces.append(f"(?:,(?P<{name}>{cls}*))?")
            body = "".join(pieces)
            pattern.append(f"(?:\\#{body})?" if op == "#" else body)
    return re.compile("".join(pattern), re.DOTALL), groups


def _extract(operator: str, specs: tuple[_VarSpec, ...], raw: str) -> list[tuple[str, Any]]:
    if operator in ("?", "&", ";"):
        sep = "&" if operator in ("?", "&") else ";"
        params: list[tuple[str, str]] = []
        for item in raw.split(sep):
            if not item:
                continue
            key, _, value = item.partition("=")
            params.append((unquote(key), value))
        found: list[tuple[str, Any]] = []
        for spec in specs:
            values = [unquote(v) for k, v in params if k == spec.name]
            if not values:
                continue
            found.append((spec.name, values if spec.explode else values[0]))
        return found
    (spec,) = specs
    if operator in (".", "/"):
        if spec.explode:
            return [(spec.name, [unquote(v) for v in raw.split(operator)[1:]])]
        return [(spec.name, unquote(raw))]
    if spec.explode:
        return [(spec.name, [unquote(v) for v in raw.split(",")])]
    return [(spec.name, unquote(raw))]

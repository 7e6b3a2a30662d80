"""Tests for mcp_sync.server.schema: JSON Schema from type hints, and conversions."""

import base64
import dataclasses
import datetime as dt
import enum
import functools
import inspect
import sys
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Generic, List, Literal, Optional, Tuple, TypeVar, Union

import attrs
import jsonschema
import pytest
from jsonschema import Draft202012Validator

from mcp_sync.server.fields import MISSING, Field
from mcp_sync.server.schema import (
    ParameterInfo,
    ToolSignature,
    build_tool_signature,
    coerce_arguments,
    coerce_value,
    elicitation_schema_for,
    output_schema_for,
    parse_docstring,
    schema_for_type,
    to_jsonable,
)

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required, TypedDict
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired, Required, TypedDict


def valid(schema):
    """Assert ``schema`` is a valid 2020-12 schema without ``$schema``; return it."""
    Draft202012Validator.check_schema(schema)
    assert "$schema" not in schema
    return schema


def s(tp):
    return valid(schema_for_type(tp))


# --------------------------------------------------------------------------
# Test models
# --------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    """A point in the plane.

    Attributes:
        x: Horizontal position.
    """

    x: int
    y: int = 0


@dataclasses.dataclass
class Plain:
    a: str


@dataclasses.dataclass
class Node:
    name: str
    children: "list[Node]" = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Even:
    odd: "Optional[Odd]" = None


@dataclasses.dataclass
class Odd:
    even: Optional[Even] = None


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


class Partial(TypedDict, total=False):
    a: int
    b: Required[str]


@attrs.define
class Pet:
    """A pet."""

    name: str = attrs.field(metadata={"description": "Pet name"})
    _age: int = 3
    tags: list[str] = attrs.Factory(list)


@dataclasses.dataclass
class WithMeta:
    a: int = dataclasses.field(metadata={"description": "from metadata"})
    b: Annotated[str, Field(description="from Field", max_length=3)] = "x"
    c: int = dataclasses.field(init=False, default=0)


T = TypeVar("T")


@dataclasses.dataclass
class Page(Generic[T]):
    items: list[T]
    next: Optional[str] = None


class Unsupported:
    pass


POINT_BODY = {
    "type": "object",
    "description": "A point in the plane.",
    "properties": {
        "x": {"type": "integer", "description": "Horizontal position."},
        "y": {"type": "integer", "default": 0},
    },
    "required": ["x"],
}


# --------------------------------------------------------------------------
# schema_for_type: scalars, unions, literals, enums
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (None, {"type": "null"}),
        (type(None), {"type": "null"}),
        (Any, {}),
        (object, {}),
        (bytes, {"type": "string", "contentEncoding": "base64"}),
        (dt.datetime, {"type": "string", "format": "date-time"}),
        (dt.date, {"type": "string", "format": "date"}),
        (dt.time, {"type": "string", "format": "time"}),
        (uuid.UUID, {"type": "string", "format": "uuid"}),
        (typing.NewType("UserId", int), {"type": "integer"}),
    ],
)
def test_scalars(tp, expected):
    assert s(tp) == expected


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (Optional[int], {"type": ["integer", "null"]}),
        (int | None, {"type": ["integer", "null"]}),
        (Union[int, str, None], {"type": ["integer", "string", "null"]}),
        (
            Optional[list[int]],
            {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]},
        ),
        (Union[int, Any], {}),
        (
            Union[Plain, int],
            {
                "anyOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                    {"type": "integer"},
                ]
            },
        ),
    ],
)
def test_unions(tp, expected):
    assert s(tp) == expected


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (Literal["a"], {"type": "string", "const": "a"}),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (Literal[1, 2], {"type": "integer", "enum": [1, 2]}),
        (Literal["a", 1, None], {"type": ["string", "integer", "null"], "enum": ["a", 1, None]}),
        (Literal[True], {"type": "boolean", "const": True}),
        (Literal[Color.RED], {"type": "string", "const": "red"}),
        (Color, {"type": "string", "enum": ["red", "green"]}),
        (Level, {"type": "integer", "enum": [1, 2]}),
    ],
)
def test_literals_and_enums(tp, expected):
    assert s(tp) == expected


def test_enum_with_unsupported_values():
    class Weird(enum.Enum):
        A = (1, 2)

    with pytest.raises(TypeError, match=r"enum value \(1, 2\) is not a string or number"):
        schema_for_type(Weird)


# --------------------------------------------------------------------------
# Collections
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (List[str], {"type": "array", "items": {"type": "string"}}),
        (Sequence[float], {"type": "array", "items": {"type": "number"}}),
        (list, {"type": "array"}),
        (list[Any], {"type": "array"}),
        (List, {"type": "array"}),
        (set[str], {"type": "array", "items": {"type": "string"}, "uniqueItems": True}),
        (frozenset[int], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        (
            list[list[bool]],
            {"type": "array", "items": {"type": "array", "items": {"type": "boolean"}}},
        ),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (
            Mapping[str, list[str]],
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        ),
        (dict, {"type": "object"}),
        (dict[str, Any], {"type": "object"}),
        (
            dict[Color, int],
            {
                "type": "object",
                "propertyNames": {"type": "string", "enum": ["red", "green"]},
                "additionalProperties": {"type": "integer"},
            },
        ),
        (
            tuple[int, str],
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "items": False,
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        (
            Tuple[float, float, float],
            {
                "type": "array",
                "prefixItems": [{"type": "number"}] * 3,
                "items": False,
                "minItems": 3,
                "maxItems": 3,
            },
        ),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (tuple[()], {"type": "array", "maxItems": 0}),
        (tuple, {"type": "array"}),
        (Tuple, {"type": "array"}),
    ],
)
def test_collections(tp, expected):
    assert s(tp) == expected


def test_dict_with_non_string_keys_is_rejected():
    with pytest.raises(TypeError, match=r"JSON object keys are strings"):
        schema_for_type(dict[int, str])


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def test_typeddict_required_and_not_required():
    assert s(Movie) == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
        "required": ["title"],
    }


def test_typeddict_total_false_with_required_key():
    assert s(Partial) == {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
        "required": ["b"],
    }


def test_dataclass_with_docstring_descriptions():
    assert s(Point) == POINT_BODY


def test_dataclass_auto_docstring_is_not_a_description():
    assert Plain.__doc__  # dataclasses generate "Plain(a: str)"
    assert s(Plain) == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
    }


def test_dataclass_field_metadata_annotated_and_init_false():
    assert s(WithMeta) == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "from metadata"},
            "b": {"type": "string", "description": "from Field", "maxLength": 3, "default": "x"},
        },
        "required": ["a"],
    }


def test_attrs_class():
    assert s(Pet) == {
        "type": "object",
        "description": "A pet.",
        "properties": {
            "name": {"type": "string", "description": "Pet name"},
            "_age": {"type": "integer", "default": 3},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name"],
    }


def test_generic_dataclass():
    assert s(Page[int]) == {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "integer"}},
            "next": {"type": ["string", "null"], "default": None},
        },
        "required": ["items"],
    }


def test_model_used_once_is_inlined():
    assert s(list[Point]) == {"type": "array", "items": POINT_BODY}


def test_repeated_model_goes_to_defs():
    assert s(tuple[Point, Point]) == {
        "type": "array",
        "prefixItems": [{"$ref": "#/$defs/Point"}, {"$ref": "#/$defs/Point"}],
        "items": False,
        "minItems": 2,
        "maxItems": 2,
        "$defs": {"Point": POINT_BODY},
    }


NODE_BODY = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
    },
    "required": ["name"],
}


def test_recursive_model_root_is_inlined_and_kept_in_defs():
    assert s(Node) == {**NODE_BODY, "$defs": {"Node": NODE_BODY}}


def test_recursive_model_nested():
    assert s(list[Node]) == {
        "type": "array",
        "items": {"$ref": "#/$defs/Node"},
        "$defs": {"Node": NODE_BODY},
    }


def test_mutually_recursive_models():
    assert s(Even) == {
        "type": "object",
        "properties": {
            "odd": {"anyOf": [{"$ref": "#/$defs/Odd"}, {"type": "null"}], "default": None}
        },
        "$defs": {
            "Odd": {
                "type": "object",
                "properties": {
                    "even": {"anyOf": [{"$ref": "#/$defs/Even"}, {"type": "null"}], "default": None}
                },
            },
            "Even": {
                "type": "object",
                "properties": {
                    "odd": {"anyOf": [{"$ref": "#/$defs/Odd"}, {"type": "null"}], "default": None}
                },
            },
        },
    }


def test_def_name_collision_uses_qualified_name():
    def make():
        @dataclasses.dataclass
        class Point:  # same name as the module-level Point
            z: int

        return Point

    Other = make()
    schema = s(tuple[Point, Point, Other, Other])
    other_name = f"{Other.__module__}.{Other.__qualname__}".replace("<", "_").replace(">", "_")
    assert other_name.endswith("test_def_name_collision_uses_qualified_name._locals_.make._locals_.Point")
    assert set(schema["$defs"]) == {"Point", other_name}
    assert schema["prefixItems"][2] == {"$ref": f"#/$defs/{other_name}"}
    assert schema["$defs"][other_name]["properties"] == {"z": {"type": "integer"}}


def test_model_ref_keeps_field_description_and_inlined_copy_overrides_doc():
    @dataclasses.dataclass
    class Box:
        corner: Annotated[Point, "Top left corner"]

    assert s(Box)["properties"]["corner"] == {**POINT_BODY, "description": "Top left corner"}


def test_nested_combination():
    @dataclasses.dataclass
    class Scene:
        points: dict[str, list[Point]]
        movies: Optional[list[Movie]] = None
        level: Level = Level.LOW

    assert s(Scene) == {
        "type": "object",
        "properties": {
            "points": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": POINT_BODY},
            },
            "movies": {
                "anyOf": [
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "title": {"type": "string"},
                                "year": {"type": "integer"},
                            },
                            "required": ["title"],
                        },
                    },
                    {"type": "null"},
                ],
                "default": None,
            },
            "level": {"type": "integer", "enum": [1, 2], "default": 1},
        },
        "required": ["points"],
    }


def test_unsupported_types_raise_type_error():
    with pytest.raises(TypeError, match=r"unsupported type annotation .*Unsupported \(in list\["):
        schema_for_type(list[Unsupported])
    with pytest.raises(TypeError, match=r"unresolved forward reference"):
        schema_for_type("Missing")
    with pytest.raises(TypeError, match=r"unsupported type annotation ~T"):
        schema_for_type(T)


# --------------------------------------------------------------------------
# Annotated and Field
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (Annotated[int, "How many"], {"type": "integer", "description": "How many"}),
        (
            Annotated[int, Field(ge=1, le=10, multiple_of=2)],
            {"type": "integer", "minimum": 1, "maximum": 10, "multipleOf": 2},
        ),
        (
            Annotated[float, Field(gt=0, lt=1)],
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        ),
        (
            Annotated[str, Field(min_length=1, max_length=5, pattern="^[a-z]+$")],
            {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
        ),
        (
            Annotated[list[int], Field(min_items=1, max_items=3)],
            {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
        ),
        (
            Annotated[list[int], Field(min_length=2, max_length=4)],
            {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 4},
        ),
        (
            Annotated[str, Field(title="Name", examples=["ann", "bob"], format="email")],
            {"type": "string", "title": "Name", "examples": ["ann", "bob"], "format": "email"},
        ),
        (
            Annotated[str, Field(json_schema_extra={"x-mcp-header": "X-Region"})],
            {"type": "string", "x-mcp-header": "X-Region"},
        ),
        (
            Annotated[Optional[int], Field(ge=0)],
            {"type": ["integer", "null"], "minimum": 0},
        ),
        (
            Annotated[int, "first", Field(ge=0, description="second"), Field(ge=5)],
            {"type": "integer", "description": "second", "minimum": 5},
        ),
        (
            Annotated[Annotated[int, Field(ge=0, description="inner")], "outer"],
            {"type": "integer", "minimum": 0, "description": "outer"},
        ),
        (Annotated[int, object(), 42], {"type": "integer"}),  # unknown metadata ignored
    ],
)
def test_annotated(tp, expected):
    assert s(tp) == expected


def test_annotated_alias_used_with_more_metadata():
    Count = Annotated[int, Field(ge=0, description="A count")]
    assert s(Annotated[Count, "Number of items"]) == {
        "type": "integer",
        "minimum": 0,
        "description": "Number of items",
    }
    assert s(list[Count]) == {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "description": "A count"},
    }


def test_field_validation_and_repr():
    with pytest.raises(TypeError, match="examples"):
        Field(examples="nope")  # type: ignore[arg-type]
    assert repr(Field(3, ge=1)) == "Field(default=3, ge=1)"
    assert repr(MISSING) == "MISSING"
    assert not MISSING
    marker = Field(examples=[1])
    assert hash(marker) == hash(marker)  # usable in Annotated despite the list


# --------------------------------------------------------------------------
# Tool signatures: input schema
# --------------------------------------------------------------------------


def test_simple_tool():
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    sig = build_tool_signature(add)
    assert isinstance(sig, ToolSignature)
    assert sig.name == "add"
    assert sig.description == "Add two numbers."
    assert valid(sig.input_schema) == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 2}},
        "required": ["a"],
    }
    assert valid(sig.output_schema) == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }
    assert sig.wrap_output is True
    assert sig.parameters == (
        ParameterInfo("a", int, True, MISSING, None),
        ParameterInfo("b", int, False, 2, None),
    )
    assert sig.skipped == ()
    assert sig.structured_content(5) == {"result": 5}


def test_no_argument_tool():
    def ping():
        return "pong"

    sig = build_tool_signature(ping)
    assert valid(sig.input_schema) == {"type": "object", "additionalProperties": False}
    assert sig.output_schema is None
    assert sig.description is None
    assert sig.coerce({}) == {}
    assert sig.coerce(None) == {}


def test_defaults_and_required():
    class Ctx:
        pass

    def tool(
        ctx: Ctx,
        a: str,
        b: Optional[int] = None,
        c: int = None,  # type: ignore[assignment]  # implicit Optional
        d: Color = Color.GREEN,
        e: list[int] = [],  # noqa: B006
        f: object = object(),  # not JSON-able: no "default", still optional
        g=1.5,  # unannotated: no constraint
    ) -> None:
        pass

    sig = build_tool_signature(tool, skip=lambda p, ann: ann is Ctx)
    assert valid(sig.input_schema) == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "a": {"type": "string"},
            "b": {"type": ["integer", "null"], "default": None},
            "c": {"type": ["integer", "null"], "default": None},
            "d": {"type": "string", "enum": ["red", "green"], "default": "green"},
            "e": {"type": "array", "items": {"type": "integer"}, "default": []},
            "f": {},
            "g": {"default": 1.5},
        },
        "required": ["a"],
    }
    assert sig.skipped == ("ctx",)
    assert [p.name for p in sig.parameters] == ["a", "b", "c", "d", "e", "f", "g"]
    assert [p.required for p in sig.parameters] == [True] + [False] * 6


def test_skip_predicate_sees_resolved_annotation_and_parameter():
    seen = []

    class Context:
        pass

    def tool(x: int, context: "Context", y) -> None:
        pass

    def skip(param, annotation):
        seen.append((param.name, annotation))
        return param.name == "context"

    sig = build_tool_signature(tool, skip=skip)
    # "Context" is not resolvable from the module globals: it stays a string.
    assert seen == [("x", int), ("context", "Context"), ("y", inspect.Parameter.empty)]
    assert sig.skipped == ("context",)
    assert list(sig.input_schema["properties"]) == ["x", "y"]


def test_skip_context_by_type():
    class Context:
        pass

    def tool(query: str, ctx: Context) -> str:
        return query

    sig = build_tool_signature(tool, skip=lambda p, ann: ann is Context)
    assert sig.input_schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    }
    assert sig.skipped == ("ctx",)


def test_star_args_and_kwargs_rejected():
    def a(x: int, *args: int) -> None:
        pass

    def b(x: int, **kwargs: Any) -> None:
        pass

    def c(x: int, /) -> None:
        pass

    with pytest.raises(TypeError, match=r"tool a: \*args is not supported"):
        build_tool_signature(a)
    with pytest.raises(TypeError, match=r"tool b: \*\*kwargs is not supported"):
        build_tool_signature(b)
    with pytest.raises(TypeError, match=r"positional-only parameter 'x'"):
        build_tool_signature(c)
    sig = build_tool_signature(b, skip=lambda p, ann: p.kind is p.VAR_KEYWORD)
    assert sig.skipped == ("kwargs",)


def test_unsupported_parameter_type_names_parameter_and_type():
    def tool(ok: int, bad: dict[str, Unsupported]) -> None:
        pass

    with pytest.raises(
        TypeError,
        match=r"^parameter 'bad' of tool: unsupported type annotation "
        r"[\w.]*Unsupported \(in dict\[str, [\w.]*Unsupported\]\)$",
    ):
        build_tool_signature(tool)


def test_unresolvable_string_annotation():
    def tool(x: "DoesNotExist") -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(TypeError, match=r"^parameter 'x' of tool: cannot resolve annotation 'DoesNotExist'$"):
        build_tool_signature(tool)


def test_field_as_default_value_and_annotated_field_default():
    def tool(
        x: int = Field(3, description="an x", ge=0),
        y: Annotated[int, Field(default=4)] = 5,
        z: Annotated[str, Field(default="zz", description="a z")] = Field(max_length=9),
        w: str = Field(description="required w"),
    ) -> None:
        pass

    sig = build_tool_signature(tool)
    assert valid(sig.input_schema) == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "x": {"type": "integer", "description": "an x", "minimum": 0, "default": 3},
            "y": {"type": "integer", "default": 5},
            "z": {"type": "string", "description": "a z", "maxLength": 9, "default": "zz"},
            "w": {"type": "string", "description": "required w"},
        },
        "required": ["w"],
    }
    # Defaults the Python function itself lacks are filled in by coerce().
    assert sig.coerce({"w": "a"}) == {"w": "a", "x": 3, "z": "zz"}
    assert sig.coerce({"w": "a", "x": 7, "y": 1}) == {"w": "a", "x": 7, "y": 1, "z": "zz"}


def test_google_docstring():
    def tool(a: int, b: Annotated[str, "explicit wins"], c: bool = False) -> None:
        """Search the catalogue.

        Returns the best matches first.

        Args:
            a: The first number,
                over two lines.
            b (str): Ignored, Annotated wins.
            c: Whether to include
                archived items.

        Returns:
            Nothing.
        """

    sig = build_tool_signature(tool)
    assert sig.description == "Search the catalogue.\n\nReturns the best matches first."
    assert sig.input_schema["properties"] == {
        "a": {"type": "integer", "description": "The first number, over two lines."},
        "b": {"type": "string", "description": "explicit wins"},
        "c": {"type": "boolean", "description": "Whether to include archived items.", "default": False},
    }


def test_rest_docstring():
    def tool(path: str, depth: int = 1) -> None:
        """List a directory.

        :param path: Directory to list.
        :param int depth: How deep to
            recurse.
        :returns: nothing
        """

    sig = build_tool_signature(tool)
    assert sig.description == "List a directory."
    assert sig.input_schema["properties"] == {
        "path": {"type": "string", "description": "Directory to list."},
        "depth": {"type": "integer", "description": "How deep to recurse.", "default": 1},
    }


def test_numpy_docstring():
    doc = parse_docstring(
        """Compute things.

        Parameters
        ----------
        x : int
            The x value.
        y
            The y value,
            continued.

        Returns
        -------
        int
            Result.
        """
    )
    assert doc.description == "Compute things."
    assert dict(doc.params) == {"x": "The x value.", "y": "The y value, continued."}


def test_parse_docstring_edge_cases():
    assert parse_docstring(None).description is None
    assert parse_docstring("").params == {}
    doc = parse_docstring("Only prose.\n\nTwo paragraphs.")
    assert doc.description == "Only prose.\n\nTwo paragraphs."
    assert doc.params == {}
    doc = parse_docstring("Args:\n    x: only args")
    assert doc.description is None
    assert doc.params == {"x": "only args"}


def test_methods_partials_and_callables():
    class Service:
        def lookup(self, key: str, limit: int = 3) -> list[str]:
            """Look up a key."""
            return [key] * limit

        def __call__(self, q: str) -> str:
            return q

    svc = Service()
    sig = build_tool_signature(svc.lookup)
    assert sig.name == "lookup"
    assert sig.input_schema["required"] == ["key"]
    assert sig.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": "string"}}},
        "required": ["result"],
    }

    def base(a: int, b: str) -> None:
        pass

    sig = build_tool_signature(functools.partial(base, b="x"))
    assert sig.input_schema["properties"]["a"] == {"type": "integer"}

    sig = build_tool_signature(svc)
    assert sig.input_schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"q": {"type": "string"}},
        "required": ["q"],
    }


def test_input_schema_defs_are_shared_across_parameters():
    def tool(a: Point, b: list[Point], n: Node) -> None:
        pass

    schema = valid(build_tool_signature(tool).input_schema)
    assert schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "a": {"$ref": "#/$defs/Point"},
            "b": {"type": "array", "items": {"$ref": "#/$defs/Point"}},
            "n": {"$ref": "#/$defs/Node"},
        },
        "required": ["a", "b", "n"],
        "$defs": {"Point": POINT_BODY, "Node": NODE_BODY},
    }
    jsonschema.validate(
        {"a": {"x": 1}, "b": [], "n": {"name": "r", "children": [{"name": "c"}]}}, schema
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"a": {"x": "1"}, "b": [], "n": {"name": "r"}}, schema)


# --------------------------------------------------------------------------
# Output schemas
# --------------------------------------------------------------------------


class TextContent:
    pass


class ImageContent:
    pass


@pytest.mark.parametrize(
    "annotation",
    [
        inspect.Signature.empty,
        None,
        type(None),
        Any,
        TextContent,
        list[TextContent],
        Union[TextContent, ImageContent],
        Sequence[Union[TextContent, ImageContent]],
        Optional[TextContent],
    ],
)
def test_output_unstructured(annotation):
    assert output_schema_for(annotation, unstructured=(TextContent, ImageContent)) == (None, False)


@pytest.mark.parametrize(("annotation", "inner"), [
    (str, {"type": "string"}),
    (Optional[str], {"type": ["string", "null"]}),
    (Annotated[str, "text"], {"type": "string", "description": "text"}),
])
def test_str_results_are_structured_like_every_other_value(annotation, inner):
    # one rule: every typed return except None, Any and content blocks has an outputSchema
    assert output_schema_for(annotation, unstructured=(TextContent,)) == (
        {"type": "object", "properties": {"result": inner}, "required": ["result"]}, True)


def test_output_unstructured_predicate():
    def is_content(tp):
        return tp is TextContent

    assert output_schema_for(list[TextContent], unstructured=is_content) == (None, False)
    assert output_schema_for(TextContent, unstructured=is_content) == (None, False)
    with pytest.raises(TypeError, match="return annotation"):
        output_schema_for(ImageContent, unstructured=is_content)


def wrapped(schema):
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, wrapped({"type": "integer"})),
        (bool, wrapped({"type": "boolean"})),
        (list[str], wrapped({"type": "array", "items": {"type": "string"}})),
        (Color, wrapped({"type": "string", "enum": ["red", "green"]})),
        (Union[int, str], wrapped({"type": ["integer", "string"]})),
        (Optional[Plain], wrapped({
            "anyOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "null"},
            ]
        })),
        (list[Point], wrapped({"type": "array", "items": POINT_BODY})),
        (
            list[Node],
            {
                **wrapped({"type": "array", "items": {"$ref": "#/$defs/Node"}}),
                "$defs": {"Node": NODE_BODY},
            },
        ),
    ],
)
def test_output_wrapped(annotation, expected):
    schema, is_wrapped = output_schema_for(annotation)
    assert valid(schema) == expected
    assert is_wrapped is True


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (Point, POINT_BODY),
        (Movie, s(Movie)),
        (Pet, s(Pet)),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (dict, {"type": "object"}),
        (Mapping[str, Any], {"type": "object"}),
        (Annotated[Point, "The point"], {**POINT_BODY, "description": "The point"}),
        (Node, {**NODE_BODY, "$defs": {"Node": NODE_BODY}}),
    ],
)
def test_output_structured_objects_are_not_wrapped(annotation, expected):
    schema, is_wrapped = output_schema_for(annotation)
    assert valid(schema) == expected
    assert schema["type"] == "object"
    assert is_wrapped is False


def test_output_unsupported_annotation():
    with pytest.raises(TypeError, match=r"^return annotation: unsupported type annotation"):
        output_schema_for(Unsupported)


def test_structured_output_modes():
    def custom() -> Unsupported:
        return Unsupported()

    def text() -> str:
        return ""

    def point() -> Point:
        return Point(1, 2)

    assert build_tool_signature(custom).output_schema is None  # auto: quietly none
    with pytest.raises(TypeError, match="unsupported type annotation"):
        build_tool_signature(custom, structured_output=True)
    assert build_tool_signature(text, structured_output=True).wrap_output is True
    assert build_tool_signature(point, structured_output=False).output_schema is None
    sig = build_tool_signature(point)
    assert sig.output_schema == POINT_BODY
    assert sig.wrap_output is False
    assert sig.structured_content(Point(1, 2)) == {"x": 1, "y": 2}
    jsonschema.validate(sig.structured_content(Point(1, 2)), sig.output_schema)
    assert build_tool_signature(text).structured_content("hi") == {"result": "hi"}
    assert build_tool_signature(text, structured_output=False).structured_content("hi") is None


def test_output_from_string_return_annotation():
    def tool() -> "list[Point]":
        return []

    sig = build_tool_signature(tool)
    assert sig.output_schema == wrapped({"type": "array", "items": POINT_BODY})


# --------------------------------------------------------------------------
# to_jsonable
# --------------------------------------------------------------------------


def test_to_jsonable():
    moment = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "point": Point(1, 2),
        "pet": Pet("rex", 4),
        "movie": Movie(title="Up", year=2009),
        "color": Color.RED,
        "level": Level.HIGH,
        "tuple": (1, "a"),
        "set": {3, 1, 2},
        "moment": moment,
        "day": dt.date(2024, 5, 6),
        "time": dt.time(7, 8),
        "id": ident,
        "raw": b"\x00\x01",
        "nested": [Node("a", [Node("b")])],
        Color.GREEN: 1,
        2: "two",
    }
    assert to_jsonable(value) == {
        "point": {"x": 1, "y": 2},
        "pet": {"name": "rex", "_age": 4, "tags": []},
        "movie": {"title": "Up", "year": 2009},
        "color": "red",
        "level": 2,
        "tuple": [1, "a"],
        "set": [1, 2, 3],
        "moment": "2024-05-06T07:08:09+00:00",
        "day": "2024-05-06",
        "time": "07:08:00",
        "id": "12345678-1234-5678-1234-567812345678",
        "raw": "AAE=",
        "nested": [{"name": "a", "children": [{"name": "b", "children": []}]}],
        "green": 1,
        "2": "two",
    }
    assert type(to_jsonable(Level.HIGH)) is int
    assert to_jsonable(None) is None


def test_to_jsonable_rejects_unknown_objects():
    with pytest.raises(TypeError, match="Unsupported is not JSON serializable"):
        to_jsonable([Unsupported()])


def test_to_jsonable_output_validates_against_output_schema():
    def tool() -> list[Point]:
        return [Point(1), Point(2, 3)]

    sig = build_tool_signature(tool)
    jsonschema.validate(sig.structured_content(tool()), sig.output_schema)


# --------------------------------------------------------------------------
# Coercion
# --------------------------------------------------------------------------


def test_coerce_trivial_parameters_are_untouched_and_unknown_dropped():
    def tool(a: int, b: str, c: float = 1.0, d: bool = False) -> None:
        pass

    sig = build_tool_signature(tool)
    args = {"a": 1, "b": "x", "c": 2}
    out = sig.coerce(args)
    assert out == args and out is not args
    assert sig.coerce({"a": 1, "b": "x", "zzz": 1}) == {"a": 1, "b": "x"}
    assert sig._trivial  # no per-argument work on the hot path


def test_coerce_rich_types():
    def tool(
        color: Color,
        level: Level,
        point: Point,
        points: list[Point],
        pet: Pet,
        movie: Movie,
        pair: tuple[int, Color],
        many: tuple[Color, ...],
        tags: set[str],
        frozen: frozenset[Color],
        when: dt.datetime,
        day: dt.date,
        at: dt.time,
        ident: uuid.UUID,
        raw: bytes,
        by_name: dict[str, Color],
        tree: Node,
        lit: Literal[Color.RED, "other"],
        maybe: Optional[Color] = None,
        page: Optional[Page[Point]] = None,
    ) -> None:
        pass

    sig = build_tool_signature(tool)
    out = sig.coerce(
        {
            "color": "green",
            "level": 2,
            "point": {"x": 1},
            "points": [{"x": 2, "y": 3}],
            "pet": {"name": "rex", "_age": 5, "tags": ["a"]},
            "movie": {"title": "Up"},
            "pair": [1, "red"],
            "many": ["red", "green"],
            "tags": ["a", "b", "a"],
            "frozen": ["red"],
            "when": "2024-05-06T07:08:09Z",
            "day": "2024-05-06",
            "at": "07:08:09",
            "ident": "12345678-1234-5678-1234-567812345678",
            "raw": "AAE=",
            "by_name": {"a": "red"},
            "tree": {"name": "r", "children": [{"name": "c"}]},
            "lit": "red",
            "maybe": None,
            "page": {"items": [{"x": 9}]},
        }
    )
    assert out == {
        "color": Color.GREEN,
        "level": Level.HIGH,
        "point": Point(1, 0),
        "points": [Point(2, 3)],
        "pet": Pet("rex", 5, ["a"]),
        "movie": {"title": "Up"},
        "pair": (1, Color.RED),
        "many": (Color.RED, Color.GREEN),
        "tags": {"a", "b"},
        "frozen": frozenset({Color.RED}),
        "when": dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc),
        "day": dt.date(2024, 5, 6),
        "at": dt.time(7, 8, 9),
        "ident": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "raw": b"\x00\x01",
        "by_name": {"a": Color.RED},
        "tree": Node("r", [Node("c")]),
        "lit": Color.RED,
        "maybe": None,
        "page": Page([Point(9)]),
    }
    assert type(out["tags"]) is set and type(out["frozen"]) is frozenset
    assert type(out["pair"]) is tuple
    assert sig.coerce({"color": "red", "maybe": "red"}) == {"color": Color.RED, "maybe": Color.RED}


def test_coerce_union_picks_matching_member():
    @dataclasses.dataclass
    class Cat:
        meow: str

    @dataclasses.dataclass
    class Dog:
        bark: str
        loud: bool = False

    def tool(
        pet: Union[Cat, Dog],
        when: Union[dt.date, str],
        num: Union[int, Color],
        items: Union[list[Color], Color],
    ) -> None:
        pass

    sig = build_tool_signature(tool)
    assert sig.coerce({"pet": {"bark": "woof"}, "when": "soon", "num": 3, "items": "red"}) == {
        "pet": Dog("woof"),
        "when": "soon",
        "num": 3,
        "items": Color.RED,
    }
    assert sig.coerce(
        {"pet": {"meow": "x"}, "when": "2024-01-02", "num": "green", "items": ["red"]}
    ) == {"pet": Cat("x"), "when": dt.date(2024, 1, 2), "num": Color.GREEN, "items": [Color.RED]}


def test_coerce_typeddict_with_nested_conversion():
    class Order(TypedDict):
        color: Color
        note: NotRequired[str]

    def tool(order: Order, orders: list[Order]) -> None:
        pass

    sig = build_tool_signature(tool)
    assert sig.coerce({"order": {"color": "red", "extra": 1}, "orders": [{"color": "green"}]}) == {
        "order": {"color": Color.RED, "extra": 1},
        "orders": [{"color": Color.GREEN}],
    }


def test_coerce_drops_unknown_keys_for_dataclasses():
    def tool(p: Point) -> None:
        pass

    assert build_tool_signature(tool).coerce({"p": {"x": 1, "junk": 2}}) == {"p": Point(1)}


def test_coerce_failure_names_the_argument():
    def tool(color: Color) -> None:
        pass

    with pytest.raises(ValueError, match=r"invalid value for argument 'color'"):
        build_tool_signature(tool).coerce({"color": "purple"})


def test_coerce_arguments_function():
    class Ctx:
        pass

    def tool(color: Color, ctx: Ctx) -> None:
        pass

    skip = lambda p, ann: ann is Ctx  # noqa: E731
    assert coerce_arguments(tool, {"color": "red"}, skip=skip) == {"color": Color.RED}
    sig = build_tool_signature(tool, skip=skip)
    assert coerce_arguments(sig, {"color": "green"}) == {"color": Color.GREEN}


def test_coerce_value():
    assert coerce_value(list[Point], [{"x": 1}]) == [Point(1)]
    assert coerce_value(int, 3) == 3
    assert coerce_value(Optional[dt.datetime], "2024-01-01T00:00:00+02:00") == dt.datetime(
        2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )


# --------------------------------------------------------------------------
# Elicitation schemas
# --------------------------------------------------------------------------


class Size(str, enum.Enum):
    S = "small"
    L = "large"


@dataclasses.dataclass
class Signup:
    """Sign up.

    Attributes:
        name: Your name.
    """

    name: str
    email: Annotated[str, Field(format="email", title="E-mail")]
    age: Annotated[int, Field(ge=0, lt=150)] = 30
    height: Annotated[float, Field(le=3.0)] = 1.7
    subscribe: bool = True
    size: Size = Size.S
    plan: Literal["free", "pro"] = "free"
    toppings: Annotated[list[Literal["ham", "egg"]], Field(min_items=1)] = dataclasses.field(
        default_factory=lambda: ["egg"]
    )
    sizes: set[Size] = dataclasses.field(default_factory=set)
    born: Optional[dt.date] = None
    nickname: Annotated[Optional[str], Field(max_length=20, description="Optional nickname")] = None


SIGNUP_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Your name."},
        "email": {"type": "string", "format": "email", "title": "E-mail"},
        "age": {"type": "integer", "minimum": 0, "maximum": 149, "default": 30},
        "height": {"type": "number", "maximum": 3.0, "default": 1.7},
        "subscribe": {"type": "boolean", "default": True},
        "size": {"type": "string", "enum": ["small", "large"], "default": "small"},
        "plan": {"type": "string", "enum": ["free", "pro"], "default": "free"},
        "toppings": {
            "type": "array",
            "items": {"type": "string", "enum": ["ham", "egg"]},
            "minItems": 1,
        },
        "sizes": {"type": "array", "items": {"type": "string", "enum": ["small", "large"]}},
        "born": {"type": "string", "format": "date"},
        "nickname": {"type": "string", "maxLength": 20, "description": "Optional nickname"},
    },
    "required": ["name", "email"],
}


def test_elicitation_schema():
    assert valid(elicitation_schema_for(Signup)) == SIGNUP_SCHEMA


def test_elicitation_result_coerces_back():
    content = {"name": "Ann", "email": "a@b.c", "size": "large", "sizes": ["small"], "born": "2000-01-02"}
    jsonschema.validate(content, SIGNUP_SCHEMA)
    assert coerce_value(Signup, content) == Signup(
        name="Ann", email="a@b.c", size=Size.L, sizes={Size.S}, born=dt.date(2000, 1, 2)
    )


def test_elicitation_schema_typeddict_and_attrs():
    class Answer(TypedDict):
        ok: bool
        why: NotRequired[str]

    @attrs.define
    class Rating:
        stars: int
        comment: str = ""

    assert valid(elicitation_schema_for(Answer)) == {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}, "why": {"type": "string"}},
        "required": ["ok"],
    }
    assert valid(elicitation_schema_for(Rating)) == {
        "type": "object",
        "properties": {"stars": {"type": "integer"}, "comment": {"type": "string", "default": ""}},
        "required": ["stars"],
    }


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (Point, r"field 'v' of .*Bad: elicitation schemas must be flat; .*nested objects"),
        (dict[str, str], r"must be flat; .*nested objects"),
        (list[str], r"must be flat; unsupported type list\[str\]"),
        (Level, r"must be flat; unsupported type .*Level"),
        (Union[int, str], r"must be flat"),
        (Annotated[int, Field(multiple_of=2)], r"Field constraints \['multiple_of'\] are not allowed"),
        (Annotated[str, Field(format="uuid")], r"format 'uuid' is not allowed"),
        (Annotated[float, Field(gt=0)], r"Field constraints \['gt'\] are not allowed"),
    ],
)
def test_elicitation_schema_errors(annotation, message):
    Bad = dataclasses.make_dataclass("Bad", [("v", annotation)])
    with pytest.raises(TypeError, match=message):
        elicitation_schema_for(Bad)


def test_elicitation_schema_requires_a_model():
    with pytest.raises(TypeError, match="dataclass, TypedDict or attrs class, not int"):
        elicitation_schema_for(int)

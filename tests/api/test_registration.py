"""Registration says no early: async and generator handlers are refused with a message saying what to write."""

from __future__ import annotations

import functools

import pytest

from mcp_sync import RegistrationError, Server


async def async_tool() -> str:
    return "never"


def generator_tool():
    yield "never"


async def async_generator_tool():
    yield "never"


class AsyncCallable:
    async def __call__(self) -> str:
        return "never"


CASES = [
    (async_tool, "'async def' function"),
    (generator_tool, "generator function"),
    (async_generator_tool, "'async def' generator"),
    (AsyncCallable(), "'async def' function"),
    (functools.partial(async_tool), "'async def' function"),
]


@pytest.mark.parametrize(("fn", "kind"), CASES, ids=[c[1] + "-" + str(i) for i, c in enumerate(CASES)])
def test_tools_prompts_and_resources_refuse_async_and_generators(fn, kind):
    server = Server("refuses")
    registrations = [
        ("tool", lambda: server.tool(name="t")(fn)),
        ("prompt", lambda: server.prompt(name="p")(fn)),
        ("resource", lambda: server.resource("test://fixed")(fn)),
    ]
    for what, register in registrations:
        with pytest.raises(RegistrationError) as refused:
            register()
        message = str(refused.value)
        assert kind in message, (what, message)
        assert "plain 'def'" in message or "Return the value" in message
        assert isinstance(refused.value, TypeError)  # existing `except TypeError` keeps working
    with pytest.raises(RegistrationError, match="resource template"):
        server.resource("test://{name}")(fn)
    assert server.capabilities().get("tools") is None  # nothing half-registered


def test_not_callable_is_refused():
    server = Server("refuses")
    with pytest.raises(RegistrationError, match="must be a function"):
        server.add_tool(42)  # type: ignore[arg-type]


def test_plain_functions_and_callable_objects_still_register():
    server = Server("accepts")

    class Adder:
        def __call__(self, a: int, b: int) -> int:
            return a + b

    server.add_tool(Adder(), name="adder")
    server.add_tool(functools.partial(lambda a, b: a * b, b=2), name="double",
                    input_schema={"type": "object", "properties": {"a": {"type": "integer"}}})
    assert server.capabilities()["tools"]

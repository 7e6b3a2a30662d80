"""Prompts and completions (in memory)."""

from __future__ import annotations

import enum
from typing import Literal

import pytest

from mcp_sync import Context, McpError, Server
from mcp_sync.server import content
from mcp_sync.types import PromptMessage, TextContent
from tests.server.support import connected


class Tone(enum.Enum):
    FORMAL = "formal"
    FRIENDLY = "friendly"


def make_server() -> Server:
    server = Server("prompts-test")

    @server.prompt(title="Greeting")
    def greet(name: str, tone: Tone = Tone.FRIENDLY, times: int = 1) -> str:
        """Greet someone.

        Args:
            name: Who to greet.
            tone: How.
        """
        return f"{'Hello' if tone is Tone.FORMAL else 'Hi'} {name}" + "!" * times

    @server.prompt(name="dialogue", description="A short dialogue")
    def dialogue(topic: str, ctx: Context) -> list:
        return [f"Tell me about {topic}", content.assistant(f"{topic} is interesting ({ctx.protocol_version})"),
                {"role": "user", "content": content.image(b"png", "image/png")},
                PromptMessage(role="user", content=TextContent(text="typed"))]

    @server.prompt()
    def whole() -> dict:
        "Returns a whole GetPromptResult."
        return {"description": "custom", "messages": [{"role": "assistant", "content": "as text"}]}

    @server.prompt()
    def broken() -> str:
        "Raises."
        raise RuntimeError("no prompt today")

    @server.prompt()
    def bad_role() -> dict:
        "Returns an invalid message."
        return {"role": "system", "content": "x"}

    @server.prompt()
    def pick(size: Literal["small", "smaller", "large"]) -> str:
        "Choices from a Literal."
        return size

    @server.completion(prompt="greet", argument="name")
    def names(value: str) -> list[str]:
        return [n for n in ("alice", "albert", "bob") if n.startswith(value)]

    @server.completion(prompt="dialogue", argument="topic")
    def topics(value: str, arguments: dict, ctx: Context) -> dict:
        return {"values": [f"{value}-{arguments.get('x', '?')}"], "total": 10, "hasMore": True}

    @server.resource("docs://{section}/{page}")
    def doc(section: str, page: str) -> str:
        "A doc page."
        return f"{section}/{page}"

    @server.completion(template="docs://{section}/{page}", variable="page")
    def pages(value: str) -> list[str]:
        return [f"p{i}" for i in range(150)]

    return server


@pytest.fixture
def client():
    with connected(make_server()) as client:
        yield client


def test_prompt_listing(client):
    prompts = {p["name"]: p for p in client.request("prompts/list", {})["prompts"]}
    assert prompts["greet"] == {
        "name": "greet", "title": "Greeting", "description": "Greet someone.",
        "arguments": [{"name": "name", "description": "Who to greet.", "required": True},
                      {"name": "tone", "description": "How.", "required": False},
                      {"name": "times", "required": False}]}
    assert prompts["dialogue"]["description"] == "A short dialogue"
    assert prompts["dialogue"]["arguments"] == [{"name": "topic", "required": True}]  # ctx is not an argument
    assert "arguments" not in prompts["whole"]


def test_prompt_rendering(client):
    assert client.request("prompts/get", {"name": "greet", "arguments": {"name": "Ann", "tone": "formal",
                                                                         "times": "3"}}) == {
        "description": "Greet someone.",
        "messages": [{"role": "user", "content": {"type": "text", "text": "Hello Ann!!!"}}]}
    messages = client.request("prompts/get", {"name": "dialogue", "arguments": {"topic": "owls"}})["messages"]
    assert messages == [
        {"role": "user", "content": {"type": "text", "text": "Tell me about owls"}},
        {"role": "assistant", "content": {"type": "text", "text": "owls is interesting (2025-11-25)"}},
        {"role": "user", "content": {"type": "image", "data": "cG5n", "mimeType": "image/png"}},
        {"role": "user", "content": {"type": "text", "text": "typed"}}]
    assert client.request("prompts/get", {"name": "whole"}) == {
        "description": "custom", "messages": [{"role": "assistant", "content": {"type": "text", "text": "as text"}}]}


@pytest.mark.parametrize("params, message", [
    ({"name": "nope"}, "Unknown prompt: nope"),
    ({"name": "greet"}, "Missing required arguments for prompt 'greet': name"),
    ({"name": "greet", "arguments": {"name": "x", "times": "many"}}, "Invalid value for argument 'times'"),
    ({"name": "greet", "arguments": {"name": "x", "tone": "angry"}}, "Invalid value for argument 'tone'"),
    ({"name": "greet", "arguments": {"name": 5}}, "must be a string"),
    ({"name": "greet", "arguments": "name=x"}, "'arguments' must be an object"),
])
def test_prompt_errors_are_invalid_params(client, params, message):
    with pytest.raises(McpError) as info:
        client.request("prompts/get", params)
    assert info.value.code == -32602 and message in info.value.message
    assert client.get_prompt("greet", {"name": "still"}).messages[0].content.text == "Hi still!"


def test_prompt_handler_failures_are_internal_errors(client):
    for name, text in (("broken", "RuntimeError: no prompt today"), ("bad_role", "'user' or 'assistant'")):
        with pytest.raises(McpError) as info:
            client.request("prompts/get", {"name": name})
        assert info.value.code == -32603 and text in info.value.message


def complete(client, ref, name, value, context=None):
    params = {"ref": ref, "argument": {"name": name, "value": value}}
    if context is not None:
        params["context"] = {"arguments": context}
    return client.request("completion/complete", params)["completion"]


def test_completions(client):
    assert client.server_capabilities.completions is not None
    prompt = {"type": "ref/prompt", "name": "greet"}
    assert complete(client, prompt, "name", "al") == {"values": ["alice", "albert"]}
    assert complete(client, prompt, "tone", "f") == {"values": ["formal", "friendly"]}  # from the Enum
    assert complete(client, prompt, "times", "") == {"values": []}
    assert complete(client, {"type": "ref/prompt", "name": "pick"}, "size", "sm") == {"values": ["small", "smaller"]}
    assert complete(client, {"type": "ref/prompt", "name": "dialogue"}, "topic", "t", {"x": "1"}) == {
        "values": ["t-1"], "total": 10, "hasMore": True}
    pages = complete(client, {"type": "ref/resource", "uri": "docs://{section}/{page}"}, "page", "")
    assert len(pages["values"]) == 100 and pages["total"] == 150 and pages["hasMore"] is True
    assert complete(client, {"type": "ref/resource", "uri": "docs://{section}/{page}"}, "section", "") == {
        "values": []}


@pytest.mark.parametrize("ref, name", [
    ({"type": "ref/prompt", "name": "nope"}, "x"),
    ({"type": "ref/prompt", "name": "greet"}, "nope"),
    ({"type": "ref/resource", "uri": "docs://{other}"}, "other"),
    ({"type": "ref/resource", "uri": "docs://{section}/{page}"}, "nope"),
    ({"type": "ref/tool", "name": "x"}, "x"),
])
def test_completion_of_unknown_things_is_invalid_params(client, ref, name):
    with pytest.raises(McpError) as info:
        client.request("completion/complete", {"ref": ref, "argument": {"name": name, "value": ""}})
    assert info.value.code == -32602


def test_completion_registration_errors():
    server = Server("bad")
    with pytest.raises(TypeError):
        server.completion(prompt="p")
    with pytest.raises(TypeError):
        server.completion(prompt="p", argument="a", template="t", variable="v")
    with pytest.raises(TypeError, match="takes"):
        server.add_completion(lambda: [], prompt="p", argument="a")
    assert "completions" not in server.capabilities()
    server.add_completion(lambda v: [], prompt="p", argument="a")
    assert server.capabilities()["completions"] == {}
    server.remove_completion(prompt="p", argument="a")
    assert "completions" not in server.capabilities()

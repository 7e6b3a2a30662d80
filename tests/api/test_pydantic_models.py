"""pydantic BaseModel parameters and results, with pydantic installed (it is not a dependency of the package)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pydantic = pytest.importorskip("pydantic", reason="the test extra installs pydantic")

from pydantic import BaseModel, Field  # noqa: E402

from mcp_sync import Client, Server  # noqa: E402
from mcp_sync.protocol.era import EraCache  # noqa: E402


class Address(BaseModel):
    city: str


class Person(BaseModel):
    """A person."""

    name: str = Field(description="full name")
    age: int = Field(ge=0)
    address: Address | None = None


class Greeting(BaseModel):
    text: str
    person: Person


def build() -> Server:
    server = Server("pydantic-demo")

    @server.tool()
    def greet(person: Person, times: int = 1) -> Greeting:
        """Greets a person."""
        assert isinstance(person, Person)
        assert person.address is None or isinstance(person.address, Address)
        return Greeting(text=" ".join([f"hi {person.name}"] * times), person=person)

    @server.tool()
    def people(names: list[str]) -> list[Person]:
        """Makes people."""
        return [Person(name=n, age=1) for n in names]

    return server


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_models_as_parameters_and_results(era):
    with Client.connect(build(), protocol=era, era_cache=EraCache()) as client:
        tools = {t.name: t for t in client.list_tools()}
        person_schema = tools["greet"].input_schema["properties"]["person"]
        assert person_schema["properties"]["age"]["minimum"] == 0
        assert person_schema["properties"]["name"]["description"] == "full name"
        assert tools["greet"].input_schema["required"] == ["person"]
        assert set(tools["greet"].output_schema["properties"]) == {"text", "person"}
        assert tools["people"].output_schema["properties"]["result"]["type"] == "array"

        result = client.call_tool("greet", {"person": {"name": "Ada", "age": 36, "address": {"city": "London"}},
                                            "times": 2})
        assert result.is_error is not True
        assert result.structured_content == {"text": "hi Ada hi Ada",
                                             "person": {"name": "Ada", "age": 36, "address": {"city": "London"}}}

        refused = client.call_tool("greet", {"person": {"name": "Ada", "age": -1}})
        assert refused.is_error and "person.age" in refused.content[0].text

        listed = client.call_tool("people", {"names": ["a", "b"]})
        assert listed.structured_content == {"result": [{"name": "a", "age": 1, "address": None},
                                                        {"name": "b", "age": 1, "address": None}]}


def test_pydantic_is_not_imported_by_the_package():
    code = "import mcp_sync, mcp_sync.server, mcp_sync.client, sys; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"

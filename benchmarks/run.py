"""Issue 10's benchmark: mcp_sync vs the official Python SDK vs the raw limit, side by side.

  python benchmarks/run.py            # full run (a few minutes)
  python benchmarks/run.py --quick    # tiny counts: checks the harness, not the numbers

Prints a table and every target ratio with PASS/MISS, and writes the results as
JSON (default benchmarks/results/latest.json). The official SDK (``mcp`` 2.3.0,
else the newest 2.x) runs from its own virtual environment,
benchmarks/.venv-official, created on first use; ``--skip-official`` leaves it
out. All servers listen on 127.0.0.1 only; every measurement is bounded in
count and time. ``--profile`` also profiles our stdio echo server (cProfile,
all threads) under sequential echo calls and under task create+result jobs,
and prints the top functions.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import loadgen  # noqa: E402

VENV = BENCH / ".venv-official"
OFFICIAL_PIN = "mcp==2.3.0"
OFFICIAL_FALLBACK = "mcp>=2,<3"
PY = sys.executable

#: The target lines, in the order printed. Each is (label, target text).
TARGETS: list[tuple[str, str]] = [
    ("stdio echo calls/s, ours / raw", ">= 0.35"),
    ("stdio echo calls/s, ours 16 in flight / sequential", ">= 1.00"),
    ("HTTP echo calls/s, ours / raw server", ">= 0.40"),
    ("spawn -> initialize time, ours / raw", "<= 5.0"),
    ("RSS after initialize, ours (MB)", "< 25"),
    ("import mcp_sync (ms over bare interpreter)", "< 100"),
    ("tasks create+complete+fetch over stdio (tasks/s)", ">= 5000"),
    ("RSS with 100,000 retained tasks (MB)", "< 150"),
    ("tasks/list page with 100,000 tasks (ms, p50)", "< 2"),
    ("echo p99 while reaping 100,000 tasks / normal p99", "<= 2.0"),
]
RATIO_LABELS = [label for label, _ in TARGETS]
#: Informational comparisons with the official SDK (no target).
VERSUS_OFFICIAL = [
    "stdio echo calls/s, ours / official",
    "HTTP echo calls/s, ours / official",
    "spawn -> initialize time, ours / official",
    "RSS after initialize, ours / official",
]

FULL = dict(calls=20_000, seconds=5.0, inflight=16, http_calls=5_000, http_seconds=5.0, rounds=2,
            spawn_runs=10, import_runs=10, tasks=100_000, tasks_seconds=90.0, pages=1000, warmup=200,
            sessions=[100, 1000])
QUICK = dict(calls=200, seconds=2.0, inflight=16, http_calls=50, http_seconds=2.0, rounds=1,
             spawn_runs=2, import_runs=2, tasks=300, tasks_seconds=10.0, pages=5, warmup=20, sessions=[20])


def compile_package() -> int:
    """Bring mcp_sync's ``__pycache__`` up to date; how many modules were stale.

    A checkout being edited (or an environment with PYTHONDONTWRITEBYTECODE set,
    which this machine has) leaves stale or no bytecode, and then every spawned
    server compiles those modules again: tens of milliseconds of start-up that an
    installed package (pip compiles at install) never pays. py_compile writes
    even when PYTHONDONTWRITEBYTECODE is set.
    """
    import importlib.util
    import py_compile

    stale = 0
    for source in sorted((BENCH.parent / "mcp_sync").rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        try:
            if cached.exists() and cached.stat().st_mtime >= source.stat().st_mtime:
                continue
            py_compile.compile(str(source), cfile=str(cached), doraise=True)
            stale += 1
        except (OSError, py_compile.PyCompileError):
            pass  # measured as it is
    return stale


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # each server finds its own packages (ours: from the checkout)
    return env


# -- the official SDK's environment -------------------------------------------------

def official_python(log: Callable[[str], None]) -> tuple[str | None, str]:
    """The venv's interpreter and the installed ``mcp`` version (creating the venv if needed)."""
    python = VENV / "bin" / "python"

    def installed() -> str | None:
        if not python.exists():
            return None
        probe = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('mcp'))"],
                               capture_output=True, text=True)
        return probe.stdout.strip() if probe.returncode == 0 else None

    version = installed()
    if version is None:
        log(f"creating {VENV} and installing {OFFICIAL_PIN} (one time)...")
        subprocess.run([PY, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if subprocess.run(pip + [OFFICIAL_PIN]).returncode != 0:
            log(f"{OFFICIAL_PIN} is not available; trying the newest 2.x ({OFFICIAL_FALLBACK})")
            subprocess.run(pip + [OFFICIAL_FALLBACK])
        version = installed()
    if version is None:
        return None, "unavailable (could not install the mcp package)"
    note = "" if version == OFFICIAL_PIN.split("==")[1] else f" (NOT the pinned {OFFICIAL_PIN})"
    return str(python), f"mcp {version}{note}"


# -- the servers ------------------------------------------------------------------------

def implementations(official: str | None, tasks: bool) -> dict[str, dict[str, Any]]:
    echo = str(BENCH / "echo_server.py")
    impls: dict[str, dict[str, Any]] = {
        "raw": {"stdio": [PY, str(BENCH / "raw_stdio_echo.py")],
                "http": lambda port: [PY, str(BENCH / "raw_http_echo.py"), str(port)]},
        "ours": {"stdio": [PY, echo, "stdio"],
                 "http": lambda port: [PY, echo, "http", str(port)]},
    }
    if official:
        script = str(BENCH / "official_echo_server.py")
        impls["official"] = {"stdio": [official, script, "stdio"],
                             "http": lambda port: [official, script, "http", str(port)]}
    impls["ours"]["tasks"] = [PY, echo, "stdio", "--tasks"] if tasks else None
    return impls


# -- measuring ------------------------------------------------------------------------------

def best(runs: list[dict], key: str = "calls_per_s") -> dict:
    return max(runs, key=lambda r: r[key])


def measure(cfg: dict, impls: dict, log: Callable[[str], None], skip_http: bool) -> dict[str, dict]:
    env = clean_env()
    results: dict[str, dict] = {name: {} for name in impls}
    seq: dict[str, list] = {name: [] for name in impls}
    pipe: dict[str, list] = {name: [] for name in impls}
    http: dict[str, list] = {name: [] for name in impls}
    for round_no in range(cfg["rounds"]):
        for name, impl in impls.items():  # the same metric for every implementation back to back
            log(f"round {round_no + 1}: stdio echo, {name}")
            out = loadgen.stdio_echo(impl["stdio"], calls=cfg["calls"], inflight=cfg["inflight"],
                                     max_seconds=cfg["seconds"], env=env, warmup=cfg["warmup"])
            results[name]["server_info"] = out["server_info"]
            seq[name].append(out["sequential"])
            pipe[name].append(out["pipelined"])
        if skip_http:
            continue
        for name, impl in impls.items():
            log(f"round {round_no + 1}: HTTP echo, {name}")
            port = loadgen.free_port()
            with loadgen.http_server(impl["http"](port), port, env=env):
                http[name].append(loadgen.http_echo(f"http://127.0.0.1:{port}/mcp", cfg["http_calls"],
                                                    cfg["http_seconds"], warmup=cfg["warmup"] // 4))
    for name, impl in impls.items():
        results[name]["stdio_sequential"] = best(seq[name])
        results[name]["stdio_pipelined"] = best(pipe[name])
        if http[name]:
            results[name]["http"] = best(http[name])
        log(f"spawn -> initialize, {name}")
        results[name]["spawn"] = loadgen.spawn_initialize(impl["stdio"], cfg["spawn_runs"], env=env)
    return results


def import_time(runs: int) -> dict[str, float] | None:
    """Run benchmarks/import_time.py and read its lines ``<case>  <ms> ms``."""
    script = BENCH / "import_time.py"
    if not script.exists():
        return None
    proc = subprocess.run([PY, str(script), "--runs", str(runs)], capture_output=True, text=True,
                          cwd=str(BENCH.parent), timeout=300)
    if proc.returncode != 0:
        return None
    cases = {}
    for line in proc.stdout.splitlines():
        match = re.match(r"^(.*?)\s+([\d.]+) ms", line)
        if match:
            cases[match.group(1).strip()] = float(match.group(2))
    return cases or None


#: Blocking primitives: in a profile of a server they are mostly threads waiting for work.
WAITS = ("'get' of '_queue.SimpleQueue'", "'acquire' of '_thread.lock'", "'readline' of '_io.",
         "'wait' of", "<built-in method time.sleep>", "<built-in method select.",
         "<built-in method posix.eventfd_read>", "<built-in method posix.read>")


def profile_ours(calls: int, top: int = 10, *, tasks: bool = False, inflight: int = 16) -> str:
    """cProfile our stdio echo server (all threads) under ``calls`` sequential echo calls.

    With ``tasks``: under ``calls`` task-augmented echo calls (create, then
    ``tasks/result``), ``inflight`` at a time, as the tasks throughput target
    measures them. Reports the time spent in blocking primitives (idle threads,
    handoffs) apart from the top ``top`` functions by own time among the rest.
    """
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "echo.pstats")
        argv = [PY, str(BENCH / "echo_server.py"), "stdio"] + (["--tasks"] if tasks else []) + ["--profile", out]
        with loadgen.StdioPeer(argv, env=clean_env()) as peer:
            peer.initialize()
            if tasks:
                load = loadgen.run_pipelined(peer, calls, inflight, 60.0,
                                             lambda i: loadgen.task_job(i, lambda: 3_600_000),
                                             mode="task create+result")
            else:
                load = loadgen.echo_sequential(peer, calls, 30.0, warmup=0)
        if not os.path.exists(out):
            return "profile: the server wrote no profile\n"
        stats = pstats.Stats(out).stats  # type: ignore[attr-defined]
    rows = [(tt, nc, f"{Path(file).name}:{line}({name})" if file != "~" else name)
            for (file, line, name), (_cc, nc, tt, _ct, _callers) in stats.items()]
    waits = [r for r in rows if any(w in r[2] for w in WAITS)]
    work = sorted((r for r in rows if r not in waits), reverse=True)
    total_work = sum(r[0] for r in work)
    n = load["calls"]
    what = f"{inflight} in flight task create+result jobs" if tasks else "sequential calls"
    lines = [f"{n:,} {what} at {load['calls_per_s']:,.0f}/s under the profiler; "
             f"own time outside blocking primitives {total_work:.2f} s = {total_work / n * 1e6:.0f} us/job",
             "blocking primitives (idle threads and thread handoffs), total seconds across threads: "
             + ", ".join(f"{name} {tt:.2f}" for tt, _nc, name in sorted(waits, reverse=True)[:4]),
             f"{'own s':>8s} {'us/job':>8s} {'calls':>9s}  function"]
    for tt, nc, name in work[:top]:
        lines.append(f"{tt:8.3f} {tt / n * 1e6:8.1f} {nc:9,d}  {name}")
    return "\n".join(lines) + "\n"


# -- judging and printing ---------------------------------------------------------------

def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _ratio(a: Any, b: Any) -> float | None:
    if a is None or b is None or not b or (isinstance(a, float) and math.isnan(a)):
        return None
    return a / b


def judge(results: dict, imports: dict | None, tasks: dict | None, cfg: dict) -> list[dict]:
    ours, raw, official = results.get("ours", {}), results.get("raw", {}), results.get("official", {})
    lines: list[dict] = []

    def add(label: str, value: float | None, ok: Callable[[float], bool] | None, note: str = "") -> None:
        target = dict(TARGETS).get(label, "")
        verdict = "N/A" if value is None or ok is None else ("PASS" if ok(value) else "MISS")
        lines.append({"label": label, "value": value, "target": target, "verdict": verdict, "note": note})

    cps = "calls_per_s"
    add(RATIO_LABELS[0], _ratio(_get(ours, "stdio_sequential", cps), _get(raw, "stdio_sequential", cps)),
        lambda v: v >= 0.35)
    add(RATIO_LABELS[1], _ratio(_get(ours, "stdio_pipelined", cps), _get(ours, "stdio_sequential", cps)),
        lambda v: v >= 1.0)
    http_note = "HTTP skipped"
    if _get(ours, "http"):
        http_note = (f"ours answered {_get(ours, 'http', 'response_mode')}, "
                     f"{_get(ours, 'http', 'connections')} new connections for {_get(ours, 'http', 'calls')} calls")
        if 38 <= _get(ours, "http", "p50_ms") <= 48:
            http_note += "; p50 ~40 ms is the Nagle + delayed-ACK signature (server socket lacks TCP_NODELAY?)"
    add(RATIO_LABELS[2], _ratio(_get(ours, "http", cps), _get(raw, "http", cps)), lambda v: v >= 0.4, http_note)
    add(RATIO_LABELS[3], _ratio(_get(ours, "spawn", "best_ms"), _get(raw, "spawn", "best_ms")), lambda v: v <= 5.0,
        "best of runs")
    add(RATIO_LABELS[4], _get(ours, "spawn", "rss_mb"), lambda v: v < 25)
    if imports and "import mcp_sync" in imports and "bare interpreter" in imports:
        add(RATIO_LABELS[5], imports["import mcp_sync"] - imports["bare interpreter"], lambda v: v < 100,
            f"{imports['import mcp_sync']:.1f} ms with interpreter start, "
            f"{imports['bare interpreter']:.1f} ms bare; a negative difference is noise")
    else:
        add(RATIO_LABELS[5], None, None, "benchmarks/import_time.py unavailable")
    if not tasks or not tasks.get("available"):
        reason = "not available yet: " + (tasks or {}).get("reason", "tasks not measured")
        for label in RATIO_LABELS[6:]:
            add(label, None, None, reason)
    else:
        n = tasks["tasks"]
        scale = "" if n == 100_000 else f"measured with {n:,} tasks, not 100,000"
        thr = tasks["throughput"]
        add(RATIO_LABELS[6], thr["calls_per_s"], lambda v: v >= 5000,
            f"{thr['calls']:,} tasks, {cfg['inflight']} in flight, {thr['errors']} errors")
        mem = tasks["memory"]
        add(RATIO_LABELS[7], mem["rss_for_requested_mb"], lambda v: v < 150,
            ("extrapolated from " if mem["extrapolated"] else "") + f"{mem['retained']:,} tasks; "
            f"{mem['rss_before_mb']:.1f} MB before" + (f"; {scale}" if scale else ""))
        page = tasks["list"]
        add(RATIO_LABELS[8], page["p50_ms"], lambda v: v < 2.0,
            f"round trip; p99 {page['p99_ms']:.2f} ms over {page['pages']} pages; echo p50 in the same "
            f"server {tasks['echo_with_table']['p50_ms']:.2f} ms" + (f"; {scale}" if scale else ""))
        reap = tasks["reaping"]
        add(RATIO_LABELS[9], reap["p99_ratio"], lambda v: v <= 2.0,
            f"p99 {reap['reaping_p99_ms']:.2f} ms ({reap['reaping_calls']} calls) vs "
            f"{reap['normal_p99_ms']:.2f} ms ({reap['normal_calls']} calls); table empty "
            f"{reap['table_empty_after_ms'] if reap['table_empty_after_ms'] is None else round(reap['table_empty_after_ms'])}"
            f" ms after expiry" + ("" if reap["expiry_aligned"] else "; expiries NOT aligned")
            + (f"; {scale}" if scale else ""))
    add(VERSUS_OFFICIAL[0], _ratio(_get(ours, "stdio_sequential", cps), _get(official, "stdio_sequential", cps)),
        None)
    add(VERSUS_OFFICIAL[1], _ratio(_get(ours, "http", cps), _get(official, "http", cps)), None)
    add(VERSUS_OFFICIAL[2], _ratio(_get(ours, "spawn", "best_ms"), _get(official, "spawn", "best_ms")), None)
    add(VERSUS_OFFICIAL[3], _ratio(_get(ours, "spawn", "rss_mb"), _get(official, "spawn", "rss_mb")), None)
    return lines


def _fmt(value: Any, spec: str = ",.0f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def report(results: dict, verdicts: list[dict], meta: dict) -> str:
    names = [n for n in ("ours", "official", "raw") if n in results]
    rows: list[tuple[str, Callable[[dict], str]]] = [
        ("stdio echo sequential, calls/s", lambda r: _fmt(_get(r, "stdio_sequential", "calls_per_s"))),
        ("  p50 / p99 ms", lambda r: f"{_fmt(_get(r, 'stdio_sequential', 'p50_ms'), '.3f')} / "
                                     f"{_fmt(_get(r, 'stdio_sequential', 'p99_ms'), '.3f')}"),
        (f"stdio echo {meta['inflight']} in flight, calls/s",
         lambda r: _fmt(_get(r, "stdio_pipelined", "calls_per_s"))),
        ("  p50 / p99 ms", lambda r: f"{_fmt(_get(r, 'stdio_pipelined', 'p50_ms'), '.3f')} / "
                                     f"{_fmt(_get(r, 'stdio_pipelined', 'p99_ms'), '.3f')}"),
        ("HTTP echo (1 client), calls/s", lambda r: _fmt(_get(r, "http", "calls_per_s"))),
        ("  p50 / p99 ms", lambda r: f"{_fmt(_get(r, 'http', 'p50_ms'), '.3f')} / "
                                     f"{_fmt(_get(r, 'http', 'p99_ms'), '.3f')}"),
        ("  response mode, new connections", lambda r: f"{_get(r, 'http', 'response_mode') or '-'}, "
                                                   f"{_fmt(_get(r, 'http', 'connections'))}"),
        ("spawn -> initialize, best / median ms", lambda r: f"{_fmt(_get(r, 'spawn', 'best_ms'), '.0f')} / "
                                                            f"{_fmt(_get(r, 'spawn', 'median_ms'), '.0f')}"),
        ("RSS after initialize, MB", lambda r: _fmt(_get(r, "spawn", "rss_mb"), ".1f")),
    ]
    out = [f"mcp_sync benchmark ({'QUICK: tiny counts, numbers are meaningless' if meta['quick'] else 'full'}) "
           f"{meta['when']}",
           f"python {meta['python']}, {meta['cpus']} CPUs, load average {meta['load_start']} at start, "
           f"{meta['load_end']} at end",
           f"official SDK: {meta['official']}; ours: {meta['ours']}",
           "",
           f"{'':40s}" + "".join(f"{n:>18s}" for n in names)]
    for title, cell in rows:
        out.append(f"{title:40s}" + "".join(f"{cell(results[n]):>18s}" for n in names))
    out += ["", f"{'target':52s} {'value':>10s}  {'goal':>8s}  verdict"]
    for v in verdicts:
        value = _fmt(v["value"], ",.2f") if v["value"] is not None and abs(v["value"]) < 1000 else _fmt(v["value"])
        out.append(f"{v['label']:52s} {value:>10s}  {v['target']:>8s}  {v['verdict']}"
                   + (f"  ({v['note']})" if v["note"] else ""))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts (for the smoke test)")
    parser.add_argument("--skip-official", action="store_true", help="leave the official SDK out")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-tasks", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also cProfile our stdio echo server")
    parser.add_argument("--skip-sessions", action="store_true",
                        help="leave out the legacy sessions figures (benchmarks/sessions.py)")
    parser.add_argument("--json", default=str(BENCH / "results" / "latest.json"), help="where to write results")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL

    def log(message: str) -> None:
        print(f"... {message}", file=sys.stderr, flush=True)

    stale = compile_package()
    if stale:
        log(f"compiled {stale} stale bytecode files of mcp_sync (servers start as an installed package does)")
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    official, official_note = (None, "skipped") if args.skip_official else official_python(log)
    impls = implementations(official, tasks=not args.skip_tasks)
    results = measure(cfg, impls, log, args.skip_http)
    log("import time")
    imports = import_time(cfg["import_runs"])
    tasks = None
    if impls["ours"]["tasks"]:
        log(f"tasks ({cfg['tasks']:,})")
        tasks = loadgen.tasks_bench(impls["ours"]["tasks"], cfg["tasks"], inflight=cfg["inflight"],
                                    max_seconds=cfg["tasks_seconds"], pages=cfg["pages"], env=clean_env())
    profile = None
    if args.profile:
        profile = ("our stdio echo server, sequential echo:\n" + profile_ours(cfg["calls"]))
        if impls["ours"]["tasks"]:
            profile += ("\nour stdio echo server --tasks, task create+result:\n"
                        + profile_ours(min(cfg["tasks"], 10_000), tasks=True, inflight=cfg["inflight"]))
    sessions_summary = None
    if not args.skip_sessions:
        import sessions  # beside this file: sessions/s, threads and RSS with N idle sessions and GET streams

        counts = cfg.get("sessions", [100, 1000])
        log(f"legacy sessions ({', '.join(f'{c:,}' for c in counts)})")
        sessions_summary = sessions.run(counts)
    info = results["ours"].get("server_info") or {}
    meta = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick, "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_start": load_start, "load_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "official": official_note, "inflight": cfg["inflight"],
        "ours": f"serverInfo {info.get('name', '?')} {info.get('version', '?')}",
    }
    verdicts = judge(results, imports, tasks, cfg)
    print(report(results, verdicts, meta))
    if sessions_summary is not None:
        print("\nLegacy HTTP sessions on the built-in server (benchmarks/sessions.py): opened per second, and the "
              "server's threads and RSS once idle and with a GET stream each:\n" + sessions.table(sessions_summary))
    if profile:
        print("\ncProfile of all threads, top by own time (wall time: includes waiting for the GIL):\n"
              + profile)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "config": cfg, "results": results, "import_time": imports,
                               "tasks": tasks, "verdicts": verdicts, "profile": profile,
                               "sessions": sessions_summary},
                              indent=2, default=str))
    print(f"\nresults written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

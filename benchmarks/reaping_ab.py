"""Reaping only, A/B (not a test): python benchmarks/reaping_ab.py [--tasks N] [--runs R] [CHECKOUT[:K=V,...] ...]

For each checkout (default: this one), in turn and ``--runs`` times, starts
``benchmarks/echo_server.py stdio --tasks`` of that checkout and runs the reaping
part of ``loadgen.py tasks`` (create N tasks whose TTLs all end at one instant,
time sequential echo calls before and during their expiry). Alternating the
checkouts run by run keeps machine-load drift out of the comparison. Prints each
run and the medians of the p99 ratio (during reaping / normal) per checkout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from loadgen import StdioPeer, _reaping  # noqa: E402
from run import clean_env  # noqa: E402


_PATCHED = """
import runpy, sys
sys.path.insert(0, {root!r})
import mcp_sync.tasks.memory as m
for name, value in {consts!r}.items():
    if name == "reap_batch":
        m.InMemoryTaskStore.__init__.__kwdefaults__["reap_batch"] = int(value)
    else:
        setattr(m, name, float(value))
sys.argv = [{server!r}, "stdio", "--tasks"]
runpy.run_path({server!r}, run_name="__main__")
"""


def server_argv(variant: str) -> list[str]:
    """``CHECKOUT`` or ``CHECKOUT:NAME=VALUE,...`` (memory.py constants, or reap_batch, patched in)."""
    root, _, patches = variant.partition(":")
    server = str(Path(root) / "benchmarks" / "echo_server.py")
    if not patches:
        return [sys.executable, server, "stdio", "--tasks"]
    consts = dict(item.split("=", 1) for item in patches.split(","))
    return [sys.executable, "-c", _PATCHED.format(root=root, consts=consts, server=server)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", default=[str(BENCH.parent)])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=6_500.0, help="expected tasks/s (sets the expiry instant)")
    args = parser.parse_args()
    results: dict[str, list[dict]] = {c: [] for c in args.checkouts}
    for run in range(args.runs):
        for checkout in args.checkouts:
            argv = server_argv(checkout)
            with StdioPeer(argv, env=clean_env()) as peer:
                with peer.watchdog(60):
                    peer.initialize()
                with peer.watchdog(400):
                    r = _reaping(peer, args.tasks, 16, 90.0, args.rate)
            results[checkout].append(r)
            print(f"run {run + 1} {checkout}: ratio {r['p99_ratio']:.2f} (p99 {r['reaping_p99_ms']:.3f} ms, "
                  f"{r['reaping_calls']} calls / normal {r['normal_p99_ms']:.3f} ms, {r['normal_calls']} calls; "
                  f"max {r['reaping_max_ms']:.2f} ms; empty after {r['table_empty_after_ms']} ms; "
                  f"aligned {r['expiry_aligned']}, errors {r['create_errors']})", flush=True)
    for checkout, rs in results.items():
        print(f"median {checkout}: ratio {statistics.median(r['p99_ratio'] for r in rs):.2f}, "
              f"p99 during {statistics.median(r['reaping_p99_ms'] for r in rs):.3f} ms, "
              f"normal {statistics.median(r['normal_p99_ms'] for r in rs):.3f} ms, "
              f"empty after {statistics.median(r['table_empty_after_ms'] or 0 for r in rs):.0f} ms")


if __name__ == "__main__":
    main()

"""How much `import mcp_sync` (and first use of Client/Server) costs over a bare interpreter.

Run: python benchmarks/import_time.py [--runs N]
Prints the best of N fresh-interpreter runs for each case, in milliseconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

CASES = {
    "bare interpreter": "pass",
    "import mcp_sync": "import mcp_sync",
    "import mcp_sync + Client + Server": "import mcp_sync; mcp_sync.Client; mcp_sync.Server",
}


def best_of(code: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = {name: best_of(code, args.runs) for name, code in CASES.items()}
    bare = results["bare interpreter"]
    for name, ms in results.items():
        extra = "" if name == "bare interpreter" else f"  (+{ms - bare:.1f} ms over bare)"
        print(f"{name:40s} {ms:7.1f} ms{extra}")


if __name__ == "__main__":
    main()

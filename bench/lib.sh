# shellcheck shell=bash
# Shared by bench/run, bench/ingest, bench/packaging, bench/resolution and bench/report.
#
# bench_setup: uv (from PyPI with pip when missing), the locked dependencies, wrk (Debian, as root).
# bench_services DBS...: for "postgres", a throwaway PostgreSQL 15 (scripts/pg-start, on a free port,
# in a temp dir) and, when it can be had, Redis as its broker (scripts/redis-start); both are stopped
# on exit (scripts/pg-stop, scripts/redis-stop: by pid).
# bench_part PART DB [--quick]: one benchmark on one database, in its own process.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$BENCH_ROOT"
# shellcheck source=scripts/common.sh
source scripts/common.sh
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

BENCH_WORK=""
BENCH_FAILED=()

_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_apt_install() { # package: install a Debian package as root, quietly; false when it cannot
    [[ $(id -u) -eq 0 ]] || return 1
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "$1" >/dev/null 2>&1 && return 0
    apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$1" >/dev/null 2>&1
}

bench_setup() {
    ensure_uv
    log "uv sync --frozen"
    uv sync --frozen --quiet
    if ! command -v wrk >/dev/null 2>&1 && [[ ${BENCH_LOADGEN:-} != python ]]; then
        log "Installing wrk (apt-get)"
        _apt_install wrk || log "wrk is not available: the Python load generator is used (it costs more CPU)"
    fi
}

bench_cleanup() {
    if [[ -n $BENCH_WORK ]]; then
        scripts/redis-stop "$BENCH_WORK/redis" 2>/dev/null || true
        scripts/pg-stop "$BENCH_WORK/pg" 2>/dev/null || true
        rm -rf "$BENCH_WORK"
    fi
}

bench_services() { # the databases to run on: starts PostgreSQL (and Redis) when "postgres" is among them
    [[ " $* " == *" postgres "* ]] || return 0
    if [[ -n ${BENCH_PG_URL:-} ]]; then
        log "PostgreSQL from BENCH_PG_URL; broker: ${BENCH_PG_BROKER_URL:-embedded SQLite}"
        return 0
    fi
    BENCH_WORK=$(mktemp -d /tmp/oms-bench.XXXXXX)
    chmod 755 "$BENCH_WORK" # the postgres user must reach its data directory inside
    trap bench_cleanup EXIT
    local port
    port=$(_free_port)
    log "PostgreSQL 15 on 127.0.0.1:$port (scripts/pg-start, durability off, in $BENCH_WORK/pg)"
    BENCH_PG_URL=$(scripts/pg-start "$BENCH_WORK/pg" "$port")
    # The servers' CPU is the benchmark's own, not "other load" (bench/harness.py reads these).
    BENCH_SERVICE_PIDFILES="$BENCH_WORK/pg/postmaster.pid"
    export BENCH_PG_URL BENCH_SERVICE_PIDFILES
    if [[ ${BENCH_PG_BROKER:-redis} == redis ]]; then
        command -v redis-server >/dev/null 2>&1 || { log "Installing redis-server (apt-get)"; _apt_install redis-server || true; }
        if command -v redis-server >/dev/null 2>&1; then
            port=$(_free_port)
            BENCH_PG_BROKER_URL=$(scripts/redis-start "$BENCH_WORK/redis" "$port")
            BENCH_SERVICE_PIDFILES+=":$BENCH_WORK/redis/redis.pid"
            export BENCH_PG_BROKER_URL BENCH_SERVICE_PIDFILES
            log "Redis on 127.0.0.1:$port: the broker of the PostgreSQL runs"
        else
            log "redis-server is not available: the PostgreSQL runs use the embedded SQLite broker"
        fi
    fi
}

bench_part() { # part db [--quick]
    local part=$1 db=$2
    shift 2
    log "bench/$part on $db"
    if ! uv run --frozen --no-sync python -m "bench.$part" --db "$db" "$@"; then
        BENCH_FAILED+=("$part on $db")
        log "bench/$part on $db FAILED"
    fi
}

bench_databases() { # from the arguments: sqlite, postgres or both (default); sets DATABASES and ARGS
    DATABASES=()
    ARGS=()
    local arg
    for arg in "$@"; do
        case $arg in
        sqlite | postgres) DATABASES+=("$arg") ;;
        both) DATABASES+=(sqlite postgres) ;;
        -h | --help)
            echo "usage: $0 [sqlite|postgres|both] [--quick] [benchmark options]" >&2
            exit 0
            ;;
        *) ARGS+=("$arg") ;;
        esac
    done
    ((${#DATABASES[@]})) || DATABASES=(sqlite postgres)
}

bench_finish() {
    if ((${#BENCH_FAILED[@]})); then
        log "Failed: ${BENCH_FAILED[*]}"
        return 1
    fi
}

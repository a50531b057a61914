#!/bin/sh
# The image's entrypoint. Commands:
#   api      (default) migrate, then serve the HTTP API on 0.0.0.0:${PORT:-8000} with ${LEERPAD_WORKERS:-2} workers
#   worker   migrate, then run queued jobs (`leerpad worker`) until stopped; with
#            LEERPAD_WORKER_METRICS_PORT set, its metrics are served on that port on all addresses
#   migrate  migrate the database, then exit
#   demo     migrate, then load the bundled demo company into the tenant `demo`
#   anything else is run as given, e.g. `leerpad keys create --tenant acme --role admin`
# Words after api or worker are passed on to `leerpad serve` or `leerpad worker`.
# With a PostgreSQL LEERPAD_DATABASE_URL, migrating waits for the database to answer first, for up to
# LEERPAD_DB_WAIT_SECONDS (default 60).
set -eu

# Until a server takes over (exec), a stop signal ends the entrypoint after the step it is in (a
# database probe, `leerpad db upgrade`), also as PID 1, where an untrapped TERM would be ignored.
trap 'echo "leerpad-entrypoint: stopped" >&2; exit 143' TERM
trap 'echo "leerpad-entrypoint: interrupted" >&2; exit 130' INT

say() {
    echo "leerpad-entrypoint: $*" >&2
}

# One look at the PostgreSQL database named by LEERPAD_DATABASE_URL, in Python (the URL may hold a
# password: it is read from the environment and never printed).
#   db_probe describe    prints "PostgreSQL at HOST:PORT (database D, user U)"
#   db_probe try SECONDS connects once (giving up after SECONDS); on failure prints why and exits 1
db_probe() {
    python - "$@" <<'PY'
import os
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

try:
    url = make_url(os.environ["LEERPAD_DATABASE_URL"])
except ArgumentError:
    print("LEERPAD_DATABASE_URL is not a database URL")
    sys.exit(2)
if url.drivername == "postgresql":
    url = url.set(drivername="postgresql+psycopg")  # as models.db.make_engine does
if sys.argv[1] == "describe":
    host = url.host or str(url.query.get("host") or "localhost")
    print(f"PostgreSQL at {host}:{url.port or 5432} (database {url.database}, user {url.username})")
    sys.exit(0)
engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": int(sys.argv[2])})
try:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
except Exception as exc:  # whatever stops a connection, say why in one line
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    print(reason.replace(url.password, "***") if url.password else reason)
    sys.exit(1)
finally:
    engine.dispose()
PY
}

wait_for_database() {
    case "${LEERPAD_DATABASE_URL:-}" in
        postgresql*) ;;
        *) return 0 ;;
    esac
    seconds="${LEERPAD_DB_WAIT_SECONDS:-60}"
    case "$seconds" in
        '' | *[!0-9]*)
            say "LEERPAD_DB_WAIT_SECONDS must be a whole number of seconds, got '$seconds'"
            exit 2
            ;;
    esac
    if ! where="$(db_probe describe)"; then
        say "$where"
        exit 2
    fi
    say "waiting up to $seconds s for $where"
    start="$(date +%s)"
    while :; do
        elapsed=$(($(date +%s) - start))
        timeout=$((seconds - elapsed))
        if [ "$timeout" -gt 5 ]; then
            timeout=5
        elif [ "$timeout" -lt 2 ]; then
            timeout=2 # libpq's shortest
        fi
        if reason="$(db_probe try "$timeout" 2>&1)"; then
            say "$where answers"
            return 0
        fi
        elapsed=$(($(date +%s) - start))
        if [ $((elapsed + 1)) -ge "$seconds" ]; then
            say "gave up waiting for $where after $elapsed s (LEERPAD_DB_WAIT_SECONDS=$seconds): $reason"
            exit 1
        fi
        sleep 1
    done
}

migrate() {
    wait_for_database
    leerpad db upgrade
}

command="${1:-api}"
if [ "$#" -gt 0 ]; then
    shift
fi

case "$command" in
    api)
        migrate
        exec leerpad serve --host 0.0.0.0 --port "${PORT:-8000}" --workers "${LEERPAD_WORKERS:-2}" "$@"
        ;;
    worker)
        migrate
        exec leerpad worker --metrics-host 0.0.0.0 "$@"
        ;;
    migrate)
        migrate
        ;;
    demo)
        migrate
        exec leerpad demo --tenant demo
        ;;
    *)
        exec "$command" "$@"
        ;;
esac

#!/usr/bin/env bash
# Sourced by .ci/run: a throw-away PostgreSQL server on 127.0.0.1 for the tests of
# distributed Optuna studies (tests/test_optuna_storage.py), stopped and removed when
# the CI run exits. Installs Debian's postgresql when missing (CI runs as root) and the
# carin[postgres] extra into the active virtual environment. Exports
# CARIN_TEST_POSTGRES_URL (password included; the tests check it is never printed).
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >/dev/null
fi
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PG_PORT="${CARIN_PG_PORT:-55439}"
PG_DATA="$(mktemp -d /tmp/carin-pg.XXXXXX)"
PG_PASSWORD="carin-ci-$RANDOM$RANDOM"
chown postgres "$PG_DATA"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA/data" -U postgres \
  --auth-local=trust --auth-host=scram-sha-256 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA -c max_connections=200" >/dev/null
carin_pg_stop() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m fast -w stop >/dev/null || true
  rm -rf "$PG_DATA"
}
trap carin_pg_stop EXIT
runuser -u postgres -- "$PG_BIN/psql" -q -h "$PG_DATA" -p "$PG_PORT" -U postgres \
  -c "CREATE ROLE carin LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" \
  -c "CREATE DATABASE carin_test OWNER carin" >/dev/null
export CARIN_TEST_POSTGRES_URL="postgresql://carin:$PG_PASSWORD@127.0.0.1:$PG_PORT/carin_test"
pip install --quiet -e ".[postgres]"

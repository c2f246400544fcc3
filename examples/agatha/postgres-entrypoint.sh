#!/bin/sh
# PostgreSQL's first start, as the official image's docker-entrypoint.sh does it: when PGDATA holds
# no cluster, initdb one with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, let the network in
# with a password (scram-sha-256), then run the server. Runs as the postgres user (the image's User).
# Only dash's builtins and PostgreSQL's own programs are used: the image has no coreutils.
set -e
bin=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

fail() {
  echo "postgres-entrypoint: $*" >&2
  exit 1
}

# `run IMAGE -c work_mem=8MB` passes options to postgres, as with the official image.
if [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  [ -n "$POSTGRES_PASSWORD" ] || fail "set POSTGRES_PASSWORD (the password of $user for connections over the network)."
  case "$user$db" in
    *[!A-Za-z0-9_]*) fail "POSTGRES_USER and POSTGRES_DB may hold only letters, digits and _ (got \"$user\", \"$db\")." ;;
  esac
  # initdb makes PGDATA when it is missing; a volume mounted there must be the postgres user's.
  [ ! -d "$PGDATA" ] || [ -w "$PGDATA" ] || fail "$PGDATA is not writable by the postgres user (uid 999): give the volume to it (podman: -v VOLUME:$PGDATA:U)."

  echo "postgres-entrypoint: initialising $PGDATA (user $user, database $db)"
  # The password goes through a pipe, never a file.
  "$bin/initdb" --username="$user" --pwfile=/dev/stdin --encoding=UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null <<PASSWORD
$POSTGRES_PASSWORD
PASSWORD
  printf '%s\n' "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # The socket goes to /tmp: /var/run/postgresql does not exist, and only root could make it.
  printf '%s\n' "listen_addresses = '*'" "unix_socket_directories = '/tmp'" >> "$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres-entrypoint: done; starting the server"
fi

if [ "$1" = postgres ]; then
  shift
  exec "$bin/postgres" -D "$PGDATA" "$@"
fi
exec "$@"

#!/usr/bin/env bash
# Installs PostgreSQL from Debian where it is missing, starts the cluster and creates the test role and
# database the registry's PostgreSQL tests use. Idempotent: run it as often as you like (root only).
#   role ledgerhouse (password ledgerhouse, CREATEDB: each pytest worker makes its own database)
#   database test, on 127.0.0.1:5432
# Prints the URL to export as LEDGERHOUSE_TEST_POSTGRES_URL on its last line.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ ! -d "/etc/postgresql/$version/main" ]; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  pg_ctlcluster "$version" main start
fi

psql_postgres() { su postgres -c "psql -v ON_ERROR_STOP=1 -qAt $*"; }
for _ in $(seq 1 30); do
  psql_postgres "-c 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(psql_postgres "-c \"select 1 from pg_roles where rolname = 'ledgerhouse'\"")" != "1" ]; then
  psql_postgres "-c \"create role ledgerhouse login createdb password 'ledgerhouse'\""
fi
if [ "$(psql_postgres "-c \"select 1 from pg_database where datname = 'test'\"")" != "1" ]; then
  psql_postgres "-c 'create database test owner ledgerhouse'"
fi
echo "postgresql+psycopg://ledgerhouse:ledgerhouse@127.0.0.1:5432/test"

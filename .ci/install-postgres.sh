#!/usr/bin/env bash
# CI: make sure PostgreSQL server binaries exist, so the PostgreSQL connector test and the second-adapter lane
# (dbt on PostgreSQL) run instead of skipping. The tests start (and stop) their own throwaway server on 127.0.0.1;
# this script only installs the binaries.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || command -v initdb > /dev/null; then
  echo "postgresql: binaries present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "postgresql: not installed and not root; the PostgreSQL tests will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql > /dev/null
echo "postgresql: installed $(ls /usr/lib/postgresql)"

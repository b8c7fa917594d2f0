#!/usr/bin/env bash
# CI: make sure a Java runtime exists, so the Spark lane (dbt-spark's session method on a local PySpark,
# tests/adapters/test_spark_lane.py) runs instead of skipping. PySpark itself comes from requirements.lock.
set -euo pipefail
if command -v java > /dev/null; then
  echo "java: present ($(java -version 2>&1 | head -1))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "java: not installed and not root; the Spark lane will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq openjdk-17-jre-headless > /dev/null
echo "java: installed ($(java -version 2>&1 | head -1))"

#!/usr/bin/env bash
# Make sure the PostgreSQL the tests use answers; start the machine's cluster if it is down.
set -u
url="${REGISTRY_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
if pg_isready -q -d "$url" 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | head -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -d "$url" 2>/dev/null && exit 0; sleep 1; done
fi
if [ -n "${CI:-}" ]; then
  echo "PostgreSQL at $url is not reachable; CI requires it" >&2
  exit 1
fi
echo "warning: PostgreSQL at $url is not reachable; PostgreSQL suites will be skipped" >&2
exit 0

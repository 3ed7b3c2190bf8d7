#!/usr/bin/env bash
# The no-flake proof (docs/testing.md): `make test` RUNS times in a row while stress-ng keeps
# both cores busy, then one run in random order (pytest-randomly). Any red run fails the proof.
set -u
runs="${RUNS:-5}"
log_dir="${PROOF_LOG_DIR:-tests/_artifacts/proof}"
mkdir -p "$log_dir"
if ! command -v stress-ng >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng
fi
# Load for the whole proof; killed on any exit.
stress-ng --cpu "$(nproc)" --cpu-load 90 --timeout 6h --quiet &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null; wait "$stress_pid" 2>/dev/null' EXIT
status=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if make test >"$log_dir/run-$i.log" 2>&1; then result=green; else result=RED; status=1; fi
  echo "loaded run $i/$runs: $result in $(( $(date +%s) - start )) s; $(grep -E '[0-9]+ passed' "$log_dir/run-$i.log" | tail -n 1)"
done
start=$(date +%s)
seed="${SEED:-$RANDOM}"
# -o addopts drops the default "-p no:randomly"; the order is shuffled per module and class.
if .venv/bin/python -m pytest -q -p no:cacheprovider -o addopts="--strict-markers -ra" \
    -p randomly --randomly-seed="$seed" tests >"$log_dir/random.log" 2>&1; then result=green; else result=RED; status=1; fi
echo "random order (seed $seed): $result in $(( $(date +%s) - start )) s; $(grep -E '[0-9]+ passed' "$log_dir/random.log" | tail -n 1)"
exit "$status"

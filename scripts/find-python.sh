#!/usr/bin/env bash
# Print the path of a Python >= 3.11.8 (the first release whose zipfile refuses overlapping
# entries, gh-109858): $PYTHON if set, else the newest of python3.13/3.12/3.11/python3 on PATH
# and of pyenv's installed versions. Exits 1 with a message when there is none.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 8) else 1)' 2>/dev/null; }
if [ -n "${PYTHON:-}" ]; then
  if ok "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not Python >= 3.11.8" >&2; exit 1
fi
candidates=()
for name in python3.13 python3.12 python3.11 python3; do
  path=$(command -v "$name" 2>/dev/null) && candidates+=("$path")
done
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for dir in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -rV); do
  [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
done
best="" best_version=""
for path in "${candidates[@]}"; do
  ok "$path" || continue
  version=$("$path" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best_version" "$version" | sort -V | tail -n 1)" = "$version" ] && [ "$version" != "$best_version" ]; then
    best=$path best_version=$version
  fi
done
if [ -z "$best" ]; then
  echo "no Python >= 3.11.8 found (set PYTHON=/path/to/python3)" >&2
  exit 1
fi
echo "$best"

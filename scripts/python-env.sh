#!/usr/bin/env bash
# Keeps .venv in step with requirements-dev.txt (or the requirements file given as the argument, e.g.
# bench/requirements.txt for the benchmarks' Python peers). The slow part (pip) runs only when the file's
# content changed since its last successful install, so `npm test` pays for it once per change, not every run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv=".venv"
requirements="${1:-requirements-dev.txt}"
stamp="$venv/.$(echo "${requirements%.txt}" | tr '/' '-').sha256"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python-env: python3 not found. Install Python 3.10+ (e.g. 'apt-get install python3 python3-venv') and rerun 'bash scripts/python-env.sh'." >&2
  exit 1
fi

hash_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

up_to_date() {
  [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$(hash_of "$requirements")" ]]
}

if up_to_date; then
  echo "python-env: $venv up to date"
  exit 0
fi

# Two test runs starting together must not both build the venv: the second waits, then finds it done.
# The lock is on this script itself so no lock file is left lying around. Without flock (macOS) we go on unlocked.
if command -v flock >/dev/null 2>&1; then
  exec 9<"${BASH_SOURCE[0]}"
  flock 9
  if up_to_date; then
    echo "python-env: $venv up to date (built by a concurrent run)"
    exit 0
  fi
fi

action="updated"
if [[ ! -x "$venv/bin/python" ]]; then
  # A half-made venv (interrupted creation) is not worth repairing.
  rm -rf "$venv"
  if ! python3 -m venv "$venv"; then
    echo "python-env: 'python3 -m venv' failed; on Debian/Ubuntu install python3-venv." >&2
    exit 1
  fi
  action="created"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >"$log" 2>&1; then
  cat "$log" >&2
  echo "python-env: pip install -r $requirements failed (output above)" >&2
  exit 1
fi
# Written last so an interrupted install is retried on the next run.
hash_of "$requirements" >"$stamp"
echo "python-env: $venv $action from $requirements ($("$venv/bin/python" --version 2>&1))"

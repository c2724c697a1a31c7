#!/usr/bin/env bash
# Keeps the test venvs in step with their requirements files. Without arguments: .venv from requirements-dev.txt
# and .venv-checkov from requirements-checkov.txt. With arguments: the requirements file given (e.g.
# bench/requirements.txt for the benchmarks' Python peers) into the venv given second (default .venv).
# The slow part (pip) runs only when a file's content changed since its last successful install, so `npm test`
# pays for it once per change, not every run.
#
# checkov has a venv of its own: it pins boto3==1.35.49 and packaging<24, while pytest 9 needs packaging>=24 and
# moto is tested against a current boto3, so the two cannot share one resolution.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python-env: python3 not found. Install Python 3.10+ (e.g. 'apt-get install python3 python3-venv') and rerun 'bash scripts/python-env.sh'." >&2
  exit 1
fi

hash_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# sync_venv <venv> <requirements>
sync_venv() {
  local venv="$1" requirements="$2"
  local stamp="$venv/.$(echo "${requirements%.txt}" | tr '/' '-').sha256"
  up_to_date() {
    [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$(hash_of "$requirements")" ]]
  }

  if up_to_date; then
    echo "python-env: $venv up to date"
    return 0
  fi

  # Two test runs starting together must not both build the venv: the second waits, then finds it done.
  # The lock is on this script itself so no lock file is left lying around. Without flock (macOS) we go on unlocked.
  if command -v flock >/dev/null 2>&1; then
    exec 9<"${BASH_SOURCE[0]}"
    flock 9
    if up_to_date; then
      echo "python-env: $venv up to date (built by a concurrent run)"
      exec 9<&-
      return 0
    fi
  fi

  local action="updated"
  if [[ ! -x "$venv/bin/python" ]]; then
    # A half-made venv (interrupted creation) is not worth repairing.
    rm -rf "$venv"
    if ! python3 -m venv "$venv"; then
      echo "python-env: 'python3 -m venv' failed; on Debian/Ubuntu install python3-venv." >&2
      exit 1
    fi
    action="created"
  fi

  local log
  log="$(mktemp)"
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "python-env: pip install -r $requirements failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
  # Written last so an interrupted install is retried on the next run.
  hash_of "$requirements" >"$stamp"
  echo "python-env: $venv $action from $requirements ($("$venv/bin/python" --version 2>&1))"
  if command -v flock >/dev/null 2>&1; then exec 9<&-; fi
}

if [[ $# -gt 0 ]]; then
  sync_venv "${2:-.venv}" "$1"
else
  sync_venv .venv requirements-dev.txt
  sync_venv .venv-checkov requirements-checkov.txt
fi

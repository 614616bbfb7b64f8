#!/usr/bin/env bash
# Lets `npm start` and `npm test` work straight from a fresh clone: installs the locked dependencies
# (npm ci) when node_modules is missing or older than package-lock.json, and does nothing otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "installing dependencies (npm ci) ..."
  npm ci --no-audit --no-fund
fi

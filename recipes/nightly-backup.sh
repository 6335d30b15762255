#!/usr/bin/env bash
# Nightly backup of the ninerouter database, keeping the newest KEEP copies (default 14).
# Safe while the server runs: `ninerouter backup` uses the SQLite backup API. The new copy is then
# checked on its own (integrity, schema, JSON columns) like a restore candidate would be.
#
#   usage:   nightly-backup.sh [KEEP]
#   cron:    15 3 * * *  /path/to/recipes/nightly-backup.sh 14 >>"$HOME/.ninerouter/logs/backup.log" 2>&1
#   env:     NINEROUTER (the command, default: ninerouter), NINEROUTER_DATA_DIR (the home)
#   prints:  the path of the new backup on stdout
#   exit:    0 ok; 3 the new copy failed its check (kept, for inspection); anything else: error
set -euo pipefail

keep="${1:-14}"
nr="${NINEROUTER:-ninerouter}"

json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

made="$($nr backup --keep "$keep" --json)"
path="$(printf '%s' "$made" | json_field path)"
size="$(printf '%s' "$made" | json_field bytes)"

# db check exits 3 for configuration findings too (a combo without an account, ...); those do not
# make the copy bad, so only the structural findings count here.
check="$($nr db check --file "$path" --json || true)"
broken="$(printf '%s' "$check" | python3 -c '
import json, sys
structural = {"not-sqlite", "unreadable", "truncated", "integrity", "missing-table",
              "missing-column", "newer-schema", "bad-json", "foreign-key"}
print(" ".join(p["code"] for p in json.load(sys.stdin)["problems"] if p["code"] in structural))
')"
if [ -n "$broken" ]; then
    echo "nightly-backup: $path failed its check ($broken); run: $nr db check --file $path" >&2
    exit 3
fi

echo "nightly-backup: $path ($size bytes); keeping the newest $keep" >&2
printf '%s\n' "$path"

#!/usr/bin/env bash
# Import a 9Router home with a way back: back up, import, check; when the import fails or leaves
# problems that were not there before (db check), restore the backup and exit 3.
#
#   usage:   restore-after-bad-import.sh [9ROUTER_HOME]      (default: ~/.9router)
#   env:     NINEROUTER (the command, default: ninerouter), NINEROUTER_DATA_DIR (the home)
#   exit:    0 imported and clean; 3 rolled back to the backup; anything else: error
#
# The import itself is one transaction, so a crash half-way leaves nothing behind; this covers
# an import that succeeds but brings in a configuration you do not want.
set -euo pipefail

source_home="${1:-$HOME/.9router}"
nr="${NINEROUTER:-ninerouter}"

json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
problems() { $nr db check --json | python3 -c '
import json, sys
print("\n".join(sorted(p["code"] + " " + p["message"] for p in json.load(sys.stdin)["problems"])))
' || true; }

$nr db migrate --json >/dev/null              # creates the database on a fresh home
backup="$($nr backup --json | json_field path)"
echo "restore-after-bad-import: backed up to $backup" >&2
before="$(problems)"

status=0
report="$($nr import 9router "$source_home" --json)" || status=$?
if [ "$status" -eq 0 ]; then
    after="$(problems)"
    new="$(BEFORE="$before" python3 -c '
import os, sys
seen = set(os.environ["BEFORE"].splitlines())
print("\n".join(line for line in sys.stdin.read().splitlines() if line and line not in seen))
' <<<"$after")"
    if [ -n "$new" ]; then
        printf 'restore-after-bad-import: the import left new problems:\n%s\n' "$new" >&2
        status=3
    fi
fi

if [ "$status" -ne 0 ]; then
    echo "restore-after-bad-import: rolling back to $backup" >&2
    $nr restore "$backup" --yes --json >/dev/null
    exit 3
fi

imported="$(printf '%s' "$report" | json_field imported)"
echo "restore-after-bad-import: imported $source_home: $imported" >&2

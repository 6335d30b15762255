#!/usr/bin/env bash
# Real clients through ninerouter, offline, against local fake upstreams of the other format.
#
#   Claude Code (claude -p, Anthropic Messages)  → ninerouter → fake OpenAI chat upstream  (tool round trip)
#   Claude Code (claude -p)                      → ninerouter → fake Anthropic upstream    (passthrough)
#   Codex (codex exec, OpenAI Responses)         → ninerouter → fake Anthropic upstream    (tool round trip)
#   Codex (codex exec)                           → ninerouter → fake OpenAI chat upstream
#
# The fake model (tests/fakes/anthropic_upstream.py, model names containing "tools") first asks the
# client to run `ls` with its own shell tool (Claude Code: Bash, Codex: exec_command); when the
# tool's result comes back it answers whether the marker file was in the listing. Each check passes
# only if the client printed that answer, so the tool call, its arguments, the client's execution
# and the tool_result turn all went through the translators.
#
# Needs: `npm i -g @anthropic-ai/claude-code @openai/codex`, and this repository's venv.
# Everything runs on 127.0.0.1 in a scratch HOME; nothing touches your own config.
# Usage: scripts/real-clients.sh   (or: just real-clients)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
for tool in claude codex; do
    command -v "$tool" >/dev/null || {
        echo "real-clients: '$tool' not found; install with: npm i -g @anthropic-ai/claude-code @openai/codex" >&2
        exit 2
    }
done

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ninerouter-real-clients.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {  # url
    for _ in $(seq 100); do
        if "$PY" -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "real-clients: $1 did not come up" >&2
    return 1
}

FAKE_PORT=$(free_port)
ROUTER_PORT=$(free_port)
export NINEROUTER_DATA_DIR="$SCRATCH/data"
mkdir -p "$SCRATCH/home" "$SCRATCH/work" "$SCRATCH/codex"
touch "$SCRATCH/work/ninerouter-e2e-marker.txt"

(cd "$ROOT" && exec "$PY" -m tests.fakes.anthropic_upstream --port "$FAKE_PORT" --log "$SCRATCH/upstream.jsonl") \
    >"$SCRATCH/fake.log" 2>&1 &
PIDS+=($!)
"$PY" -m ninerouter provider add anthropic-compatible --name fake-anthropic --api-key sk-ant-fake-key \
    --base-url "http://127.0.0.1:$FAKE_PORT/anthropic/v1" --prefix ant >/dev/null 2>&1
"$PY" -m ninerouter provider add openai-compatible --name fake-openai --api-key sk-fake-key \
    --base-url "http://127.0.0.1:$FAKE_PORT/openai/v1" --prefix oai >/dev/null 2>&1
"$PY" -m ninerouter serve --port "$ROUTER_PORT" >"$SCRATCH/router.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$ROUTER_PORT/api/health"
KEY=$(cat "$NINEROUTER_DATA_DIR/auth/api-key")
BASE="http://127.0.0.1:$ROUTER_PORT"
echo "ninerouter on $BASE, fake upstreams on 127.0.0.1:$FAKE_PORT (/anthropic, /openai)"
echo "claude $(claude --version 2>/dev/null | head -1); codex $(codex --version 2>/dev/null | head -1)"

FAILED=0
check() {  # name, output file, expected text
    if grep -qF "$3" "$2"; then
        echo "PASS  $1"
        echo "      client said: $(grep -oF "$3" "$2" | head -1)"
    else
        echo "FAIL  $1 (expected '$3'); client output:"
        sed 's/^/      /' "$2" | tail -20
        FAILED=1
    fi
}

claude_run() {  # model, prompt, output file
    (cd "$SCRATCH/work" && HOME="$SCRATCH/home" ANTHROPIC_BASE_URL="$BASE" ANTHROPIC_API_KEY="$KEY" \
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1 \
        timeout 120 claude -p "$2" --model "$1" --output-format json --allowedTools Bash) >"$3" 2>&1 || true
}

cat >"$SCRATCH/codex/config.toml" <<EOF
model_provider = "local"
[model_providers.local]
name = "local"
base_url = "$BASE/v1"
wire_api = "responses"
env_key = "NINEROUTER_KEY"
[features]
plugins = false
EOF
codex_run() {  # model, prompt, output file
    (cd "$SCRATCH/work" && HOME="$SCRATCH/home" CODEX_HOME="$SCRATCH/codex" NINEROUTER_KEY="$KEY" \
        timeout 120 codex exec --skip-git-repo-check -m "$1" "$2") >"$3" 2>&1 || true
}

claude_run oai/fake-tools "List the files here with ls and tell me whether the marker file is there." "$SCRATCH/claude-tools.out"
check "claude -p → ninerouter → OpenAI chat upstream, Bash tool round trip" "$SCRATCH/claude-tools.out" \
    "The listing shows ninerouter-e2e-marker.txt."
claude_run ant/fake-pong "say pong" "$SCRATCH/claude-pong.out"
check "claude -p → ninerouter → Anthropic upstream (passthrough)" "$SCRATCH/claude-pong.out" \
    "The quick brown fox jumps over the lazy dog."
codex_run ant/fake-tools "List the files here with ls and tell me whether the marker file is there." "$SCRATCH/codex-tools.out"
check "codex exec → ninerouter → Anthropic upstream, exec_command tool round trip" "$SCRATCH/codex-tools.out" \
    "The listing shows ninerouter-e2e-marker.txt."
codex_run oai/fake-pong "say pong" "$SCRATCH/codex-pong.out"
check "codex exec → ninerouter → OpenAI chat upstream" "$SCRATCH/codex-pong.out" \
    "The quick brown fox jumps over the lazy dog."

echo "upstream requests seen by the fakes:"
"$PY" - "$SCRATCH/upstream.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = r["body"] or {}
    msgs = b.get("messages") or []
    kinds = []
    for m in msgs:
        c = m.get("content")
        if m.get("role") == "tool" or (isinstance(c, list) and any(x.get("type") == "tool_result" for x in c if isinstance(x, dict))):
            kinds.append("tool_result")
    print(f"  {r['path']:<36} model={b.get('model')!s:<12} stream={b.get('stream')!s:<5} messages={len(msgs):<3} tools={len(b.get('tools') or []):<3} {'+tool result' if kinds else ''}")
EOF
if [ "$FAILED" -ne 0 ]; then
    echo "router log:"; tail -20 "$SCRATCH/router.log"
    exit 1
fi
echo "all real-client checks passed"

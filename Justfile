# ninerouter developer commands. `just` comes with the dev extra (pip install -e '.[dev]').

# Lint, type-check and test: what CI runs
check: lint test

# Run the test suite (pass pytest options, e.g. `just test -k chat -x`)
test *args:
    python -m pytest {{args}}

# Formatting, lint, types and layer contracts
lint:
    ruff format --check ninerouter tests benchmarks
    ruff check ninerouter tests benchmarks
    mypy ninerouter
    lint-imports

# Apply formatting and safe lint fixes
fmt:
    ruff check --fix ninerouter tests benchmarks
    ruff format ninerouter tests benchmarks

# Run the server in the foreground
serve *args:
    python -m ninerouter serve {{args}}

# Overhead and throughput versus calling the mock upstream directly
bench *args:
    python benchmarks/overhead.py {{args}}

# Claude Code and Codex through ninerouter against local fake upstreams (npm i -g @anthropic-ai/claude-code @openai/codex)
real-clients:
    scripts/real-clients.sh

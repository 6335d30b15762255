"""Ready-to-paste configuration for running ninerouter and pointing clients at it (`recipe NAME`)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ninerouter.errors import UserError


@dataclass(frozen=True)
class Install:
    port: int
    host: str
    binary: str
    data_dir: Path
    key: str | None

    @property
    def base_url(self) -> str:
        host = "localhost" if self.host in ("0.0.0.0", "127.0.0.1", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def key_text(self) -> str:
        return self.key or f"$(cat {self.data_dir}/auth/api-key)"


def find_binary() -> str:
    found = shutil.which("ninerouter")
    if found:
        return found
    return str(Path(sys.executable).with_name("ninerouter"))


def systemd(i: Install) -> str:
    return f"""# /etc/systemd/system/ninerouter.service
# systemctl daemon-reload && systemctl enable --now ninerouter
[Unit]
Description=ninerouter LLM router
After=network.target

[Service]
Type=simple
ExecStart={i.binary} --data-dir {i.data_dir} serve -p {i.port} -H {i.host}
Restart=always
RestartSec=5
KillSignal=SIGTERM
NoNewPrivileges=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
"""


def docker(i: Install) -> str:
    return f"""# Dockerfile — build: docker build -t ninerouter .   (run from a clone of ninerouter)
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir .
ENV NINEROUTER_DATA_DIR=/data
VOLUME /data
EXPOSE {i.port}
CMD ["ninerouter", "serve", "-H", "0.0.0.0", "-p", "{i.port}"]
"""


def compose(i: Install) -> str:
    return f"""# compose.yaml — docker compose up -d
services:
  ninerouter:
    build: .
    ports: ["127.0.0.1:{i.port}:{i.port}"]
    volumes: ["{i.data_dir}:/data"]
    environment:
      NINEROUTER_DATA_DIR: /data
    restart: unless-stopped
"""


def claude_code(i: Install) -> str:
    return f"""# Claude Code through ninerouter (add to your shell profile)
export ANTHROPIC_BASE_URL={i.base_url}
export ANTHROPIC_API_KEY={i.key_text}
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
# then: claude --model <combo or prefix/model>
"""


def codex(i: Install) -> str:
    return f"""# ~/.codex/config.toml — Codex through ninerouter (Responses API)
model = "YOUR-COMBO-OR-PREFIX/MODEL"
model_provider = "ninerouter"

[model_providers.ninerouter]
name = "ninerouter"
base_url = "{i.base_url}/v1"
wire_api = "responses"
env_key = "NINEROUTER_KEY"

# and in your shell: export NINEROUTER_KEY={i.key_text}
"""


def cursor(i: Install) -> str:
    return f"""# Cursor: Settings → Models → OpenAI API Key
#   Override OpenAI Base URL: {i.base_url}/v1
#   OpenAI API Key:           {i.key_text}
# then add your combo names or prefix/model strings as custom models.
"""


def hermes(i: Install) -> str:
    return f"""# ~/.hermes/config.yaml — Hermes Agent through ninerouter
model:
  default: YOUR-COMBO-OR-PREFIX/MODEL
  provider: ninerouter
providers:
  ninerouter:
    api_key: {i.key or "PASTE-KEY-FROM " + str(i.data_dir) + "/auth/api-key"}
    api_mode: chat_completions
    base_url: {i.base_url}/v1
    default_model: YOUR-COMBO-OR-PREFIX/MODEL
"""


RECIPES = {
    "systemd": systemd,
    "docker": docker,
    "compose": compose,
    "claude-code": claude_code,
    "codex": codex,
    "cursor": cursor,
    "hermes": hermes,
}


def render(name: str, install: Install) -> str:
    recipe = RECIPES.get(name)
    if recipe is None:
        raise UserError(f"unknown recipe '{name}'. Choose one of: {', '.join(RECIPES)}.")
    return recipe(install)

"""The session key a request belongs to, for sticky routing (pure).

x-session-id header, else Claude Code's metadata.user_id (a JSON string holding session_id), else
Codex's session-id header or prompt_cache_key, else a hash of the system prompt and first user message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def session_key(headers: Mapping[str, str], body: Mapping[str, Any]) -> str | None:
    explicit = headers.get("x-session-id")
    if explicit:
        return f"h:{explicit}"
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        user_id = metadata.get("user_id")
        if isinstance(user_id, str) and user_id:
            try:
                parsed = json.loads(user_id)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and parsed.get("session_id"):
                return f"cc:{parsed['session_id']}"
            return f"u:{user_id}"
    codex = headers.get("session-id") or body.get("prompt_cache_key")
    if isinstance(codex, str) and codex:
        return f"cx:{codex}"
    system = _text(body.get("system")) or _text(body.get("instructions"))
    first_user = ""
    messages = body.get("messages") or body.get("input")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            if role in ("system", "developer") and not system:
                system = _text(message.get("content"))
            elif role == "user":
                first_user = _text(message.get("content"))
                break
    if not system and not first_user:
        return None
    digest = hashlib.sha256(f"{system}\x00{first_user}".encode()).hexdigest()[:32]
    return f"p:{digest}"

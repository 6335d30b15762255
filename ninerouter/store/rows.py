"""Row <-> dataclass conversion. Nothing outside store/ sees a raw row."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from ninerouter.models import ApiKey, Combo, Connection, ProviderNode


def now_iso() -> str:
    """UTC time as JavaScript's Date.toISOString() writes it, as 9Router stores timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_id() -> str:
    return str(uuid.uuid4())


def load_json(text: Any, default: Any) -> Any:
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def dump_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def connection_from_row(row: dict[str, Any]) -> Connection:
    data = load_json(row.get("data"), {})
    return Connection(
        id=row["id"],
        provider=row["provider"],
        auth_type=row.get("authType") or "apikey",
        name=row.get("name") or "",
        email=row.get("email"),
        priority=int(row["priority"]) if row.get("priority") is not None else 999,
        is_active=bool(row.get("isActive", 1)),
        data=data if isinstance(data, dict) else {},
        created_at=row.get("createdAt") or "",
        updated_at=row.get("updatedAt") or "",
    )


def node_from_row(row: dict[str, Any]) -> ProviderNode:
    data = load_json(row.get("data"), {})
    data = data if isinstance(data, dict) else {}
    return ProviderNode(
        id=row["id"],
        type=row.get("type") or data.get("type") or "openai-compatible",
        name=row.get("name") or data.get("name") or row["id"],
        prefix=str(data.get("prefix") or ""),
        base_url=str(data.get("baseUrl") or ""),
        api_type=str(data.get("apiType") or "chat"),
        created_at=row.get("createdAt") or "",
        updated_at=row.get("updatedAt") or "",
    )


def key_from_row(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        key=row["key"],
        name=row.get("name") or "",
        is_active=bool(row.get("isActive", 1)),
        machine_id=row.get("machineId"),
        created_at=row.get("createdAt") or "",
    )


def combo_from_row(row: dict[str, Any]) -> Combo:
    models = load_json(row.get("models"), [])
    return Combo(
        id=row["id"],
        name=row["name"],
        kind=row.get("kind"),
        models=tuple(str(m) for m in models) if isinstance(models, list) else (),
        created_at=row.get("createdAt") or "",
        updated_at=row.get("updatedAt") or "",
    )

"""Reading and changing the settings row, with 9Router's key names."""

from __future__ import annotations

import difflib
import json
from typing import Any

from ninerouter.errors import UserError
from ninerouter.models import DEFAULT_SETTINGS, SECRET_SETTINGS, public_settings
from ninerouter.redact import mask_url
from ninerouter.store import Store

# Keys 9Router 0.5.x reads that have no default here; accepted as they are.
EXTRA_KEYS = (
    "tunnelDashboardAccess",
    "providerThinking",
    "ccFilterNaming",
    "capacityAdapter",
    "cloudEnabled",
    "mitmEnabled",
    "mitmRouterBaseUrl",
    "tunnelEnabled",
    "tunnelUrl",
    "tunnelProvider",
    "tailscaleEnabled",
    "tailscaleUrl",
    "observabilityEnabled",
    "quotaVisibility",
    "throttle",
    "allowedHosts",  # extra Host names the admin API accepts (a list, or "a.lan,b.lan")
)

STRATEGY_VALUES = {
    "fallbackStrategy": ("fill-first", "round-robin", "sticky"),
    "comboStrategy": ("fallback", "round-robin", "sticky"),
}


def parse_value(text: str) -> Any:
    """JSON when it parses (true, 3, {"a":1}), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def known_keys() -> list[str]:
    return sorted({*DEFAULT_SETTINGS, *EXTRA_KEYS})


def validate(key: str, value: Any) -> None:
    if key in SECRET_SETTINGS:
        raise UserError(f"'{key}' cannot be set here; use 'ninerouter password set'.")
    if key not in known_keys():
        close = difflib.get_close_matches(key, known_keys(), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UserError(f"unknown setting '{key}'.{hint} See 'ninerouter settings list'.")
    default = DEFAULT_SETTINGS.get(key)
    if default is not None and not _same_type(default, value):
        raise UserError(
            f"'{key}' takes a {type(default).__name__} (e.g. {json.dumps(default)}), "
            f"not {json.dumps(value)}."
        )
    allowed = STRATEGY_VALUES.get(key)
    if allowed and value not in allowed:
        raise UserError(f"'{key}' must be one of: {', '.join(allowed)}.")


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and value >= 0
    return isinstance(value, type(default))


def set_setting(store: Store, key: str, value: Any) -> dict[str, Any]:
    validate(key, value)
    with store.write():
        if key == "outboundProxyUrl" and isinstance(value, str) and value.strip():
            current = store.settings.get().get("outboundProxyUrl")
            if isinstance(current, str) and value == mask_url(current):
                return public_settings(store.settings.get())  # the masked URL sent back: keep it
            from ninerouter.services.proxies import proxy_url

            value = proxy_url(value)
        return public_settings(store.settings.patch({key: value}))


def get_setting(store: Store, key: str) -> Any:
    settings = public_settings(store.settings.get())
    if key not in settings:
        raise UserError(f"setting '{key}' is not set. See 'ninerouter settings list'.")
    return settings[key]

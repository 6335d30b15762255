"""Masking of secrets for every listing, log line and error."""

from __future__ import annotations

import re


def mask(secret: str | None) -> str:
    """Show a secret as 'sk-…abcd': enough to tell keys apart, never enough to use one."""
    if not secret:
        return ""
    if len(secret) < 16:
        return "…"
    return f"{secret[:3]}…{secret[-4:]}"


_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<pw>[^@/\s]*)@"
)


def mask_url(url: str | None) -> str:
    """Hide the password of a URL such as http://user:pass@host:port."""
    if not url:
        return ""
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)


def scrub(text: str, secrets: list[str]) -> str:
    """Remove each known secret from free text (e.g. an upstream error that echoes the key)."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, mask(secret))
    return text

"""proxies.txt lines -> accepted proxies and rejected lines (with line number and reason). Pure.

Accepted forms (one a line; blank lines and lines starting with `#` are skipped; a BOM, CRLF, tabs and
spaces around a line are ignored):

    scheme://user:pass@host:port     schemes: http, https, socks5, socks5h, socks4
    user:pass@host:port              the default scheme (--type)
    host:port                        the default scheme, no credentials
    host:port:user:pass              credentials taken literally; the password may hold ':'
    [2001:db8::1]:1080               IPv6 literals always in brackets

In the URL forms the credentials are percent-decoded exactly once (`us%40er` is `us@er`); a second raw
`@` is refused with a hint to write it as %40, and a bad escape (`%zz`) is refused. Hosts are lowercased
and IDNA-encoded; link-local and cloud metadata addresses (in every spelling) are refused, as are IPv4
addresses in a non-dotted spelling. Duplicates are lines with the same (scheme, host, port, user).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

SCHEMES = ("http", "https", "socks5", "socks5h", "socks4")
MAX_LINE = 2048
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_BLOCKED_NAMES = ("metadata.google.internal", "metadata", "instance-data")
_USERINFO_SAFE = "{}"


@dataclass(frozen=True)
class ProxyLine:
    """One accepted proxy. `host` is lowercase/IDNA, IPv6 without brackets; credentials decoded."""

    line: int
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def key(self) -> tuple[str, str, int, str | None]:
        return (self.scheme, self.host, self.port, self.username)

    @property
    def hostport(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The normalised URL as stored: credentials percent-encoded once."""
        if self.username is None:
            return f"{self.scheme}://{self.hostport}"
        user = quote(self.username, safe=_USERINFO_SAFE)
        if self.password is None:
            return f"{self.scheme}://{user}@{self.hostport}"
        return f"{self.scheme}://{user}:{quote(self.password, safe=_USERINFO_SAFE)}@{self.hostport}"

    @property
    def masked(self) -> str:
        if self.username is None:
            return f"{self.scheme}://{self.hostport}"
        user = quote(self.username, safe=_USERINFO_SAFE)
        secret = "" if self.password is None else ":***"
        return f"{self.scheme}://{user}{secret}@{self.hostport}"


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str


@dataclass(frozen=True)
class Duplicate:
    line: int
    of_line: int


@dataclass
class ParseResult:
    accepted: list[ProxyLine] = field(default_factory=list)
    rejected: list[Reject] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    lines: int = 0
    skipped: int = 0  # blank lines and comments


class NotAProxyList(ValueError):
    """The input is binary, not text."""


def decode_lines(data: bytes) -> list[str | None]:
    """Split raw bytes into lines; a line that is not UTF-8 becomes None (rejected by parse_lines).
    Binary input (NUL bytes near the start) raises NotAProxyList."""
    if b"\x00" in data[:8192]:
        raise NotAProxyList("not a text proxy list (binary data)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    out: list[str | None] = []
    for raw in data.splitlines():
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
    return out


def parse_lines(lines: Iterable[str | None], default_scheme: str = "http") -> ParseResult:
    """Every line is looked at; nothing stops at the first bad one."""
    result = ParseResult()
    first_seen: dict[tuple[str, str, int, str | None], int] = {}
    for number, text in enumerate(lines, start=1):
        result.lines += 1
        if text is None:
            result.rejected.append(Reject(number, "not UTF-8 text"))
            continue
        stripped = text.lstrip("\ufeff").strip()
        if not stripped or stripped.startswith("#"):
            result.skipped += 1
            continue
        try:
            proxy = parse_proxy(stripped, default_scheme, line=number)
        except ValueError as exc:
            result.rejected.append(Reject(number, str(exc)))
            continue
        earlier = first_seen.get(proxy.key)
        if earlier is not None:
            result.duplicates.append(Duplicate(number, earlier))
            continue
        first_seen[proxy.key] = number
        result.accepted.append(proxy)
    return result


def parse_proxy(text: str, default_scheme: str = "http", *, line: int = 0) -> ProxyLine:
    """One proxy in any accepted form. ValueError says why not (never echoing a password)."""
    if default_scheme not in SCHEMES:
        raise ValueError(f"unsupported default scheme '{default_scheme}'")
    if len(text) > MAX_LINE:
        raise ValueError(f"line longer than {MAX_LINE} characters")
    if _CONTROL.search(text):
        raise ValueError("contains control characters")
    if _SPACE.search(text):
        raise ValueError("contains spaces inside the entry")
    scheme = default_scheme
    rest = text
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in SCHEMES:
            raise ValueError(f"unsupported scheme '{scheme[:20]}' (use {', '.join(SCHEMES)})")
        for mark, what in (("?", "a query"), ("#", "a fragment")):
            if mark in rest:
                raise ValueError(
                    f"a proxy URL has no {what}; percent-encode '{mark}' in credentials"
                )
        rest = rest.removesuffix("/")
        if "/" in rest:
            raise ValueError("a proxy URL has no path; percent-encode '/' in credentials as %2F")
    try:
        hostport, username, password = _split_authority(rest, has_scheme="://" in text)
        host, port = _split_hostport(hostport)
    except ValueError as first:
        if "://" in text or "@" not in rest:
            raise
        try:  # host:port:user:pass whose literal password holds an '@'
            hostport, username, password = _split_colon_form(rest)
            host, port = _split_hostport(hostport)
        except ValueError:
            raise first from None
    _check_credentials(scheme, username, password)
    return ProxyLine(line, scheme, host, port, username, password)


def _split_authority(rest: str, *, has_scheme: bool) -> tuple[str, str | None, str | None]:
    if "@" in rest:
        if rest.count("@") > 1:
            raise ValueError(
                "more than one '@': percent-encode '@' in the user name or password as %40"
            )
        userinfo, hostport = rest.split("@", 1)
        username, password = _split_userinfo(userinfo)
        return hostport, username, password
    if has_scheme:
        return rest, None, None
    return _split_colon_form(rest)


def _split_userinfo(userinfo: str) -> tuple[str, str | None]:
    user, sep, secret = userinfo.partition(":")
    if _BAD_ESCAPE.search(userinfo):
        raise ValueError("invalid percent-escape in the credentials (use %XX with two hex digits)")
    try:
        name = unquote(user, errors="strict")
        password = unquote(secret, errors="strict") if sep else None
    except UnicodeDecodeError:
        raise ValueError("percent-encoded credentials are not UTF-8") from None
    if not name:
        raise ValueError("empty user name before ':'")
    return name, password


def _split_colon_form(rest: str) -> tuple[str, str | None, str | None]:
    """host:port or host:port:user:pass (credentials literal; the password may hold ':')."""
    if rest.startswith("["):
        end = rest.find("]")
        host, tail = (rest[: end + 1], rest[end + 1 :]) if end > 0 else (rest, "")
        parts = [host, *tail[1:].split(":", 2)] if tail.startswith(":") else [rest]
    else:
        if rest.count(":") >= 2 and _looks_like_ipv6(rest):
            raise ValueError("IPv6 literal must be in brackets, e.g. [2001:db8::1]:1080")
        parts = rest.split(":", 3)
    if len(parts) <= 2:
        return rest, None, None
    if len(parts) == 4:
        host, port, user, secret = parts
        if not user:
            raise ValueError("empty user name in host:port:user:pass")
        return f"{host}:{port}", user, secret
    raise ValueError("expected host:port, host:port:user:pass or scheme://user:pass@host:port")


def _looks_like_ipv6(text: str) -> bool:
    for candidate in (text, text.rsplit(":", 1)[0]):
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        return True
    return False


def _split_hostport(hostport: str) -> tuple[str, int]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ValueError("unclosed '[' in an IPv6 host")
        host_text = hostport[1:end]
        tail = hostport[end + 1 :]
        if not tail.startswith(":"):
            raise ValueError("missing port after the IPv6 host")
        port_text = tail[1:]
        host = _ipv6_host(host_text)
    else:
        if ":" not in hostport:
            raise ValueError("missing port (expected host:port)")
        host_text, port_text = hostport.rsplit(":", 1)
        if ":" in host_text:
            raise ValueError("IPv6 literal must be in brackets, e.g. [2001:db8::1]:1080")
        host = _name_or_ipv4(host_text)
    if not port_text.isdigit() or not port_text.isascii():
        raise ValueError(f"invalid port '{port_text[:10]}'")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range (1-65535)")
    return host, port


def _ipv6_host(text: str) -> str:
    address = unquote(text)  # a zone id arrives as %25
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        raise ValueError("invalid IPv6 address in brackets") from None
    _check_ip(ip)
    return address.lower()


def _name_or_ipv4(text: str) -> str:
    if not text:
        raise ValueError("missing host")
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        pass
    else:
        _check_ip(ip)
        return str(ip)
    try:
        socket.inet_aton(text)
    except OSError:
        pass
    else:
        raise ValueError("IPv4 address in a non-dotted spelling; write it as a.b.c.d")
    try:
        host = text.encode("idna").decode("ascii").lower().removesuffix(".")
    except UnicodeError:
        raise ValueError("invalid host name") from None
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        raise ValueError("invalid host name")
    if host in _BLOCKED_NAMES:
        raise ValueError("blocked address: cloud metadata host")
    return host


def _check_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        raise ValueError("blocked address: link-local (cloud metadata range)")
    if ip.is_unspecified or ip.is_multicast:
        raise ValueError("blocked address: unspecified or multicast")
    if isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.IPv6Network("fd00:ec2::/32"):
        raise ValueError("blocked address: cloud metadata range")


def _check_credentials(scheme: str, username: str | None, password: str | None) -> None:
    if username is None:
        return
    if _CONTROL.search(username + (password or "")):
        raise ValueError("the credentials contain control characters")
    if scheme == "socks4" and password:
        raise ValueError("socks4 has a user id but no password; use socks5 for user:pass")
    if scheme in ("http", "https") and ":" in username:
        raise ValueError("an HTTP proxy user name cannot contain ':' (RFC 7617)")
    if scheme.startswith("socks5"):
        for what, value in (("user name", username), ("password", password or "")):
            if len(value.encode("utf-8")) > 255:
                raise ValueError(f"SOCKS5 {what} longer than 255 bytes")

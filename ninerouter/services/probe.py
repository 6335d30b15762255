"""`ninerouter probe`: is the router up, does chat need a key, can we log in, and which methods
does each admin resource answer. Works against ninerouter and against a running 9Router.

Probing the method matrix changes nothing: item routes get an id that does not exist
(`__probe__`), and bodies are `{}`, which every create route refuses (a name or provider is
required) and which a settings PATCH merges as no change. Only status codes, the Allow header and
the kind of body (empty, JSON, text) are recorded; no 2xx body is ever kept or shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from ninerouter.upstream.probe_http import ProbeHttp, Reply, Unreachable

DEFAULT_URL = "http://127.0.0.1:20128"
DEFAULT_PASSWORD = "123456"
METHODS = ("OPTIONS", "GET", "PUT", "PATCH", "POST", "DELETE")
PROBE_ID = "__probe__"

# The documented matrix (DESIGN.md §5, 9Router's route exports): which methods a resource answers.
EXPECTED: dict[str, frozenset[str]] = {
    "/api/providers": frozenset({"GET", "POST"}),
    "/api/providers/:id": frozenset({"GET", "PUT", "DELETE"}),
    "/api/provider-nodes": frozenset({"GET", "POST"}),
    "/api/provider-nodes/:id": frozenset({"PUT", "DELETE"}),
    "/api/keys": frozenset({"GET", "POST"}),
    "/api/keys/:id": frozenset({"GET", "PUT", "DELETE"}),
    "/api/proxy-pools": frozenset({"GET", "POST"}),
    "/api/proxy-pools/:id": frozenset({"GET", "PUT", "DELETE"}),
    "/api/combos": frozenset({"GET", "POST"}),
    "/api/combos/:id": frozenset({"GET", "PUT", "DELETE"}),
    "/api/settings": frozenset({"GET", "PATCH"}),
    "/api/usage/stats": frozenset({"GET"}),
}
RESOURCES = tuple(EXPECTED)
_CHECKED_METHODS = frozenset(METHODS) - {"OPTIONS"}  # OPTIONS is recorded, never judged


def concrete_path(resource: str) -> str:
    path = resource.replace(":id", PROBE_ID)
    return path + "?period=24h" if resource == "/api/usage/stats" else path


def body_kind(reply: Reply) -> str:
    if not reply.body.strip():
        return "empty"
    try:
        orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return "text"
    return "json"


def error_message(reply: Reply) -> str | None:
    """The message of an error answer ({"error": "..."} or {"error": {"message": ...}})."""
    if reply.status < 400 or body_kind(reply) != "json":
        return None
    data = orjson.loads(reply.body)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error)[:300] if isinstance(error, str) else None


@dataclass(frozen=True)
class Observation:
    resource: str
    method: str
    status: int
    allow: str | None
    body: str  # "empty", "json" or "text"
    message: str | None


def observe(resource: str, method: str, reply: Reply) -> Observation:
    return Observation(
        resource,
        method,
        reply.status,
        reply.headers.get("allow"),
        body_kind(reply),
        error_message(reply),
    )


@dataclass
class Matrix:
    observations: list[Observation]

    def by_resource(self) -> dict[str, dict[str, Observation]]:
        out: dict[str, dict[str, Observation]] = {}
        for obs in self.observations:
            out.setdefault(obs.resource, {})[obs.method] = obs
        return out

    def absent(self) -> list[str]:
        """Resources the server does not have: every method answered 404 on the collection (and
        on its item route)."""
        rows = self.by_resource()

        def all_404(res: str) -> bool:
            cells = rows.get(res, {})
            return bool(cells) and all(c.status == 404 for c in cells.values())

        gone = {res for res in rows if ":id" not in res and all_404(res)}
        return [
            res for res in rows if res in gone or (res.split("/:id")[0] in gone and all_404(res))
        ]

    def allowed(self) -> dict[str, list[str]]:
        """Per resource, the methods that did not answer 405 (OPTIONS left out)."""
        absent = set(self.absent())
        return {
            res: [m for m in METHODS if m in cells and m != "OPTIONS" and cells[m].status != 405]
            for res, cells in self.by_resource().items()
            if res not in absent
        }

    def silent_405s(self) -> int:
        """405 answers without a JSON message (Next.js, hence 9Router, sends an empty body)."""
        return sum(1 for o in self.observations if o.status == 405 and o.body != "json")

    def problems(self) -> list[str]:
        found: list[str] = []
        for obs in self.observations:
            if obs.status >= 500:
                found.append(f"{obs.method} {obs.resource} failed with {obs.status}.")
            elif obs.status in (401, 403):
                found.append(
                    f"{obs.method} {obs.resource} answered {obs.status} although logged in."
                )
        for res, methods in self.allowed().items():
            expected = EXPECTED.get(res)
            if expected is None:
                continue
            got = set(methods) & _CHECKED_METHODS
            if got != expected:
                found.append(
                    f"{res} answers {', '.join(sorted(got)) or 'nothing'}; "
                    f"expected {', '.join(sorted(expected))}."
                )
        return found


@dataclass
class Check:
    name: str
    status: str  # "ok", "warn", "fail" or "info"
    detail: str


@dataclass
class Report:
    url: str
    server: str = "unknown"
    checks: list[Check] = field(default_factory=list)
    matrix: Matrix | None = None
    problems: list[str] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)  # for --record only

    def add(self, name: str, status: str, detail: str) -> None:
        self.checks.append(Check(name, status, detail))
        if status == "fail":
            self.problems.append(f"{name}: {detail}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "server": self.server,
            "ok": not self.problems,
            "checks": [asdict(c) for c in self.checks],
            "problems": self.problems,
        }
        if self.matrix is not None:
            cells = self.matrix.by_resource()
            out["matrix"] = {
                res: {m: obs.status for m, obs in row.items()} for res, row in cells.items()
            }
            out["allowed"] = self.matrix.allowed()
            out["absent"] = self.matrix.absent()
            out["silent405"] = self.matrix.silent_405s()
        return out


def host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def unreachable_message(url: str, error: Unreachable) -> str:
    where = host_port(url)
    if error.kind == "refused":
        return (
            f"nothing listening on {where} — start it with `ninerouter serve --daemon`. "
            '(Clients report "No active credentials" or model_not_found in this state: the '
            "router is down, the connections are fine.)"
        )
    if error.kind == "timeout":
        return f"{where} accepted the connection but sent no answer ({error.detail})."
    return f"cannot reach {where}: {error.detail}"


def server_kind(replies: Iterable[Reply]) -> str:
    for reply in replies:
        vary = reply.headers.get("vary", "").lower()
        if "next-router" in vary or "next.js" in reply.headers.get("x-powered-by", "").lower():
            return "9router"
        if "aiohttp" in reply.headers.get("server", "").lower():
            return "ninerouter"
    return "unknown"


def recorded(resource: str, method: str, reply: Reply) -> dict[str, Any]:
    """A reply as a fixture keeps it: no cookies, no body of a 2xx answer."""
    keep_body = reply.status >= 400
    return {
        "resource": resource,
        "method": method,
        "status": reply.status,
        "headers": dict(reply.headers),
        "body": reply.body[:600].decode("utf-8", "replace") if keep_body else "",
    }


def reply_from_record(item: Mapping[str, Any]) -> Reply:
    return Reply(int(item["status"]), dict(item.get("headers") or {}), str(item["body"]).encode())


async def run_probe(
    url: str = DEFAULT_URL,
    *,
    password: str | None = None,
    methods: bool = False,
    request_timeout: float = 5.0,
) -> Report:
    url = url if "://" in url else f"http://{url}"
    report = Report(url.rstrip("/"))
    async with ProbeHttp(report.url, request_timeout) as http:
        try:
            health = await http.request("GET", "/api/health")
        except Unreachable as exc:
            report.add("health", "fail", unreachable_message(report.url, exc))
            return report
        report.replies.append(recorded("/api/health", "GET", health))
        ok = health.status == 200 and health.body.replace(b" ", b"") == b'{"ok":true}'
        report.add("health", "ok" if ok else "fail", f"{health.status} {_short(health)}")
        try:
            await _rest(http, report, health, password, methods)
        except Unreachable as exc:
            report.add("connection", "fail", f"lost during the probe: {exc.detail}")
    return report


async def _rest(
    http: ProbeHttp, report: Report, health: Reply, password: str | None, methods: bool
) -> None:
    seen = [health, await _models(http, report), await _chat_key(http, report)]
    cookie = await _login(http, report, password)
    report.server = server_kind(seen)
    report.checks.insert(1, Check("server", "info", report.server))
    if methods:
        if cookie is None:
            report.problems.append("methods: not probed, because login failed.")
        else:
            report.matrix = await _matrix(http, cookie, report)
            report.problems.extend(report.matrix.problems())
    if cookie is not None:
        await http.request("POST", "/api/auth/logout", json_body={}, cookie=cookie)


def _short(reply: Reply) -> str:
    text = reply.body[:80].decode("utf-8", "replace").strip()
    return text if reply.status >= 400 or len(text) < 40 else ""


async def _models(http: ProbeHttp, report: Report) -> Reply:
    reply = await http.request("GET", "/v1/models")
    report.replies.append(recorded("/v1/models", "GET", reply))
    count: int | None = None
    if reply.status == 200 and body_kind(reply) == "json":
        data = orjson.loads(reply.body)
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            count = len(data["data"])
    if count is not None:
        report.add("models", "ok", f"{reply.status}, {count} models")
    elif reply.status in (401, 403):
        report.add("models", "info", f"{reply.status}: listing models needs a key here")
    else:
        report.add("models", "fail", f"{reply.status} {error_message(reply) or ''}".strip())
    return reply


async def _chat_key(http: ProbeHttp, report: Report) -> Reply:
    body = {"model": f"{PROBE_ID}/none", "messages": [{"role": "user", "content": "ping"}]}
    reply = await http.request("POST", "/v1/chat/completions", json_body=body)
    report.replies.append(recorded("/v1/chat/completions", "POST", reply))
    if reply.status == 401:
        report.add("chat needs key", "ok", "yes (401 without a key)")
    elif reply.status >= 500:
        report.add("chat needs key", "fail", f"{reply.status} {error_message(reply) or ''}")
    else:
        report.add(
            "chat needs key",
            "warn",
            f"no: answered {reply.status} without a key (anyone who can reach it can use it)",
        )
    return reply


async def _login(http: ProbeHttp, report: Report, password: str | None) -> str | None:
    given = password is not None
    reply = await http.request(
        "POST", "/api/auth/login", json_body={"password": password or DEFAULT_PASSWORD}
    )
    report.replies.append(recorded("/api/auth/login", "POST", reply))
    token = reply.cookies.get("auth_token")
    if reply.status == 200 and token:
        report.add("login", "ok", "session cookie auth_token")
        return f"auth_token={token}"
    message = error_message(reply) or ""
    if reply.status == 401 and not given:
        report.add(
            "login",
            "warn",
            "the default password was refused (a password is set); pass --password or set "
            "NINEROUTER_PASSWORD to probe the admin API",
        )
    elif reply.status == 429:
        wait = reply.headers.get("retry-after", "?")
        report.add("login", "fail", f"locked out after failed logins; retry in {wait} s")
    else:
        report.add("login", "fail", f"{reply.status} {message}".strip())
    return None


async def _matrix(http: ProbeHttp, cookie: str, report: Report) -> Matrix:
    observations: list[Observation] = []
    for resource in RESOURCES:
        path = concrete_path(resource)
        for method in METHODS:
            body: dict[str, Any] | None = {} if method in ("PUT", "PATCH", "POST") else None
            reply = await http.request(method, path, json_body=body, cookie=cookie)
            observations.append(observe(resource, method, reply))
            report.replies.append(recorded(resource, method, reply))
    return Matrix(observations)

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from ninerouter.routing.failures import Failure, classify, parse_retry_after, reset_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("status", "message", "transport", "expected"),
    [
        (429, "slow down", "http", Failure.RATE_LIMIT),
        (429, "You exceeded your current quota", "http", Failure.QUOTA),
        (402, "", "http", Failure.QUOTA),
        (401, "bad key", "http", Failure.AUTH),
        (403, "forbidden", "http", Failure.AUTH),
        (404, "model not found", "http", Failure.MODEL_NOT_FOUND),
        (400, "invalid temperature", "http", Failure.CLIENT_ERROR),
        (413, "too big", "http", Failure.CLIENT_ERROR),
        (422, "unprocessable", "http", Failure.CLIENT_ERROR),
        (400, "This model's maximum context length is 8192 tokens", "http", Failure.CONTEXT_LENGTH),
        (400, "Rate limit reached for requests", "http", Failure.RATE_LIMIT),
        (500, "", "http", Failure.TRANSIENT),
        (503, "", "http", Failure.TRANSIENT),
        (529, "overloaded", "http", Failure.RATE_LIMIT),
        (502, "could not connect", "connect", Failure.TRANSIENT),
        (504, "", "timeout", Failure.TRANSIENT),
    ],
)
def test_classify(status: int, message: str, transport: str, expected: Failure) -> None:
    assert classify(status, message, transport) is expected


def test_only_upstream_failures_cool_and_client_errors_do_not_fail_over() -> None:
    assert not Failure.CLIENT_ERROR.fails_over and not Failure.CLIENT_ERROR.cools
    assert Failure.CONTEXT_LENGTH.fails_over and not Failure.CONTEXT_LENGTH.cools
    assert all(
        f.cools for f in (Failure.RATE_LIMIT, Failure.AUTH, Failure.QUOTA, Failure.TRANSIENT)
    )


def http_date(seconds_ahead: float) -> str:
    return format_datetime(datetime.fromtimestamp(NOW + seconds_ahead, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (http_date(20), 20.0),
        ("abc", None),
        ("0", 1.0),
        ("-5", None),
        ("86400", 1800.0),
        (None, None),
        ("", None),
        (http_date(-30), 1.0),
        ("2.5", 2.5),
    ],
)
def test_retry_after_parsing_and_caps(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_provider_reset_headers() -> None:
    assert reset_after({"retry-after-ms": "1500"}, NOW) == 1.5
    assert (
        reset_after({"x-ratelimit-reset-requests": "1m30s", "x-ratelimit-reset-tokens": "6s"}, NOW)
        == 90
    )
    iso = datetime.fromtimestamp(NOW + 42, UTC).isoformat().replace("+00:00", "Z")
    assert reset_after({"anthropic-ratelimit-requests-reset": iso}, NOW) == pytest.approx(42)
    assert reset_after({"Retry-After": "3", "retry-after-ms": "9000"}, NOW) == 3
    assert reset_after({}, NOW) is None

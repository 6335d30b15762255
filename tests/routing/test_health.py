from __future__ import annotations

import pytest

from ninerouter.routing.failures import AttemptError, Failure
from ninerouter.routing.health import HealthBook
from tests.fakes.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


def fail(
    book: HealthBook,
    failure: Failure,
    retry: float | None = None,
    model: str = "m",
    conn: str = "A",
    status: int = 429,
) -> None:
    book.on_failure(conn, model, AttemptError(failure, status, "x", retry), "v1")


def test_rate_limit_locks_account_model_for_retry_after(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.RATE_LIMIT, 7)
    assert book.blocked("A", "m").until == clock.now + 7
    assert book.blocked("A", "other") is None
    clock.advance(6.99)
    assert book.blocked("A", "m") is not None
    clock.advance(0.02)
    assert book.blocked("A", "m") is None


def test_exponential_backoff_without_retry_after_then_reset(clock: FakeClock) -> None:
    book = HealthBook(clock)
    seen = []
    for _ in range(3):
        fail(book, Failure.RATE_LIMIT)
        lock = book.blocked("A", "m")
        seen.append(lock.until - clock.now)
        clock.advance(lock.until - clock.now + 0.01)
    assert seen == [2, 4, 8]
    book.on_success("A", "m")
    assert book.get("A").backoff_level == 0
    fail(book, Failure.RATE_LIMIT)
    assert book.blocked("A", "m").until - clock.now == 2


def test_backoff_is_capped_at_five_minutes(clock: FakeClock) -> None:
    book = HealthBook(clock)
    for _ in range(12):
        fail(book, Failure.RATE_LIMIT)
        lock = book.blocked("A", "m")
        clock.advance(lock.until - clock.now + 0.01)
    fail(book, Failure.RATE_LIMIT)
    assert book.blocked("A", "m").until - clock.now == 300


def test_cooldowns_only_get_longer_and_level_rises_once(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.RATE_LIMIT, 60)
    t0 = clock.now
    for retry in (1, None, 10):
        fail(book, Failure.RATE_LIMIT, retry)
    assert book.blocked("A", "m").until == t0 + 60
    assert book.get("A").backoff_level == 1


def test_auth_locks_every_model_until_the_row_is_edited(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.AUTH, status=401)
    assert book.blocked("A", "x").reason == "auth_failed"
    clock.advance(3600 * 24)
    assert book.blocked("A", "y") is not None
    book.seed("A", {}, "v1")  # reload, same row version: still locked
    assert book.blocked("A", "y") is not None
    book.seed("A", {}, "v2")  # edited
    assert book.blocked("A", "y") is None


def test_model_not_found_locks_only_that_model_for_ten_minutes(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.MODEL_NOT_FOUND, status=404, model="x")
    assert book.blocked("A", "x").until == clock.now + 600
    assert book.blocked("A", "y") is None


def test_transient_ejects_after_three_in_a_row_and_success_resets_the_run(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.TRANSIENT, status=500)
    book.on_success("A", "m")
    fail(book, Failure.TRANSIENT, status=500)
    fail(book, Failure.TRANSIENT, status=500)
    assert book.blocked("A", "m") is None
    fail(book, Failure.TRANSIENT, status=500)
    assert book.blocked("A", "m").until == clock.now + 30
    clock.advance(31)
    for _ in range(3):
        fail(book, Failure.TRANSIENT, status=500)
    assert book.blocked("A", "m").until == clock.now + 60


def test_transient_with_retry_after_cools_the_account(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.TRANSIENT, 5, status=503)
    assert book.blocked("A", "any-model").until == clock.now + 5


def test_local_errors_change_nothing(clock: FakeClock) -> None:
    book = HealthBook(clock)
    for failure in (Failure.CLIENT_ERROR, Failure.CONTEXT_LENGTH):
        fail(book, failure, status=400)
    assert book.accounts == {}
    assert book.take_patches() == {}


def test_patches_use_9router_fields_and_survive_a_restart(clock: FakeClock) -> None:
    book = HealthBook(clock)
    fail(book, Failure.RATE_LIMIT, 30, model="gpt")
    patch = book.take_patches()["A"]
    assert patch["backoffLevel"] == 1 and patch["testStatus"] == "unavailable"
    assert patch["modelLock_gpt"].endswith("Z")
    fresh = HealthBook(clock)
    fresh.seed("A", patch, "v1")
    assert fresh.blocked("A", "gpt").until == pytest.approx(clock.now + 30, abs=0.01)
    book.on_success("A", "gpt")
    assert book.take_patches()["A"]["modelLock_gpt"] is None


def test_5xx_ejects_the_model_but_transport_failures_eject_the_account(clock: FakeClock) -> None:
    book = HealthBook(clock)
    for _ in range(3):
        fail(book, Failure.TRANSIENT, status=500, model="broken")
    assert book.blocked("A", "broken").reason == "transient"
    assert book.blocked("A", "healthy") is None
    for _ in range(3):
        book.on_failure(
            "A", "healthy", AttemptError(Failure.TRANSIENT, 502, "connect_error", transport=True)
        )
    assert book.blocked("A", "anything").until == clock.now + 30

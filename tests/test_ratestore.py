"""The local:// rate-limit store: exact moving windows, trimmed as they are read, idle keys swept."""
from __future__ import annotations

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from conference import ratestore


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratestore.time, "time", clock)
    return clock


@pytest.fixture
def limiter():
    storage = storage_from_string("local://")
    assert isinstance(storage, ratestore.LocalStorage)
    return MovingWindowRateLimiter(storage)


def test_a_moving_window_admits_exactly_the_limit_then_frees_hits_as_they_age(clock, limiter):
    three = parse("3 per minute")
    start = clock.now
    for second in (0, 10, 20):
        clock.now = start + second
        assert limiter.hit(three, "attendee:1")
    assert not limiter.hit(three, "attendee:1")
    assert not limiter.test(three, "attendee:1")
    assert limiter.hit(three, "attendee:2"), "another key has its own window"
    clock.now = start + 60.5   # the first hit has left the window; the others are 50.5 and 40.5 s old
    assert limiter.test(three, "attendee:1")
    assert limiter.hit(three, "attendee:1")
    assert not limiter.hit(three, "attendee:1")


def test_window_stats_say_how_many_remain_and_when_the_oldest_hit_leaves(clock, limiter):
    five = parse("5 per minute")
    limiter.hit(five, "ip:10.0.0.1")
    clock.now += 15
    limiter.hit(five, "ip:10.0.0.1", cost=2)
    stats = limiter.get_window_stats(five, "ip:10.0.0.1")
    assert stats.remaining == 2
    assert stats.reset_time == pytest.approx(clock.now - 15 + 60)
    assert not limiter.hit(five, "ip:10.0.0.1", cost=3)
    assert not limiter.hit(five, "ip:10.0.0.1", cost=6), "more than the limit at once is refused outright"


def test_a_key_keeps_only_the_hits_inside_its_window(clock, limiter):
    ten = parse("10 per minute")
    for _ in range(500):
        limiter.hit(ten, "attendee:7")
        clock.now += 1
    [(window, hits)] = limiter.storage._hits.values()
    assert window == 60 and len(hits) == 10


def test_idle_keys_are_swept_without_a_timer_thread(clock, limiter):
    minute = parse("100 per minute")
    for n in range(50):
        limiter.hit(minute, f"ip:10.0.0.{n}")
    assert len(limiter.storage._hits) == 50
    clock.now += ratestore.SWEEP_EVERY + 61
    limiter.hit(minute, "ip:192.0.2.1")        # any request past the sweep interval sweeps
    [key] = limiter.storage._hits
    assert "ip:192.0.2.1" in key


def test_clear_and_reset(clock, limiter):
    one = parse("1 per hour")
    assert limiter.hit(one, "a") and not limiter.hit(one, "a")
    limiter.clear(one, "a")
    assert limiter.hit(one, "a")
    assert limiter.storage.reset() == 1
    assert limiter.hit(one, "a")

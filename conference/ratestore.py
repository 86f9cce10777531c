"""`local://`: rate-limit counters kept in this process, for the moving-window strategy.

The `limits` package's own `memory://` store runs a timer thread that walks every counter of
every client to drop old entries, so its cost grows with the number of phones rather than with
the requests (docs/benchmarks.md measures it). This store keeps each key's hits as an
ascending list of timestamps and trims a key's expired hits when that key is read or hit, so the
work is proportional to the request in hand; keys nobody used for a window are dropped by a
sweep at most once a minute, on a request, not on a thread.

Like `memory://`, each gunicorn worker counts on its own: use `redis://` to share counters.
"""
from __future__ import annotations

import threading
import time
from bisect import bisect_left

from limits.storage import MovingWindowSupport, Storage

SWEEP_EVERY = 60.0


class LocalStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["local"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._lock = threading.Lock()
        self._hits: dict[str, tuple[int, list[float]]] = {}      # key -> (window seconds, timestamps)
        self._counters: dict[str, tuple[float, int]] = {}         # key -> (expires at, count)
        self._swept = time.time()

    @property
    def base_exceptions(self):  # pragma: no cover - nothing here raises storage errors
        return ValueError

    # --- moving window ---------------------------------------------------------------------------

    def _window(self, key: str, expiry: int, now: float) -> list[float]:
        """The key's hits within the last `expiry` seconds (older ones are dropped). Under the lock."""
        if now - self._swept > SWEEP_EVERY:
            self._sweep(now)
        entry = self._hits.get(key)
        if entry is None:
            hits: list[float] = []
            self._hits[key] = (expiry, hits)
            return hits
        hits = entry[1]
        old = bisect_left(hits, now - expiry)
        if old:
            del hits[:old]
        return hits

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self._lock:
            hits = self._window(key, expiry, now)
            if len(hits) + amount > limit:
                return False
            hits.extend([now] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(when the window's oldest hit happened, or now; how many hits the window holds)."""
        now = time.time()
        with self._lock:
            hits = self._window(key, expiry, now)
            return (hits[0] if hits else now), len(hits)

    def _sweep(self, now: float) -> None:
        self._swept = now
        for key, (expiry, hits) in list(self._hits.items()):
            if not hits or hits[-1] < now - expiry:
                del self._hits[key]
        for key, (expires, _) in list(self._counters.items()):
            if expires <= now:
                del self._counters[key]

    # --- fixed-window counters (the base interface; the app configures moving windows) -----------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            expires, count = self._counters.get(key, (0.0, 0))
            if expires <= now:
                expires, count = now + expiry, 0
            self._counters[key] = (expires, count + amount)
            return count + amount

    def get(self, key: str) -> int:
        expires, count = self._counters.get(key, (0.0, 0))
        return count if expires > time.time() else 0

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (time.time(), 0))[0]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._hits) + len(self._counters)
            self._hits.clear()
            self._counters.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
            self._counters.pop(key, None)

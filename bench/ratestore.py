"""The rate-limit stores side by side: CPU per counted request of `memory://` (the limits package's)
and `local://` (conference/ratestore.py), with many live keys, as after a venue's sign-in requests
(each address asked for keeps a key for a day).

    python bench/ratestore.py [LIVE_KEYS ...]      (default: 200 4000)

For each number of live keys and each store, in alternating rounds: that many keys hit once with a
one-day window, then 5 s of hits on a one-minute window at about 200 a second (the process's CPU,
so `memory://`'s timer thread counts too). Prints Markdown.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import conference.ratestore  # noqa: E402,F401  (registers local://)
from limits import parse  # noqa: E402
from limits.storage import storage_from_string  # noqa: E402
from limits.strategies import MovingWindowRateLimiter  # noqa: E402

STORES = ("memory://", "local://")


def cpu_per_hit(uri: str, live_keys: int, seconds: float = 5.0) -> float:
    """Milliseconds of this process's CPU per hit."""
    limiter = MovingWindowRateLimiter(storage_from_string(uri))
    day, minute = parse("10 per day"), parse("10 per minute")
    for n in range(live_keys):
        limiter.hit(day, f"email:{n}")
    time.sleep(0.5)
    start, began, hits = time.process_time(), time.monotonic(), 0
    while time.monotonic() - began < seconds:
        limiter.hit(minute, f"ip:{hits % 50}")
        hits += 1
        time.sleep(0.005)
    spent = time.process_time() - start
    timer = getattr(limiter.storage, "timer", None)
    if timer is not None:
        timer.cancel()
    return spent * 1000 / hits


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [200, 4000]
    print("| live keys | " + " | ".join(f"`{uri}` ms CPU per hit" for uri in STORES) + " |")
    print("|---:|" + "---:|" * len(STORES))
    for size in sizes:
        figures = {uri: [] for uri in STORES}
        for _ in range(3):
            for uri in STORES:
                figures[uri].append(cpu_per_hit(uri, size))
        print(f"| {size:,} | " + " | ".join(f"{statistics.median(figures[uri]):.3f}" for uri in STORES) + " |")


if __name__ == "__main__":
    main()

"""The service's clock: epoch milliseconds. Tests replace ``now_ms`` to move time."""

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000

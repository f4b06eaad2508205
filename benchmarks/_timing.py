"""Timing helper shared by the benchmark scripts."""
import time


def best_time(fn, repeat=3):
    """Best wall time [s] of ``repeat`` calls of fn() after one warm-up call (table builds, page faults)."""
    fn()
    times = []
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)

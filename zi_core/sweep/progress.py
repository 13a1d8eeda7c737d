"""A dependency-free progress bar: runs done, runs/s and time left."""
from __future__ import annotations

import sys
import time


def _fmt_time(seconds):
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "--:--"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Draws ``[####....] done/total  rate runs/s  ETA`` on one terminal line.

    ``enabled=None`` draws only when ``file`` is a terminal. Runs found already
    in the store count as done but not in the rate.
    """

    def __init__(self, total, done=0, enabled=None, file=None, min_interval=0.2, width=28):
        self.file = file or sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.file, "isatty", lambda: False)())
        self.enabled = enabled
        self.total = int(total)
        self.done = int(done)
        self.start_done = int(done)
        self.t0 = time.perf_counter()
        self.min_interval = min_interval
        self.width = width
        self._last = 0.0
        self._drawn = False
        self._drawn_at = None

    @property
    def rate(self):
        dt = time.perf_counter() - self.t0
        n = self.done - self.start_done
        return n / dt if dt > 0 and n > 0 else 0.0

    def update(self, n=1, force=False):
        self.done += int(n)
        if not self.enabled:
            return
        now = time.perf_counter()
        if force or now - self._last >= self.min_interval or self.done >= self.total:
            self._last = now
            self._draw()

    def _draw(self):
        frac = self.done / self.total if self.total else 1.0
        fill = int(round(frac * self.width))
        rate = self.rate
        left = (self.total - self.done) / rate if rate > 0 else None
        line = (f"\r[{'#' * fill}{'.' * (self.width - fill)}] {self.done}/{self.total} runs "
                f"{rate:8.1f} runs/s  ETA {_fmt_time(left)} ")
        self.file.write(line)
        self.file.flush()
        self._drawn = True
        self._drawn_at = self.done

    def close(self):
        if self.enabled:
            if self._drawn_at != self.done:
                self._draw()
            if self._drawn:
                self.file.write("\n")
                self.file.flush()

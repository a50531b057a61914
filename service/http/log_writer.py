"""A log handler whose writes to the stream happen on a thread of their own.

A uvicorn worker logs from its event loop (the access line of every request). Written there
directly, a stream that stops taking bytes (a pipe nobody drains, a stalled log shipper) would
freeze the loop and with it every request of that worker. Here the loop only formats the line (in
its own context, so the request id is still known) and puts it on a bounded queue; one daemon
thread writes the lines out. When the queue is full a line is dropped and counted, never waited
for, and the count is written as a warning as soon as the stream takes lines again.

A process that ends by a signal runs no exit handlers, and uvicorn ends that way: after a graceful
shutdown on SIGTERM it restores the handler it found and raises the signal again. With
`drain_on_sigterm` the handler found is this module's: it writes what is still queued (at most
FLUSH_SECONDS), then lets SIGTERM end the process as it would have.

Imports nothing heavy: uvicorn workers load it through the logging configuration.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import threading
import time
import weakref
from types import FrameType
from typing import TextIO

DEFAULT_CAPACITY = 10_000  # lines; at ~300 bytes each about 3 MB held at most
FLUSH_SECONDS = 2.0  # at exit, how long to wait for the queue to drain into a slow stream


class BackgroundStreamHandler(logging.Handler):
    """Format in the caller's thread, write to `stream` on a background thread (see module)."""

    def __init__(
        self, stream: TextIO | None = None, capacity: int = DEFAULT_CAPACITY, drain_on_sigterm: bool = False
    ) -> None:
        super().__init__()
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.capacity = capacity
        self.dropped = 0  # lines dropped since the last notice was written
        self._queue: queue.Queue[str] = queue.Queue(maxsize=capacity)
        self._writer: threading.Thread | None = None
        self._writer_pid: int | None = None
        self._start_lock = threading.Lock()
        # not the handler's own lock: logging.shutdown holds that while it waits in flush()
        self._count_lock = threading.Lock()
        if drain_on_sigterm:
            _drain_on_sigterm(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._start_writer()
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            with self._count_lock:
                self.dropped += 1

    def flush(self) -> None:
        """At most FLUSH_SECONDS for the queued lines to be written (logging.shutdown calls this)."""
        self.drain(FLUSH_SECONDS)

    def drain(self, timeout: float) -> bool:
        """Wait until every queued line is written, at most `timeout` seconds; True when it was."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and self._writer_alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        self.flush()
        super().close()

    def _writer_alive(self) -> bool:
        return self._writer is not None and self._writer.is_alive() and self._writer_pid == os.getpid()

    def _start_writer(self) -> None:
        """Start the writer thread on first use, and again in a forked child (threads do not cross
        a fork; the queue's lock may have been held at the fork, so the child takes a new queue)."""
        if self._writer_alive():
            return
        with self._start_lock:
            if self._writer_alive():
                return
            if self._writer_pid is not None and self._writer_pid != os.getpid():
                self._queue = queue.Queue(maxsize=self.capacity)
            self._writer_pid = os.getpid()
            self._writer = threading.Thread(
                target=self._write_forever, name="leerpad-log-writer", daemon=True
            )
            self._writer.start()

    def _write_forever(self) -> None:
        lines = self._queue
        while True:
            line = lines.get()
            try:
                self._write(line)
                with self._count_lock:
                    dropped, self.dropped = self.dropped, 0
                if dropped:
                    self._write(self.format(_dropped_notice(dropped)))
            finally:
                lines.task_done()

    def _write(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except Exception:  # a closed or broken stream: there is nowhere left to say so
            pass


def _dropped_notice(count: int) -> logging.LogRecord:
    return logging.LogRecord(
        "leerpad.log",
        logging.WARNING,
        __file__,
        0,
        "%d log lines were dropped: the log stream did not take them fast enough",
        (count,),
        None,
    )


_DRAINED_AT_SIGTERM: weakref.WeakSet[BackgroundStreamHandler] = weakref.WeakSet()


def _drain_then_end(signum: int, frame: FrameType | None) -> None:
    """SIGTERM's handler: write what every registered handler still holds, then end by SIGTERM."""
    for handler in list(_DRAINED_AT_SIGTERM):
        handler.drain(FLUSH_SECONDS)
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def _drain_on_sigterm(handler: BackgroundStreamHandler) -> None:
    """Register the handler, and install `_drain_then_end` for SIGTERM when nothing else handles it
    (only the main thread may; a program's own SIGTERM handler is left alone)."""
    _DRAINED_AT_SIGTERM.add(handler)
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, _drain_then_end):
        signal.signal(signal.SIGTERM, _drain_then_end)

"""The log handler never blocks its caller: a stream nobody drains costs dropped lines (counted and
reported), not a frozen event loop."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from service.http.log_writer import BackgroundStreamHandler
from service.http.request_log import JsonFormatter, _request_id

ROOT = Path(__file__).resolve().parents[2]


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("leerpad.test", logging.INFO, __file__, 1, message, (), None)


def test_lines_are_written_in_order_and_formatted_in_the_callers_context() -> None:
    stream = io.StringIO()
    handler = BackgroundStreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    token = _request_id.set("req-42")
    try:
        for number in range(200):
            handler.handle(_record(f"line {number}"))
    finally:
        _request_id.reset(token)
    assert handler.drain(timeout=10)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 200
    assert '"message": "line 0"' in lines[0] and '"message": "line 199"' in lines[-1]
    assert all('"request_id": "req-42"' in line for line in lines)  # read in the caller's context


def test_a_stream_nobody_reads_does_not_block_the_caller_and_the_loss_is_reported() -> None:
    read_end, write_end = os.pipe()  # a pipe's buffer is 64 KiB on Linux: it fills at once
    stream = os.fdopen(write_end, "w", buffering=1)
    handler = BackgroundStreamHandler(stream, capacity=50)
    handler.setFormatter(logging.Formatter("%(message)s"))
    payload = "x" * 4000  # the pipe holds ~16 such lines, the queue 50: neither can take 2000

    def log_many() -> None:
        for number in range(2000):
            handler.handle(_record(f"{number} {payload}"))

    caller = threading.Thread(target=log_many)
    caller.start()
    caller.join(timeout=30)
    assert not caller.is_alive(), "the caller was blocked by a stream nobody reads"
    assert not handler.drain(timeout=0.2)  # the writer is stuck on the full pipe, lines still queued

    received = bytearray()
    reader = threading.Thread(target=lambda: _drain(read_end, received), daemon=True)
    reader.start()
    assert handler.drain(timeout=20)  # once the stream is read again, the queue drains
    handler.handle(_record("after the stall"))
    assert handler.drain(timeout=20)
    stream.close()
    reader.join(timeout=20)
    lines = received.decode().splitlines()
    assert lines[-1] == "after the stall"
    written = [line for line in lines if line.endswith(payload)]
    notices = [re.fullmatch(r"(\d+) log lines were dropped: .*", line) for line in lines]
    dropped = sum(int(notice.group(1)) for notice in notices if notice)
    assert 0 < len(written) < 2000 and dropped > 0
    assert len(written) + dropped == 2000  # every line is either written or counted as dropped
    numbers = [int(line.split(" ", 1)[0]) for line in written]
    assert numbers == sorted(numbers)  # in the order they were logged


def _drain(fd: int, into: bytearray) -> None:
    while chunk := os.read(fd, 65536):
        into.extend(chunk)
    os.close(fd)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        BackgroundStreamHandler(io.StringIO(), capacity=0)


def test_lines_logged_just_before_sigterm_are_written() -> None:
    """uvicorn ends a worker by raising SIGTERM again after its last log lines; no exit handler runs
    then, so the handler drains its queue from SIGTERM's handler before the process ends."""
    code = (
        "import logging, signal\n"
        "from service.http.request_log import configure_logging\n"
        "configure_logging('text', 'info')\n"
        "for number in range(300):\n"
        "    logging.getLogger('leerpad').info('line %d', number)\n"
        "signal.raise_signal(signal.SIGTERM)\n"
        "print('not reached')\n"
    )
    done = _python(code)
    assert done.returncode == -signal.SIGTERM  # it still ends as SIGTERM ends a process
    assert "not reached" not in done.stdout
    assert [line.split(": ", 1)[1] for line in done.stderr.splitlines()] == [f"line {n}" for n in range(300)]


def test_a_programs_own_sigterm_handler_is_left_alone() -> None:
    code = (
        "import signal\n"
        "mine = lambda *_: None\n"
        "signal.signal(signal.SIGTERM, mine)\n"
        "from service.http.request_log import configure_logging\n"
        "configure_logging('json', 'info')\n"
        "assert signal.getsignal(signal.SIGTERM) is mine\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)

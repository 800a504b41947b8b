"""Encoding a snapshot in a forked child, so that the event loop does not pause for it.

A shared library: the queue's snapshots of its partitions (``services/queue/snapshots.py``,
QUEUE_SNAPSHOT_ENCODER) and intake's snapshots of its read model (``services/intake/view_snapshots.py``,
INTAKE_SNAPSHOT_ENCODER) both use it. Their states are mutated in place, so an encoding spread over
several loop turns would see a state that changes under it. ``fork()`` between two batches gives the child a consistent
copy-on-write view of the state at that instant for free (as Redis does for its RDB files);
the loop pauses only for the fork itself (page tables: ~ms per GB of heap). The child encodes
with the same pure ``encode`` the inline path uses (same bytes), writes them to a pipe and
leaves with ``os._exit``: it never touches the event loop, a socket, a lock or a logger it
inherited (faust, aiokafka and the ASGI server have threads, which do not exist in the child). The parent
reads the pipe in a worker thread (``os.read`` releases the GIL) and reaps the child there.

The stream is an 8-byte big-endian length, then that many bytes. A child that dies (killed,
out of memory, an exception) leaves a short stream or a non-zero exit status: the read raises
``SnapshotEncodeFailed`` and the snapshot is not written (no manifest without all chunks).
If the parent dies, the child's next write hits a closed pipe and it exits.

``SnapshotEncoding`` is what the services use: the fork, or with ``fork=False`` (a setting's
``inline``, unit tests, a platform without ``fork``) the same encoding on the loop, timed alike.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import os
import signal
import struct
import time
from collections.abc import Callable
from typing import NoReturn

_HEADER = struct.Struct("!Q")
_F_SETPIPE_SZ = 1031  # Linux: a larger pipe buffer means fewer wake-ups of the reading thread


class SnapshotEncodeFailed(RuntimeError):
    """The forked encoder did not deliver the whole snapshot."""


class SnapshotEncoding:
    """A snapshot's bytes on their way, in chunks of at most ``chunk_bytes``: encoded in a forked
    child (``fork``) or on the loop right here; ``chunks()`` awaits them."""

    def __init__(self, encode: Callable[[], bytes], chunk_bytes: int, fork: bool) -> None:
        """Start now (the state as it is at this instant); OSError if the fork failed."""
        started = time.perf_counter()
        self.fork = fork and hasattr(os, "fork")
        self.chunk_bytes = chunk_bytes
        self._child = ForkedEncoding(encode) if self.fork else None
        self._inline = None if self.fork else cut_chunks(encode(), chunk_bytes)
        self.pause_ms = (time.perf_counter() - started) * 1000  # the loop's pause: the fork or the encoding
        self.ready_ms = 0.0  # then, until the bytes were all there (in the background)

    async def chunks(self) -> list[bytes]:
        """The chunks; SnapshotEncodeFailed if the child failed."""
        started = time.perf_counter()
        chunks = self._inline if self._child is None else await self._child.chunks(self.chunk_bytes)
        self.ready_ms = (time.perf_counter() - started) * 1000
        assert chunks is not None
        return chunks

    def timing(self, write_ms: float) -> str:
        """For the log line of a written snapshot (benchmarks read "the loop's pause X ms")."""
        how = "fork" if self.fork else "encode on the loop"
        return (
            f"the loop's pause {self.pause_ms:.1f} ms ({how}), then {self.ready_ms:.1f} ms until the "
            f"bytes were ready and {write_ms:.1f} ms to write (in the background)"
        )


def cut_chunks(blob: bytes, chunk_bytes: int) -> list[bytes]:
    """``blob`` cut into chunks of at most ``chunk_bytes`` (one empty chunk for no bytes)."""
    return [blob[i : i + chunk_bytes] for i in range(0, len(blob), chunk_bytes)] or [b""]


class ForkedEncoding:
    """One snapshot being encoded by a child process; ``chunks()`` awaits its bytes."""

    def __init__(self, encode: Callable[[], bytes]) -> None:
        """Fork now: the child encodes the state as it is at this instant."""
        read_fd, write_fd = os.pipe()
        try:
            fcntl.fcntl(write_fd, _F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size: the default buffer works, with more wake-ups
        try:
            pid = os.fork()
        except OSError:  # no memory or process slot for a child: no snapshot this time
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:
            _child(encode, read_fd, write_fd)
        os.close(write_fd)
        self.pid, self._fd = pid, read_fd

    async def chunks(self, chunk_bytes: int) -> list[bytes]:
        """The encoded snapshot cut into chunks of at most ``chunk_bytes``; SnapshotEncodeFailed if the child failed."""
        return await asyncio.to_thread(_read_and_reap, self.pid, self._fd, chunk_bytes)


def _child(encode: Callable[[], bytes], read_fd: int, write_fd: int) -> NoReturn:
    code = 1
    try:
        os.close(read_fd)
        # A signal must not reach the parent's loop through the inherited wake-up fd.
        try:
            signal.set_wakeup_fd(-1)
        except ValueError:  # forked from a thread other than the main one: no wake-up fd to drop
            pass
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        gc.disable()  # short-lived: a collection would only copy pages the parent shares with us
        blob = encode()
        _write_all(write_fd, _HEADER.pack(len(blob)))
        _write_all(write_fd, memoryview(blob))
        code = 0
    except BaseException:  # noqa: BLE001  (whatever it was, the parent sees a failed encoding)
        code = 1
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(f: object, n: int) -> bytes:
    data = f.read(n)  # type: ignore[attr-defined]  # BufferedReader.read loops until n or EOF
    return data if data is not None else b""


def _read_and_reap(pid: int, fd: int, chunk_bytes: int) -> list[bytes]:
    chunks: list[bytes] = []
    expected = received = -1
    try:
        with os.fdopen(fd, "rb") as f:
            header = _read_exactly(f, _HEADER.size)
            if len(header) == _HEADER.size:
                (expected,) = _HEADER.unpack(header)
                received = 0
                while received < expected:
                    chunk = _read_exactly(f, min(chunk_bytes, expected - received))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    received += len(chunk)
    finally:
        _, status = os.waitpid(pid, 0)  # always reaped: no zombie, whatever happened
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or expected < 0 or received != expected:
        raise SnapshotEncodeFailed(
            f"the snapshot encoder (pid {pid}) exited with {code} after {max(received, 0)} of "
            f"{expected if expected >= 0 else '?'} bytes"
        )
    return chunks or [b""]  # as cut_chunks

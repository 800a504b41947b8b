"""Random ids and nonces from one buffered read of the OS's random source.

``uuid.uuid4()`` reads ``os.urandom(16)`` (one getrandom syscall) per id and builds a UUID
object; intake makes two or three ids and two AES-GCM nonces per submission. Here one
``os.urandom`` call fills a 4 KiB block that serves ~250 ids. The bytes are the same
kernel CSPRNG output, so the ids stay unguessable where they are exposed (case ids in
answers and URLs) and the nonces never repeat by construction of the source, not by a
counter. A forked child starts with an empty block (``os.register_at_fork``), so parent
and child never hand out the same bytes (uvicorn's ``--workers``, multiprocessing).
"""

from __future__ import annotations

import os
import threading

_BLOCK = 4096
# version 4 in bits 76-79, variant 0b10 in bits 62-63 (what uuid.UUID(version=4) sets)
_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_SET = (0x4 << 76) | (0x2 << 62)


class _Pool:
    """Unused random bytes; taken front to back, refilled when short. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buf = b""
        self._at = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._at + n > len(self._buf):
                self._buf, self._at = os.urandom(max(_BLOCK, n)), 0
            out = self._buf[self._at : self._at + n]
            self._at += n
            return out

    def forget(self) -> None:
        """Drop what is left (after fork: the child must not reuse the parent's bytes)."""
        self._lock = threading.Lock()
        self._buf, self._at = b"", 0


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.forget)


def random_bytes(n: int) -> bytes:
    """``n`` bytes of the kernel's CSPRNG (like ``os.urandom(n)``), from the buffered block."""
    return _pool.take(n)


def uuid4_hex() -> str:
    """A random UUID (version 4, RFC 9562) as 32 hex characters, like ``uuid.uuid4().hex``."""
    return "%032x" % (int.from_bytes(_pool.take(16)) & _CLEAR | _SET)

"""The buffered random source behind event/case ids and AES-GCM nonces."""

from __future__ import annotations

import os
import uuid

from proto.events import new_id
from proto.random_ids import random_bytes, uuid4_hex


def test_ids_are_version_4_uuids_in_hex_like_uuid4() -> None:
    for _ in range(2000):
        text = uuid4_hex()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert parsed.hex == text


def test_ids_do_not_repeat_across_many_refills_of_the_block() -> None:
    ids = {new_id() for _ in range(50_000)}  # ~200 blocks of 4 KiB
    assert len(ids) == 50_000


def test_random_bytes_have_the_asked_length_also_longer_than_a_block() -> None:
    assert len(random_bytes(12)) == 12
    assert len(random_bytes(10_000)) == 10_000
    assert random_bytes(12) != random_bytes(12)


def test_a_forked_child_never_hands_out_the_bytes_its_parent_holds() -> None:
    random_bytes(1)  # the parent holds a partly used block
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it takes next
        os.write(write, random_bytes(64))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    parent = random_bytes(64)
    assert len(child) == 64
    assert child != parent

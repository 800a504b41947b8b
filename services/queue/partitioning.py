"""Which partition a region belongs to: the Java client's murmur2 partitioner.

Every input the queue reads is keyed by region, and a region's heap lives with the
worker that owns the partition ``murmur2(region) % partitions``. A producer using another
partitioner (librdkafka's default is CRC32-based ``consistent_random``) can put a region on
another partition; the worker re-routes such records (see docs/queue.md).
"""

from __future__ import annotations

from functools import lru_cache

from aiokafka.partitioner import murmur2


@lru_cache(maxsize=4096)
def region_partition(region: str, partitions: int) -> int:
    """The partition the Java client (and aiokafka, and faust) assigns to key ``region``."""
    return (murmur2(region.encode()) & 0x7FFFFFFF) % partitions

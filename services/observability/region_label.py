"""The ``region`` label of every metric: one of the 21 region codes, or ``other``.

A label value per distinct input would let a client mint time series at will
(``region="stockholm"``, typos, attacks); bounding it keeps every region metric at most
22 series per other label combination, as docs/metrics.md promises.
"""

from __future__ import annotations

from proto.regions import REGIONS

OTHER = "other"
REGION_LABELS = (*sorted(REGIONS), OTHER)


def region_label(region: object) -> str:
    """``region`` if it is one of the 21 ISO 3166-2:SE codes, else ``other``."""
    return region if isinstance(region, str) and region in REGIONS else OTHER

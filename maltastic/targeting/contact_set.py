"""A compact set of known contact addresses for the targeting rules.

Each normalised address is kept as a 64-bit BLAKE2b digest in a sorted array: 8 bytes
per contact instead of a Python string. Two different addresses share a digest with a
probability of about n² / 2⁶⁵ (about 3 · 10⁻⁸ for a million contacts), and such a
collision would only make one address count as a known contact.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable


def address_digest(address: str) -> int:
    digest = hashlib.blake2b(address.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class KnownContactSet:
    def __init__(self, normalised_addresses: Iterable[str]) -> None:
        self._digests = array("q", sorted({address_digest(a) for a in normalised_addresses}))

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        digest = address_digest(address)
        position = bisect_left(self._digests, digest)
        return position < len(self._digests) and self._digests[position] == digest

    def __len__(self) -> int:
        return len(self._digests)

    def memory_bytes(self) -> int:
        return self._digests.itemsize * len(self._digests)

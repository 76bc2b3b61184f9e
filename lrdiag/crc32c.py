"""CRC-32C (Castagnoli) as TFRecord uses it: one table shared by the event reader and writer.

``crc = T[(crc ^ byte) & 0xFF] ^ (crc >> 8)`` over the bytes (register starting at 0xFFFFFFFF,
inverted at the end), and TFRecord stores ``mask(crc) = ((crc >> 15) | (crc << 17)) + 0xA282EAD8``
(mod 2^32).
"""

from __future__ import annotations

import numpy as np

POLY = 0x82F63B78  # CRC-32C, reflected
MASK_DELTA = 0xA282EAD8


def _make_table() -> np.ndarray:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ POLY, t >> 1).astype(np.uint32)
    return t


#: ``TABLE[b]``: the register after processing byte ``b`` from register 0.
TABLE = _make_table()
_TABLE_LIST = [int(v) for v in TABLE]  # Python ints: the scalar loop is faster on a list


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (pure Python; fine for short or rare records)."""
    crc = 0xFFFFFFFF
    t = _TABLE_LIST
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_rows(rows: np.ndarray) -> np.ndarray:
    """CRC-32C of each row of a ``[n, L]`` uint8 matrix: one table look-up per byte position."""
    crc = np.full(rows.shape[0], 0xFFFFFFFF, dtype=np.uint32)
    for j in range(rows.shape[1]):
        crc = TABLE[(crc ^ rows[:, j]) & 0xFF] ^ (crc >> np.uint32(8))
    return crc ^ np.uint32(0xFFFFFFFF)


def mask(crc):
    """TFRecord's masked CRC, for a Python int or a numpy uint32 array (wrapping mod 2^32)."""
    if isinstance(crc, np.ndarray):
        crc = crc.astype(np.uint32, copy=False)
        return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(MASK_DELTA)
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF

"""Multibase base58btc ('z' + base58, Bitcoin alphabet), as Data Integrity proofs use it."""

from __future__ import annotations

from typing import Any

import base58


def encode(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def decode(value: Any) -> bytes | None:
    """The bytes of a base58btc multibase string; None for anything else (never raises)."""
    if not isinstance(value, str) or not value.startswith("z") or not value.isascii():
        return None
    try:
        return base58.b58decode(value[1:])
    except ValueError:
        return None

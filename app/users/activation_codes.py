"""Activation codes: what an admin prints for a person to set their first password — pure.

12 Crockford base32 symbols in three groups ("7KQ2-M9XD-4RTA"): 60 random bits, typed by
hand from paper, so spaces, dashes, lower case and O/I/L for 0/1 are all forgiven.
"""

from __future__ import annotations

import hashlib
import re
import secrets

# Crockford base32: no I, L, O or U, so a code read aloud or copied by hand survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_GROUPS = 3
_GROUP_LENGTH = 4  # 12 symbols x 5 bits = 60 bits
# What people type for the symbols Crockford leaves out.
_TYPED_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_activation_code() -> tuple[str, str]:
    """A fresh code to hand out ("7KQ2-M9XD-4RTA") and the sha256 hex to store.

    A fast hash is enough here, unlike for passwords: the code is 60 random bits, not
    something a person chose, and it is looked up by its hash.
    """
    symbols = "".join(secrets.choice(_CROCKFORD) for _ in range(_CODE_GROUPS * _GROUP_LENGTH))
    groups = [symbols[i : i + _GROUP_LENGTH] for i in range(0, len(symbols), _GROUP_LENGTH)]
    code = "-".join(groups)
    return code, activation_code_hash(code)


def normalize_activation_code(code: str) -> str:
    """Upper case without spaces or dashes, with O/I/L read as 0/1 (as Crockford intends)."""
    return re.sub(r"[\s-]+", "", code).upper().translate(_TYPED_LOOKALIKES)


def activation_code_hash(code: str) -> str:
    """sha256 hex of the normalised code, so "7kq2 m9xd 4rta" matches "7KQ2-M9XD-4RTA"."""
    return hashlib.sha256(normalize_activation_code(code).encode()).hexdigest()

"""Random bits from the operating system's CSPRNG (RMAs must be unguessable)."""

from __future__ import annotations

import secrets


class SystemRandomBits:
    """RandomBits from `secrets`."""

    def bits(self, count: int) -> int:
        return secrets.randbits(count)

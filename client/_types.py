"""Enumerations shared with the contracts; their numbers must match the Solidity enums."""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    """A member's role (IParticipantRegistry.Role)."""

    NONE = 0
    WAREHOUSE = 1
    LENDER = 2
    CORE_ENTERPRISE = 3
    SUPPLIER = 4
    INSPECTOR = 5
    AUDITOR = 6
    REGULATOR = 7
    PRICE_PUBLISHER = 8

    @classmethod
    def parse(cls, text: str) -> Role:
        """Accepts `warehouse`, `WAREHOUSE`, `core-enterprise`, `core_enterprise` or `bank` (= lender)."""
        key = text.strip().upper().replace("-", "_").replace(" ", "_")
        if key == "BANK":
            key = "LENDER"
        if key in cls.__members__ and key != "NONE":
            return cls[key]
        choices = ", ".join(r.label for r in cls if r is not cls.NONE)
        raise ValueError(f"unknown role {text!r}; choose one of: {choices}")

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


class MemberStatus(IntEnum):
    """A member's standing (IParticipantRegistry.Status)."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3

    @property
    def label(self) -> str:
        return self.name.lower()

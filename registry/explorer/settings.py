"""The explorer's own setting, from the same LEDGERHOUSE_REGISTRY_* environment as the service's."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExplorerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERHOUSE_REGISTRY_", extra="ignore")

    # A devnet has no block explorer, so transactions link to the explorer's own page, which lists
    # the events the registry indexed from them. Point this at a real one where there is one, e.g.
    # Otterscan: LEDGERHOUSE_REGISTRY_EXPLORER_TX_URL='http://localhost:5100/tx/{hash}'.
    explorer_tx_url: str | None = Field(
        None, description="Template for transaction links with {hash}; default: /explorer/tx/{hash}"
    )

    @field_validator("explorer_tx_url")
    @classmethod
    def _names_the_hash(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value is not None and "{hash}" not in value:
            raise ValueError("explorer_tx_url must contain {hash}, e.g. http://localhost:5100/tx/{hash}")
        if value is not None and not value.startswith(("http://", "https://", "/")):
            raise ValueError("explorer_tx_url must be an http(s) URL or a path starting with /")
        return value

"""The registry service's settings, from LEDGERHOUSE_REGISTRY_* environment variables or the CLI."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERHOUSE_REGISTRY_", extra="ignore")

    rpc_url: str = Field("http://127.0.0.1:8545", description="JSON-RPC URL of the chain to index")
    deployment: Path | None = Field(None, description="Deployment manifest (default: found by chain id)")
    data_dir: Path = Field(Path(".registry"), description="SQLite database and document store live here")
    db_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite in data_dir, or postgresql+psycopg://..."
    )
    # QBFT blocks are final at once; on chains that can reorganise, index only this deep behind head.
    confirmations: int = Field(0, ge=0, le=1_000)
    # How far back a reorganisation can be undone from the journal; deeper ones trigger a re-index.
    reorg_window: int = Field(64, ge=1, le=10_000)
    # A chain that seals on a period (Clique, QBFT) has halted when no block comes for this long:
    # /health then says "no new block for N s". 0 never says so (anvil mines only when sent something).
    stall_after_s: float = Field(0, ge=0, le=86_400)
    log_chunk_blocks: int = Field(2_000, ge=1, le=100_000)
    poll_interval_s: float = Field(0.5, gt=0, le=60)
    index: bool = Field(True, description="Run the indexer in this process")
    session_ttl_s: int = Field(900, ge=30, le=86_400)
    # No default on purpose: without one, a random secret is made at start (sessions end on restart).
    session_secret: SecretStr | None = None
    public_url: str = Field("http://127.0.0.1:8000", description="Origin named in sign-in messages")
    max_document_bytes: int = Field(25 * 1024 * 1024, ge=1)
    # POST /auth/challenge per minute and API process: per address asked for, per client IP (behind a
    # proxy, run uvicorn with --proxy-headers so the client is the real one).
    challenges_per_address: int = Field(10, ge=1, le=100_000)
    challenges_per_client: int = Field(60, ge=1, le=1_000_000)

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.data_dir / 'registry.db').resolve()}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

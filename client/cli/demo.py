"""`ledgerhouse demo`: the narrated story on a fresh local chain; exit 0 only if every step held."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from client.demo import run_demo
from client.errors import ConfigurationError


def demo_command(
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="anvil (the default), or geth: four go-ethereum Clique signers (`make geth`), where the "
            "clock cannot be moved, so the voucher is shown refused before its maturity instead of paid",
        ),
    ] = "anvil",
) -> None:
    """Run the Ledgerhouse story on a fresh devnet: admission, stocktake, mint, due diligence and pledge,
    the Qingdao and Shanghai frauds refused, a shortfall, receivables to tier 3, the auditor's view."""
    if engine not in ("anvil", "geth"):
        raise ConfigurationError(f"--engine {engine!r}: pick one of anvil, geth")
    run_demo(Console(highlight=False), engine=engine)

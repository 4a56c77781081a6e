"""`ledgerhouse demo`: the narrated story on a fresh local chain; exit 0 only if every step held."""

from __future__ import annotations

from rich.console import Console

from client.demo import run_demo


def demo_command() -> None:
    """Run the Ledgerhouse story on a fresh devnet: admission, stocktake, mint, due diligence and pledge,
    the Qingdao and Shanghai frauds refused, a shortfall, receivables to tier 3, the auditor's view."""
    run_demo(Console(highlight=False))

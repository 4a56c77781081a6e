"""`ledgerhouse regulator`: judicial freezes of receipts and lifting shortfall freezes of lots."""

from __future__ import annotations

from typing import Annotated

import typer

from client.cli._args import receipt_id
from client.cli._context import cli

app = typer.Typer(help="Regulator: judicial freeze and unfreeze.", no_args_is_help=True)


@app.command()
def freeze(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    reason: Annotated[str, typer.Option("--reason", help="Court order or case reference")],
) -> None:
    """Freeze a receipt: no transfer, split, pledge or delivery until unfrozen."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.freeze(rid, reason)
    c.sent(
        result,
        f"receipt {rid} frozen",
        receipt_id=rid,
        frozen=True,
    )


@app.command()
def unfreeze(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    reason: Annotated[str, typer.Option("--reason", help="Why the freeze is lifted")],
) -> None:
    """Lift a judicial freeze."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.unfreeze(rid, reason)
    c.sent(
        result,
        f"receipt {rid} unfrozen",
        receipt_id=rid,
        frozen=False,
    )


@app.command("unfreeze-lot")
def unfreeze_lot(ctx: typer.Context, lot: Annotated[str, typer.Argument(help="Lot identity")]) -> None:
    """Lift a stocktake-shortfall freeze of a lot without a covering stocktake."""
    c = cli(ctx)
    result = c.ledgerhouse(signer=True).receipts.unfreeze_lot(lot)
    c.sent(
        result,
        f"lot {lot} unfrozen",
        lot=lot,
        frozen=False,
    )

"""`ledgerhouse admin`: the consortium registrar admits, suspends, reinstates and lists members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from client._encoding import parse_day
from client._types import Role
from client.cli._context import cli, stdout
from client.deployment import STANDING_SUBSCRIBERS
from client.errors import InvalidInput

app = typer.Typer(
    help="Consortium registrar: admit, suspend, reinstate, revoke and list members.", no_args_is_help=True
)

DEFAULT_VALIDITY = timedelta(days=365)


@app.command()
def admit(
    ctx: typer.Context,
    role: Annotated[
        str,
        typer.Argument(
            help="warehouse, lender (bank), core-enterprise, supplier, inspector, auditor, regulator"
        ),
    ],
    address: Annotated[str, typer.Argument(help="The member's address (0x + 40 hex digits)")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    entity_id: Annotated[
        str | None,
        typer.Option(
            "--entity-id", help="Legal-entity id (e.g. unified social credit code); its hash goes on chain"
        ),
    ] = None,
    valid_until: Annotated[
        str | None,
        typer.Option("--valid-until", help="KYC validity, YYYY-MM-DD (default: one year from today)"),
    ] = None,
    licence: Annotated[
        str | None, typer.Option("--licence", help="Warehouse: licence number (its hash goes on chain)")
    ] = None,
    years: Annotated[int | None, typer.Option("--years", help="Warehouse: years in operation")] = None,
    capacity: Annotated[
        int | None, typer.Option("--capacity", help="Warehouse: rated capacity in tonnes")
    ] = None,
) -> None:
    """Admit ADDRESS as a member with ROLE."""
    c = cli(ctx)
    try:
        parsed_role = Role.parse(role)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    day = (
        parse_day(valid_until, what="--valid-until")
        if valid_until
        else (datetime.now(UTC) + DEFAULT_VALIDITY).date()
    )
    participants = c.ledgerhouse(signer=True).participants
    if parsed_role is Role.WAREHOUSE:
        missing = [
            flag
            for flag, v in (("--licence", licence), ("--years", years), ("--capacity", capacity))
            if v is None
        ]
        if licence is None or years is None or capacity is None:
            raise InvalidInput(
                f"a warehouse is admitted with its admission record: give {', '.join(missing)}"
            )
        result = participants.admit_warehouse(
            address,
            name=name,
            valid_until=day,
            licence=licence,
            years_in_operation=years,
            rated_capacity_tonnes=capacity,
            entity_id=entity_id,
        )
    else:
        result = participants.admit(address, parsed_role, name=name, valid_until=day, entity_id=entity_id)
    member = participants.member(address)
    assert member is not None
    c.sent(
        result,
        f"admitted {member.address} ({member.name}) as {member.role.label}, "
        f"KYC valid until {day.isoformat()}",
        block=result.block_number,
        member=member.to_json(),
    )


@app.command()
def suspend(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(help="The member's address")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record")],
) -> None:
    """Suspend a member: it can no longer act anywhere in Ledgerhouse."""
    c = cli(ctx)
    result = c.ledgerhouse(signer=True).participants.suspend(address, reason=reason)
    c.sent(
        result,
        f"suspended {address}: {reason}",
        address=address,
        status="suspended",
    )


@app.command()
def reinstate(
    ctx: typer.Context, address: Annotated[str, typer.Argument(help="The member's address")]
) -> None:
    """Reinstate a suspended member."""
    c = cli(ctx)
    result = c.ledgerhouse(signer=True).participants.reinstate(address)
    c.sent(
        result,
        f"reinstated {address}",
        address=address,
        status="active",
    )


@app.command()
def revoke(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(help="The member's address")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record")],
) -> None:
    """Revoke a member for good: the address can never be admitted again."""
    c = cli(ctx)
    result = c.ledgerhouse(signer=True).participants.revoke(address, reason=reason)
    c.sent(
        result,
        f"revoked {address}: {reason}",
        address=address,
        status="revoked",
    )


@app.command("renew-kyc")
def renew_kyc(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(help="The member's address")],
    valid_until: Annotated[str, typer.Option("--valid-until", help="New KYC validity, YYYY-MM-DD")],
) -> None:
    """Set a member's KYC validity date."""
    c = cli(ctx)
    day = parse_day(valid_until, what="--valid-until")
    result = c.ledgerhouse(signer=True).participants.renew_kyc(address, valid_until=day)
    c.sent(
        result,
        f"KYC of {address} valid until {day.isoformat()}",
        address=address,
        valid_until=day.isoformat(),
    )


@app.command("list")
def list_members(ctx: typer.Context) -> None:
    """List every member ever admitted, with its current standing as the chain judges it now."""
    c = cli(ctx)
    lh = c.ledgerhouse(signer=False)
    members = lh.participants.members()
    if c.json_output:
        c.emit({"chain_id": lh.chain_id, "members": [m.to_json() for m in members]}, "")
        return
    table = Table(title=f"Ledgerhouse members on chain {lh.chain_id}")
    for column in ("address", "dev name", "name", "role", "status", "KYC valid until"):
        table.add_column(column)
    for m in members:
        status = m.status.label if m.active or m.status.label != "active" else "expired"
        table.add_row(
            m.address,
            lh.labels.get(m.address.lower(), ""),
            m.name,
            m.role.label,
            status,
            m.valid_until.date().isoformat(),
        )
    stdout.print(table)


@app.command()
def subscribe(ctx: typer.Context) -> None:
    """Have the registry push member standing to the receipts and receivables contracts (consortium
    admin), and push every member admitted so far. Needed once after `deploy --admin` named another admin."""
    c = cli(ctx)
    lh = c.ledgerhouse(signer=True)
    results = []
    for name in STANDING_SUBSCRIBERS:
        results += lh.participants.subscribe(lh.manifest.address_of(name))
    subscribers = lh.participants.subscribers()
    c.emit(
        {"subscribers": subscribers, "tx_hashes": [r.tx_hash for r in results]},
        f"member standing is pushed to {', '.join(subscribers)} ({len(results)} transactions)",
    )


def _set_paused(ctx: typer.Context, paused: bool) -> None:
    c = cli(ctx)
    lh = c.ledgerhouse(signer=True)
    results = {"receipts": lh.receipts.set_paused(paused), "receivables": lh.receivables.set_paused(paused)}
    word = "paused" if paused else "resumed"
    c.emit(
        {"paused": paused, "tx_hashes": {name: r.tx_hash for name, r in results.items()}},
        f"every state change of receipts and receivables {word}",
    )


@app.command()
def pause(ctx: typer.Context) -> None:
    """Emergency stop: no state change on receipts or receivables until unpaused (reads still work)."""
    _set_paused(ctx, True)


@app.command()
def unpause(ctx: typer.Context) -> None:
    """Lift the emergency stop."""
    _set_paused(ctx, False)

"""`ledgerhouse supplier`: a supplier's consent for a lender to read its credit profile, and who read it."""

from __future__ import annotations

from typing import Annotated

import typer

from client.chain import checksum
from client.cli._context import cli
from client.cli._profile_view import REGISTRY_HELP, show_consent, show_consents, show_reads, signed_in
from client.consent import MAX_CONSENT_DAYS
from client.errors import InvalidInput

app = typer.Typer(
    help="Supplier: consent for a lender to read your credit profile, revoke it, see who read it.",
    no_args_is_help=True,
)

RegistryOption = Annotated[
    str | None, typer.Option("--registry", envvar="LEDGERHOUSE_REGISTRY_URL", help=REGISTRY_HELP)
]


@app.command()
def consent(
    ctx: typer.Context,
    lender: Annotated[str, typer.Option("--lender", help="The lender's address")],
    days: Annotated[
        int, typer.Option("--days", help=f"How long the consent lasts, 1 to {MAX_CONSENT_DAYS} days")
    ],
    registry: RegistryOption = None,
) -> None:
    """Sign (EIP-712, with your key) and register a consent for LENDER to read your credit profile for
    DAYS days; revoke it any time with `supplier revoke-consent ID`."""
    c = cli(ctx)
    lender_address = checksum(lender, what="--lender")
    if not 1 <= days <= MAX_CONSENT_DAYS:
        raise InvalidInput(f"--days {days}: a consent lasts 1 to {MAX_CONSENT_DAYS} days")
    api = signed_in(c, registry)
    show_consent(c, api.grant_consent(lender_address, days=days), "granted")


@app.command("revoke-consent")
def revoke_consent(
    ctx: typer.Context,
    consent_id: Annotated[str, typer.Argument(help="The consent's id (0x and 64 hex digits)")],
    registry: RegistryOption = None,
) -> None:
    """Revoke a consent at once: the lender's next read is refused."""
    c = cli(ctx)
    text = consent_id.strip()
    if (
        len(text) != 66
        or not text.startswith("0x")
        or any(ch not in "0123456789abcdefABCDEF" for ch in text[2:])
    ):
        raise InvalidInput(f"consent id {consent_id!r} is not 0x followed by 64 hex digits")
    api = signed_in(c, registry)
    show_consent(c, api.revoke_consent(text), "revoked")


@app.command()
def consents(ctx: typer.Context, registry: RegistryOption = None) -> None:
    """The consents you gave, newest first."""
    c = cli(ctx)
    api = signed_in(c, registry)
    assert api.account is not None
    show_consents(c, api.consents(api.account.address))


@app.command()
def reads(ctx: typer.Context, registry: RegistryOption = None) -> None:
    """Who read (or tried to read) your credit profile, when and under which consent."""
    c = cli(ctx)
    api = signed_in(c, registry)
    assert api.account is not None
    show_reads(c, api.profile_reads(api.account.address))

"""`ledgerhouse deploy`: deploy every contract to any EVM JSON-RPC and write its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from client.chain import Signer, checksum, connect
from client.cli._context import cli, stderr
from client.deployment import DEFAULT_ADMIN_DELAY_S, deploy, unsubscribed_contracts, write_manifest
from client.errors import InvalidInput


def deploy_command(
    ctx: typer.Context,
    admin: Annotated[
        str | None, typer.Option("--admin", help="Consortium admin address (default: the deployer)")
    ] = None,
    admin_delay: Annotated[
        int, typer.Option("--admin-delay", help="Seconds a new consortium admin must wait to take over")
    ] = DEFAULT_ADMIN_DELAY_S,
    out: Annotated[Path, typer.Option("--out", help="Directory for deployments/<chainId>.json")] = Path(
        "deployments"
    ),
) -> None:
    """Deploy Ledgerhouse to the chain at --rpc with the deployer key; write the deployment manifest."""
    c = cli(ctx)
    admin_address = checksum(admin, what="--admin") if admin else None
    if admin_delay < 0:
        raise InvalidInput(f"--admin-delay {admin_delay} must not be negative")
    w3 = connect(c.rpc)
    account = c.account(required=True)
    assert account is not None
    with stderr.status(f"deploying to chain {w3.eth.chain_id} at {c.rpc}…"):
        manifest = deploy(Signer(w3, account), admin=admin_address, admin_delay_s=admin_delay)
    path = write_manifest(manifest, out)
    unsubscribed = unsubscribed_contracts(w3, manifest)
    c.emit(
        {
            "chain_id": manifest.chain_id,
            "manifest": str(path),
            "contracts": {k: v.model_dump() for k, v in manifest.contracts.items()},
            "unsubscribed": unsubscribed,
        },
        "\n".join(
            [f"deployed to chain {manifest.chain_id}; manifest written to {path}"]
            + [
                f"  {name}: {rec.address} (v{rec.version}, block {rec.block_number})"
                for name, rec in manifest.contracts.items()
            ]
            + [
                f"  {name} does not mirror member standing yet (it asks the registry on every check): "
                f"the admin {manifest.admin} runs `ledgerhouse admin subscribe`"
                for name in unsubscribed
            ]
        ),
    )

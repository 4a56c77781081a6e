"""`ledgerhouse consortium init`: write a production kit for a Besu QBFT consortium chain.

A thin shell over client.consortium; it never prints a private key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from client.cli._context import cli
from client.consortium import (
    BFT_MIN_VALIDATORS,
    DEFAULT_BLOCK_PERIOD_S,
    DEFAULT_CHAIN_ID,
    DEFAULT_EVM_VERSION,
    DEFAULT_GAS_LIMIT,
    DEFAULT_P2P_PORT,
    DEFAULT_RPC_PORT,
    ENGINES,
    KitSettings,
    build_kit,
    check_out_dir,
    write_kit,
)
from client.errors import InvalidInput

app = typer.Typer(
    help="Consortium chain kits: genesis, node keys and node configuration for a production network.",
    no_args_is_help=True,
)


@app.command()
def init(
    ctx: typer.Context,
    validators: Annotated[int, typer.Option("--validators", help="How many validator nodes (4+ for BFT)")],
    out: Annotated[Path, typer.Option("--out", help="New or empty directory to write the kit to")],
    engine: Annotated[
        str, typer.Option("--engine", help="besu-qbft: Hyperledger Besu with QBFT consensus (the only one)")
    ] = "besu-qbft",
    chain_id: Annotated[
        int, typer.Option("--chain-id", help="The consortium's own chain id (not a public network's)")
    ] = DEFAULT_CHAIN_ID,
    block_period: Annotated[
        int, typer.Option("--block-period", help="Seconds between blocks (QBFT blockperiodseconds)")
    ] = DEFAULT_BLOCK_PERIOD_S,
    gas_limit: Annotated[int, typer.Option("--gas-limit", help="Block gas limit")] = DEFAULT_GAS_LIMIT,
    evm_version: Annotated[
        str,
        typer.Option(
            "--evm-version",
            help="EVM version the deployed contracts are compiled for (foundry.toml evm_version); "
            "the chain enables that fork and no later one",
        ),
    ] = DEFAULT_EVM_VERSION,
    hosts: Annotated[
        str,
        typer.Option("--hosts", help="IPv4 address of every node, IP,IP,... (one for all: a single machine)"),
    ] = "127.0.0.1",
    p2p_port: Annotated[
        int, typer.Option("--p2p-port", help="P2P port of node-1; node-N uses this + N-1")
    ] = DEFAULT_P2P_PORT,
    rpc_port: Annotated[
        int, typer.Option("--rpc-port", help="JSON-RPC port of node-1; node-N uses this + N-1")
    ] = DEFAULT_RPC_PORT,
    fund: Annotated[
        list[str] | None,
        typer.Option("--fund", help="Give ADDRESS a balance in the genesis (repeatable; gas is free anyway)"),
    ] = None,
) -> None:
    """Write a QBFT genesis, one directory per validator node (key, config.toml, genesis, static nodes)
    and validators.json. Checked against Besu's documented formats; see docs/besu-qbft.md."""
    c = cli(ctx)
    if engine not in ENGINES:
        raise InvalidInput(f"--engine {engine!r} is not one of: {', '.join(ENGINES)}")
    settings = KitSettings(
        validators=validators,
        chain_id=chain_id,
        block_period_s=block_period,
        gas_limit=gas_limit,
        evm_version=evm_version,
        hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()) or ("",),
        p2p_port=p2p_port,
        rpc_port=rpc_port,
        fund=tuple(fund or ()),
    )
    settings.validate()
    check_out_dir(out)  # before any key is generated: a refusal leaves nothing behind
    kit = build_kit(settings)
    write_kit(kit, out)
    warnings = (
        [
            f"{validators} validator(s) tolerate no faulty validator: QBFT needs {BFT_MIN_VALIDATORS} "
            "to be Byzantine fault tolerant"
        ]
        if validators < BFT_MIN_VALIDATORS
        else []
    )
    c.emit(
        {
            "engine": engine,
            "out": str(out),
            "chain_id": chain_id,
            "evm_version": evm_version,
            "validators": [
                {"node": n.name, "address": n.address, "enode": n.enode, "rpc_port": n.rpc_port}
                for n in kit.nodes
            ],
            "warnings": warnings,
        },
        "\n".join(
            [
                f"wrote a Besu QBFT kit for chain {chain_id} ({validators} validators, a block every "
                f"{block_period} s, EVM {evm_version}) to {out}"
            ]
            + [
                f"  {n.name}: validator {n.address}  rpc 127.0.0.1:{n.rpc_port}  p2p {n.host}:{n.p2p_port}"
                for n in kit.nodes
            ]
            + [f"  warning: {w}" for w in warnings]
            + [
                "  node keys are in <node>/data/key (0600): copy each node directory to its operator only",
                "  start a node: cd <node> && besu --config-file=config.toml  (runbook: docs/besu-qbft.md)",
                "  not executed here: checked against Besu's documented formats only",
            ]
        ),
    )

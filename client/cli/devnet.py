"""`ledgerhouse devnet up`: a local chain with the contracts deployed and dev participants admitted."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from client import Ledgerhouse
from client.chain import Signer, connect
from client.cli._context import cli, stderr, stdout
from client.deployment import deploy, deployed_code_present, load_manifest, write_manifest
from client.devnet import (
    DEV_PARTICIPANTS,
    Anvil,
    DevChain,
    admit_dev_participants,
    dev_account,
    dev_labels,
)
from client.errors import ChainUnavailable, ConfigurationError
from client.seed import is_seeded, seed_supply_chain

app = typer.Typer(
    help="A local development chain (anvil, or a multi-node geth Clique network) with Ledgerhouse deployed.",
    no_args_is_help=True,
)

ENGINES = ("anvil", "geth")


@app.command()
def up(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", help="JSON-RPC port")] = 8545,
    state: Annotated[
        Path | None, typer.Option("--state", help="Keep the chain in FILE: it survives a restart")
    ] = None,
    block_time: Annotated[
        float,
        typer.Option(
            "--block-time",
            help="Seconds between blocks. 0 mines each transaction at once, but anvil's instant mining "
            "can strand pipelined transactions, so the devnet mines on an interval like a real network",
        ),
    ] = 1,
    deployments: Annotated[
        Path, typer.Option("--deployments", help="Directory for the deployment manifest")
    ] = Path("deployments"),
    registry: Annotated[
        bool, typer.Option("--registry/--no-registry", help="Also run the registry service (indexer + API)")
    ] = True,
    registry_port: Annotated[int, typer.Option("--registry-port", help="HTTP port of the registry")] = 8000,
    registry_data: Annotated[
        Path, typer.Option("--registry-data", help="The registry's SQLite database and documents")
    ] = Path(".devnet/registry"),
    empty: Annotated[
        bool, typer.Option("--empty", help="Start without the seeded supply chain (members only)")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="anvil: one embedded node (the default). geth: a network of go-ethereum v1.13 nodes "
            "sealing Clique proof-of-authority blocks every second, each node a signer (build it once "
            "with `make geth`)",
        ),
    ] = "anvil",
    nodes: Annotated[
        int, typer.Option("--nodes", help="geth engine: how many signer nodes (ports --port, --port+1, ...)")
    ] = 4,
    iot: Annotated[
        bool,
        typer.Option(
            "--iot",
            help="Also run a Mosquitto MQTT broker for `ledgerhouse iot` (make mqtt-broker installs it)",
        ),
    ] = False,
    mqtt_port: Annotated[int, typer.Option("--mqtt-port", help="--iot: the broker's port")] = 1883,
) -> None:
    """Start a chain, deploy every contract, admit the dev participants, run the registry service
    beside them, and stay up until Ctrl-C."""
    c = cli(ctx)
    chain = _make_chain(engine, nodes=nodes, port=port, state=state, block_time=block_time)
    _stop_on_signals()
    what = "anvil" if engine == "anvil" else f"{nodes} geth Clique signers"
    with stderr.status(f"starting {what} on port {port}…"):
        chain.start()
    service: RegistryThread | None = None
    broker = None
    try:
        mqtt_url = None
        if iot:
            from client.iot.broker import Mosquitto

            broker = Mosquitto(registry_data.parent / "mosquitto", mqtt_port).start()
            mqtt_url = broker.url
        manifest_path = _bootstrap(chain.rpc_url, deployments)
        if not empty:
            _seed(chain.rpc_url, manifest_path)
        registry_url = None
        if registry:
            # Every node: the registry fails over when the one it reads stops answering.
            every_node = ",".join(chain.rpc_urls)
            service = RegistryThread.start(
                every_node,
                manifest_path,
                registry_data,
                registry_port,
                confirmations=chain.confirmations,
                stall_after_s=chain.stall_after_s,
            )
            registry_url = service.url if service else None
        _announce(chain, manifest_path, state, c.json_output, registry_url, mqtt_url)
        code = chain.wait()
        raise ChainUnavailable(f"{chain.engine} stopped unexpectedly (exit code {code})")
    except KeyboardInterrupt:
        stderr.print("stopping devnet" + (f"; state saved to {state}" if state else ""))
    finally:
        if service is not None:
            service.stop()
        if broker is not None:
            broker.stop()
        chain.stop()


def _make_chain(engine: str, *, nodes: int, port: int, state: Path | None, block_time: float) -> DevChain:
    """The engine seam: every engine gives a DevChain; nothing after this knows which one runs."""
    if engine == "anvil":
        if state is not None:
            state.parent.mkdir(parents=True, exist_ok=True)
        return Anvil(port=port, state=state, block_time=block_time or None)
    if engine == "geth":
        from client.geth import GethNetwork

        if state is not None:
            raise ConfigurationError("--state keeps an anvil chain; the geth network starts afresh each time")
        if block_time != 1:
            raise ConfigurationError(
                f"--block-time {block_time:g}: the geth network seals a Clique block every second"
            )
        if not 1 <= nodes <= 16:
            raise ConfigurationError(f"--nodes {nodes}: a geth devnet has 1 to 16 signer nodes")
        return GethNetwork(nodes=nodes, port=port)
    raise ConfigurationError(f"--engine {engine!r}: pick one of {', '.join(ENGINES)}")


def _stop_on_signals() -> None:
    """Ctrl-C, SIGINT and SIGTERM all stop the devnet the same clean way (anvil saves --state, the
    registry and anvil stop). A shell without job control, or make, starts a background job with
    SIGINT ignored, which Python would keep; a supervisor stops with SIGTERM. Either would otherwise
    leave anvil and the registry running."""

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def _bootstrap(rpc_url: str, deployments: Path) -> Path:
    """Deploys and admits on a fresh chain; on a saved one, only admits what is missing."""
    w3 = connect(rpc_url)
    manifest_file = deployments / f"{w3.eth.chain_id}.json"
    admin = dev_account("admin")
    manifest = load_manifest(manifest_file) if manifest_file.is_file() else None
    if manifest is not None and deployed_code_present(w3, manifest):
        stderr.print(f"resuming the chain in its saved state; contracts from {manifest_file}")
    else:
        with stderr.status("deploying contracts…"):
            manifest = deploy(Signer(w3, admin, dev_labels()))
        write_manifest(manifest, deployments)
    lh = Ledgerhouse(w3, manifest, account=admin, labels=dev_labels())
    admit_dev_participants(lh, progress=stderr.print)
    return manifest_file


def _seed(rpc_url: str, manifest_path: Path) -> None:
    w3 = connect(rpc_url)
    manifest = load_manifest(manifest_path)
    if is_seeded(Ledgerhouse(w3, manifest)):
        return
    with stderr.status("seeding a supply chain: lots, receipts, a pledge, a voucher down three tiers…"):
        seed_supply_chain(
            w3, manifest, progress=lambda line: stderr.print(f"  seed: {line}", highlight=False)
        )


class RegistryThread:
    """The registry service (indexer and API) on the devnet, in a thread of this process."""

    def __init__(self, server: Any, thread: threading.Thread, url: str) -> None:
        self.server, self.thread, self.url = server, thread, url

    @classmethod
    def start(
        cls,
        rpc_url: str,
        manifest_path: Path,
        data_dir: Path,
        port: int,
        *,
        confirmations: int = 0,
        stall_after_s: float = 0.0,
    ) -> RegistryThread | None:
        try:
            import uvicorn

            from registry.main import create_app
            from registry.observability import configure_logging
            from registry.settings import Settings
        except ImportError as exc:
            stderr.print(
                f"registry not started: the server extras are missing ({exc.name}); "
                "pip install 'ledgerhouse[server]'"
            )
            return None
        url = f"http://127.0.0.1:{port}"
        settings = Settings(
            rpc_url=rpc_url,
            deployment=manifest_path,
            data_dir=data_dir,
            public_url=url,
            poll_interval_s=0.5,
            confirmations=confirmations,
            stall_after_s=stall_after_s,
        )
        configure_logging("WARNING")
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
            )
        )
        thread = threading.Thread(target=server.run, name="ledgerhouse-registry", daemon=True)
        with stderr.status(f"starting the registry service on {url}…"):
            thread.start()
            deadline = time.monotonic() + 60
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise ConfigurationError(
                        f"the registry service did not start on port {port} (in use? try --registry-port)"
                    )
                time.sleep(0.05)
        return cls(server, thread, url)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _announce(
    chain: DevChain,
    manifest_path: Path,
    state: Path | None,
    json_output: bool,
    registry_url: str | None = None,
    mqtt_url: str | None = None,
) -> None:
    rpc_url = chain.rpc_url
    participants = [
        {"name": p.name, "address": dev_account(p.name).address, "role": p.role.label if p.role else "admin"}
        for p in DEV_PARTICIPANTS
    ]
    if json_output:
        print(
            json.dumps(
                {
                    "rpc_url": rpc_url,
                    "engine": chain.engine,
                    "rpc_urls": chain.rpc_urls,
                    "manifest": str(manifest_path),
                    "state": str(state) if state else None,
                    "registry_url": registry_url,
                    "mqtt_url": mqtt_url,
                    "participants": participants,
                }
            ),
            flush=True,
        )
        return
    table = Table(title="Dev participants (anvil's public test keys: never use them on a real chain)")
    for column in ("--as NAME", "address", "role"):
        table.add_column(column)
    for p in participants:
        table.add_row(p["name"], p["address"], p["role"])
    stdout.print(table)
    stdout.print(
        f"devnet ready at [bold]{rpc_url}[/] — manifest {manifest_path}"
        + (f", state kept in {state}" if state else "")
        + ". Press Ctrl-C to stop."
    )
    if len(chain.rpc_urls) > 1:
        urls = ", ".join(chain.rpc_urls)
        stdout.print(f"{chain.engine} nodes (every one a signer): {urls}", highlight=False)
    if registry_url:
        stdout.print(
            f"registry service at [bold]{registry_url}[/] — API docs {registry_url}/docs, "
            f"health {registry_url}/health"
        )
    if mqtt_url:
        stdout.print(
            f"MQTT broker at [bold]{mqtt_url}[/] — `ledgerhouse --as inspector1 iot gateway "
            f"--mqtt {mqtt_url} --lot LOT` and `ledgerhouse --as inspector1 iot simulate "
            f"--mqtt {mqtt_url} --lot LOT --register`"
        )
    stdout.print("try:")
    for command in (
        "ledgerhouse admin list",
        "ledgerhouse --as bank1 bank check 1            # due diligence on the pledged aluminium receipt",
        "ledgerhouse receivable tree 1000000             # the voucher split down three tiers",
        "ledgerhouse audit receipt 1                     # its life, from the chain alone",
        *([f"curl -s {registry_url}/alerts        # the registry's view"] if registry_url else []),
    ):
        stdout.print(f"  {command}", highlight=False)

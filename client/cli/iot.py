"""`ledgerhouse iot`: sensors that watch warehouses. Devices an inspector vouches for on chain, the
gateway that turns their signed MQTT readings into stocktakes, and a sensor simulator."""

from __future__ import annotations

import json
import re
import signal
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from client.cli._args import read_file
from client.cli._context import CliContext, cli, stdout
from client.errors import ConfigurationError, InvalidInput

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

app = typer.Typer(
    help="IoT: devices vouched for on chain, the MQTT gateway that posts stocktakes, a sensor simulator.",
    no_args_is_help=True,
)
device_app = typer.Typer(
    help="Register, revoke and show the devices an inspector vouches for.", no_args_is_help=True
)
app.add_typer(device_app, name="device")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MQTT_ENV = "LEDGERHOUSE_MQTT"


def duration(text: str, *, what: str) -> int:
    """Seconds in '90', '90s', '15m', '12h' or '1d'."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"{what} {text!r} must be a positive duration such as 30s, 15m, 12h or 1d")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _decimal(text: str, *, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        raise InvalidInput(f"{what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{what} {text!r} must be zero or more")
    return value


def _share(text: str, of: Decimal, *, what: str) -> Decimal:
    """'0.1%' of `of`, or an absolute quantity '0.3'."""
    value = _decimal(text, what=what)
    return of * value / 100 if text.strip().endswith("%") else value


# ------------------------------------------------------------------ devices


@device_app.command("register")
def device_register(
    ctx: typer.Context,
    device: Annotated[str, typer.Option("--device", help="The device's signing address")],
    warehouse: Annotated[str, typer.Option("--warehouse", help="Warehouse address the device watches")],
    kind: Annotated[
        str, typer.Option("--kind", help="load-cell, weighbridge, vision-count, ...")
    ] = "load-cell",
) -> None:
    """Register a device at a warehouse: you (an inspector) vouch for its readings."""
    c = cli(ctx)
    result = c.ledgerhouse(signer=True).devices.register(device, warehouse, kind)
    c.emit({"tx_hash": result.tx_hash, "device": device}, f"device {device} registered — tx {result.tx_hash}")


@device_app.command("revoke")
def device_revoke(
    ctx: typer.Context,
    device: Annotated[str, typer.Option("--device", help="The device's signing address")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record")],
) -> None:
    """Revoke a device (its inspector or the consortium admin): its readings are refused from now on."""
    c = cli(ctx)
    result = c.ledgerhouse(signer=True).devices.revoke(device, reason)
    c.emit({"tx_hash": result.tx_hash, "device": device}, f"device {device} revoked — tx {result.tx_hash}")


@device_app.command("show")
def device_show(
    ctx: typer.Context,
    device: Annotated[str, typer.Option("--device", help="The device's signing address")],
) -> None:
    """Show a device's registration and whether it is trusted now."""
    c = cli(ctx)
    devices = c.ledgerhouse(signer=False).devices
    view = devices.device(device)
    trusted = devices.trusted([view.device])[view.device]
    state = "trusted" if trusted else ("revoked" if view.revoked_at else "not trusted (inspector inactive)")
    c.emit(
        {**view.to_json(), "trusted": trusted},
        f"device {view.device}: {view.kind} at {view.warehouse}, vouched for by {view.inspector} — {state}",
    )


# ------------------------------------------------------------------ gateway


@app.command()
def gateway(
    ctx: typer.Context,
    lots: Annotated[list[str], typer.Option("--lot", help="A lot to watch (repeat for several)")],
    mqtt: Annotated[
        str, typer.Option("--mqtt", envvar=MQTT_ENV, help="Broker URL")
    ] = "mqtt://127.0.0.1:1883",
    cadence: Annotated[
        str, typer.Option("--cadence", help="Post a stocktake of each lot at least this often (e.g. 1d, 12h)")
    ] = "1d",
    tolerance: Annotated[
        str,
        typer.Option(
            "--tolerance",
            help="Movement that counts: a share of the attested quantity (0.5%) or a quantity "
            "in the lot's unit",
        ),
    ] = "0.5%",
    silent_after: Annotated[
        str, typer.Option("--silent-after", help="A device quiet this long is alerted and not counted")
    ] = "2m",
    max_age: Annotated[str, typer.Option("--max-age", help="Refuse readings older than this")] = "5m",
    run_for: Annotated[
        str | None, typer.Option("--duration", help="Stop after this long (default: until Ctrl-C)")
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Keep each device's last sequence number in FILE across restarts"),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics"),
    ] = None,
) -> None:
    """Verify signed readings from MQTT and post stocktakes when goods move or at the cadence.

    A drop beyond the tolerance with no delivery requested is posted at once (a shortfall freezes the
    lot and alerts its lenders); otherwise each lot gets a stocktake at the cadence. Prints one line
    (or JSON object) per stocktake and alert, and the counts of verified and refused readings at exit."""
    from client.iot.gateway import Alert, Gateway, GatewayConfig, Posted, Tolerance
    from client.iot.mqtt import GatewayConnection

    c = cli(ctx)
    config = GatewayConfig(
        cadence_s=duration(cadence, what="--cadence"),
        tolerance=Tolerance.parse(tolerance),
        silent_after_s=duration(silent_after, what="--silent-after"),
        max_age_s=duration(max_age, what="--max-age"),
    )
    seconds = duration(run_for, what="--duration") if run_for else None

    def on_alert(alert: Alert) -> None:
        device = f" device {alert.device}" if alert.device else ""
        _line(c, alert.to_json(), f"ALERT {alert.kind}: lot {alert.lot}{device}: {alert.detail}")

    gw = Gateway(c.ledgerhouse(signer=True), lots, config, on_alert=on_alert, state_path=state)
    if metrics_port is not None:
        from client.iot.metrics import serve_metrics

        serve_metrics(gw, metrics_port)
    connection = GatewayConnection(gw, mqtt).start()
    if not connection.connected.wait(10):
        connection.stop()
        raise ConfigurationError(f"cannot reach the MQTT broker at {mqtt}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # A daemon timer, cancelled on the way out: a gateway stopped early (Ctrl-C, SIGTERM) exits at
    # once instead of waiting out its --duration.
    timer = threading.Timer(seconds, stop.set) if seconds is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    _line(c, {"gateway": "started", "topics": gw.topics}, f"watching {len(gw.topics)} lot(s) on {mqtt}")

    def on_posted(posted: Posted) -> None:
        shortfall = " — SHORTFALL: lot frozen" if posted.shortfall else ""
        _line(
            c,
            {"stocktake": posted.to_json()},
            f"stocktake of lot {posted.lot} ({posted.reason}): {posted.quantity} from "
            f"{len(posted.devices)} device(s){shortfall} — tx {posted.tx_hash}",
        )

    try:
        connection.run(stop, on_posted=on_posted)
    finally:
        if timer is not None:
            timer.cancel()
        connection.stop()
        gw.save_state()
    stats = gw.stats.to_json()
    refused = ", ".join(f"{k} {v}" for k, v in sorted(stats["refused"].items())) or "none"
    c.emit({"stats": stats}, f"readings verified {stats['verified']}, refused: {refused}")


def _line(c: CliContext, data: dict[str, object], human: str) -> None:
    if c.json_output:
        print(json.dumps(data, default=str), flush=True)
    else:
        stdout.print(human, highlight=False)


# ------------------------------------------------------------------ simulator


def _device_keys(c: CliContext, count: int, keys_file: Path | None) -> list[LocalAccount]:
    from client.chain import account_from_key
    from client.devnet import DEVNET_CHAIN_ID
    from client.iot.simulate import devnet_device_key

    if keys_file is not None:
        lines = read_file(keys_file, what="device keys").decode(errors="replace").split()
        keys = [account_from_key(line) for line in lines if line and not line.startswith("#")]
        if not keys:
            raise InvalidInput(f"device keys file {keys_file} lists no keys")
        return keys
    if c.ledgerhouse(signer=False).chain_id != DEVNET_CHAIN_ID:
        raise ConfigurationError("off the devnet, give the devices' keys with --device-keys FILE")
    return [devnet_device_key(i) for i in range(count)]


@app.command()
def simulate(
    ctx: typer.Context,
    lot: Annotated[str, typer.Option("--lot", help="The lot the sensors watch (attested on chain)")],
    mqtt: Annotated[
        str, typer.Option("--mqtt", envvar=MQTT_ENV, help="Broker URL")
    ] = "mqtt://127.0.0.1:1883",
    devices: Annotated[int, typer.Option("--devices", help="Devnet sensors 0..N-1 (devnet keys)")] = 3,
    device_keys: Annotated[
        Path | None, typer.Option("--device-keys", help="File of device private keys, one per line")
    ] = None,
    register: Annotated[
        bool, typer.Option("--register", help="Register unregistered devices first, as the --as inspector")
    ] = False,
    rounds: Annotated[int, typer.Option("--rounds", help="Rounds of readings")] = 20,
    interval: Annotated[str, typer.Option("--interval", help="Time between rounds")] = "1s",
    noise: Annotated[
        str, typer.Option("--noise", help="± per reading: a share (0.02%) or a quantity")
    ] = "0.02%",
    theft: Annotated[
        str, typer.Option("--theft", help="Taken away per round (share or quantity): a slow theft")
    ] = "0",
    theft_from: Annotated[int, typer.Option("--theft-from", help="First round of the theft")] = 1,
    silent: Annotated[int | None, typer.Option("--silent", help="Device index that goes silent")] = None,
    silent_from: Annotated[int, typer.Option("--silent-from", help="Round it goes silent")] = 1,
    replay_every: Annotated[
        int, typer.Option("--replay-every", help="Publish an earlier reading again every N rounds (0: never)")
    ] = 0,
) -> None:
    """Publish realistic signed readings of a lot: noise, a slow theft, a silent device, replays."""
    from client import _contract_errors
    from client.iot.mqtt import Publisher
    from client.iot.readings import ReadingDomain
    from client.iot.simulate import Scenario
    from client.iot.simulate import simulate as run

    c = cli(ctx)
    if devices < 1 or rounds < 1:
        raise InvalidInput("--devices and --rounds must be at least 1")
    lh = c.ledgerhouse(signer=register)
    lot_view = lh.receipts.attested_lot(lot)
    keys = _device_keys(c, devices, device_keys)
    registered = []
    if register:
        for key in keys:
            try:
                lh.devices.device(key.address)
            except _contract_errors.DeviceNotRegistered:
                lh.devices.register(key.address, lot_view.warehouse, "load-cell")
                registered.append(key.address)
                if not c.json_output:
                    stdout.print(f"registered device {key.address}", highlight=False)
    scenario = Scenario(
        lot=lot,
        warehouse=lot_view.warehouse,
        unit=lot_view.unit,
        decimals=lot_view.decimals,
        start=lot_view.attested,
        devices=tuple(keys),
        rounds=rounds,
        interval_s=duration(interval, what="--interval"),
        noise=_share(noise, lot_view.attested, what="--noise"),
        theft_per_round=_share(theft, lot_view.attested, what="--theft"),
        theft_from=theft_from,
        silent_device=silent,
        silent_from=silent_from,
        replay_every=replay_every,
    )

    def _progress(round_: int, quantity: Decimal) -> None:
        stdout.print(f"round {round_}: {quantity} {lot_view.unit} in the bay", highlight=False)

    publisher = Publisher(mqtt).start()
    try:
        stats = run(
            scenario,
            ReadingDomain(lh.chain_id, lh.manifest.address_of("DeviceRegistry")),
            publisher,
            on_round=None if c.json_output else _progress,
        )
    finally:
        publisher.stop()
    c.emit(
        {
            "registered": registered,
            "published": stats.published,
            "replayed": stats.replayed,
            "last_quantity": str(stats.last_quantity),
        },
        f"published {stats.published} reading(s) and {stats.replayed} replay(s) of lot {lot}",
    )

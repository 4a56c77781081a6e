"""`ledgerhouse iot`: the gateway (a real process) and the simulator on a real Mosquitto and anvil,
and bad input answered with one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal

import pytest

from client import Ledgerhouse
from client.devnet import dev_account
from client.iot.broker import Mosquitto
from client.iot.simulate import devnet_device_key
from tests.cli.helpers import addr, fails, ok

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("devnet_env")]
LEDGERHOUSE = [sys.executable, "-m", "client.cli"]


def _attest_and_receipt(capsys: pytest.CaptureFixture[str], lot: str) -> None:
    ok(
        capsys,
        *("--as", "inspector1", "inspector", "stocktake", "--warehouse", addr("warehouse1")),
        *("--lot", lot, "--commodity", "AL-A00", "--quantity", "500", "--unit", "t"),
    )
    ok(
        capsys,
        *("--as", "warehouse1", "warehouse", "mint", "--to", addr("supplier1"), "--lot", lot),
        *("--commodity", "AL-A00", "--quantity", "500", "--unit", "t"),
    )


def test_simulated_slow_theft_is_frozen_by_the_gateway_process(
    broker: Mosquitto, as_: object, capsys: pytest.CaptureFixture[str]
) -> None:
    lot = "CLI-IOT-THEFT-1"
    _attest_and_receipt(capsys, lot)
    # --duration far beyond the test: SIGTERM must stop the gateway at once, not when it runs out.
    command = [*LEDGERHOUSE, "--json", "--as", "inspector1", "iot", "gateway", "--mqtt", broker.url]
    gateway = subprocess.Popen(
        [*command, "--lot", lot, "--duration", "10m"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert gateway.stdout is not None
        started = json.loads(gateway.stdout.readline())
        assert started["gateway"] == "started", started
        ran = ok(
            capsys,
            *("--as", "inspector1", "iot", "simulate", "--mqtt", broker.url, "--lot", lot, "--register"),
            *("--devices", "3", "--rounds", "5", "--interval", "1s", "--noise", "0.01%"),
            *("--theft", "0.3%", "--theft-from", "2", "--replay-every", "2"),
        )
        assert ran["published"] == 15 and ran["replayed"] == 2 and len(ran["registered"]) == 3
        lines: list[dict[str, object]] = []
        for line in gateway.stdout:
            lines.append(json.loads(line))
            if "stocktake" in lines[-1]:
                break
        gateway.send_signal(signal.SIGTERM)
        out, err = gateway.communicate(timeout=20)
    finally:
        gateway.kill()
    assert gateway.returncode == 0, err
    stocktake = next(line["stocktake"] for line in lines if "stocktake" in line)
    assert isinstance(stocktake, dict)
    assert stocktake["reason"] == "goods-moved" and stocktake["shortfall"] is True
    assert len(stocktake["devices"]) == 3
    assert {devnet_device_key(i).address for i in range(3)} == set(stocktake["devices"])
    stats = json.loads(out.strip().splitlines()[-1])["stats"]
    assert stats["refused"].get("replay") == 2
    lh = Ledgerhouse.connect(os.environ["LEDGERHOUSE_RPC"])
    assert lh.receipts.lot(lot).frozen
    assert lh.receipts.lot(lot).attested < Decimal("500")


def test_bad_input_is_one_line(broker: Mosquitto, capsys: pytest.CaptureFixture[str]) -> None:
    gw = ("--as", "inspector1", "iot", "gateway", "--mqtt", broker.url)
    assert fails(capsys, *gw, "--lot", "NEVER-ATTESTED-9") == (
        "InvalidInput: lot 'NEVER-ATTESTED-9' has never been attested by an inspector"
    )
    _attest_and_receipt(capsys, "CLI-IOT-BAD-1")
    assert "tolerance 'lots' is not a number" in fails(
        capsys, *gw, "--lot", "CLI-IOT-BAD-1", "--tolerance", "lots"
    )
    assert "--cadence 'weekly' must be a positive duration" in fails(
        capsys, *gw, "--lot", "CLI-IOT-BAD-1", "--cadence", "weekly"
    )
    assert "must be mqtt://HOST[:PORT]" in fails(
        capsys, "--as", "inspector1", "iot", "gateway", "--mqtt", "http://x", "--lot", "CLI-IOT-BAD-1"
    )
    assert "device '0x12' is not a 20-byte hex address" in fails(
        capsys,
        "--as",
        "inspector1",
        "iot",
        "device",
        "register",
        "--device",
        "0x12",
        "--warehouse",
        addr("warehouse1"),
    )
    device = devnet_device_key(7).address
    ok(
        capsys,
        "--as",
        "inspector1",
        "iot",
        "device",
        "register",
        "--device",
        device,
        "--warehouse",
        addr("warehouse1"),
    )
    refused = fails(
        capsys, "--as", "bank1", "iot", "device", "revoke", "--device", device, "--reason", "mine now"
    )
    assert f"cannot revoke device {device}: only its inspector" in refused
    ok(capsys, "--as", "inspector1", "iot", "device", "revoke", "--device", device, "--reason", "replaced")
    shown = ok(capsys, "iot", "device", "show", "--device", device)
    assert shown["trusted"] is False and shown["revoked_at"]
    assert shown["inspector"] == dev_account("inspector1").address

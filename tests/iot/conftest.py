"""A real Mosquitto per test module (on a free port, never the system service), device keys, and a
gateway running against the session's anvil."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from client import Ledgerhouse
from client.devnet import dev_account, free_port
from client.errors import ConfigurationError
from client.iot.broker import Mosquitto, find_mosquitto
from client.iot.gateway import Gateway, GatewayConfig
from client.iot.mqtt import GatewayConnection, Publisher
from client.iot.readings import Reading, ReadingDomain, SignedReading
from tests.conftest import skip_unless_ci

AsFactory = Callable[[str], Ledgerhouse]
LOT = "QD-IOT-AL-2026-0042"
_client_ids = itertools.count()


def device_key(name: str) -> LocalAccount:
    """A device key derived from `name` (test keys, public by construction)."""
    key: LocalAccount = Account.from_key(keccak(f"ledgerhouse test device {name}".encode()))
    return key


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    try:
        find_mosquitto()
    except ConfigurationError as exc:
        skip_unless_ci(str(exc))
    with Mosquitto(tmp_path_factory.mktemp("mosquitto"), free_port()) as server:
        yield server


@dataclass
class Sensor:
    """A registered device publishing signed readings of one lot, with its own sequence."""

    key: LocalAccount
    domain: ReadingDomain
    publisher: Publisher
    warehouse: str
    lot: str = LOT
    unit: str = "t"
    sequence: int = 0
    sent: list[SignedReading] = field(default_factory=list)

    @property
    def address(self) -> str:
        return str(self.key.address)

    def reading(self, quantity: str, *, at: int | None = None, unit: str | None = None) -> SignedReading:
        import time

        self.sequence += 1
        reading = Reading(
            device=self.address,
            warehouse=self.warehouse,
            lot=self.lot,
            quantity=Decimal(quantity),
            unit=unit or self.unit,
            time=at if at is not None else int(time.time()),
            sequence=self.sequence,
        )
        signed = self.domain.sign(reading, self.key.key)
        self.sent.append(signed)
        return signed

    def send(self, quantity: str, **kwargs: object) -> SignedReading:
        signed = self.reading(quantity, **kwargs)  # type: ignore[arg-type]
        self.publisher.publish(signed).wait_for_publish(5)
        return signed


@dataclass
class Rig:
    """One test's world: a lot attested and receipted, devices registered, a gateway running."""

    as_: AsFactory
    broker: Mosquitto
    domain: ReadingDomain
    publisher: Publisher
    gateway: Gateway | None = None
    connection: GatewayConnection | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sensor(self, name: str, *, warehouse: str = "warehouse1", register: bool = True) -> Sensor:
        key = device_key(name)
        at = dev_account(warehouse).address
        if register:
            self.as_("inspector1").devices.register(key.address, at, "load-cell")
        return Sensor(key, self.domain, self.publisher, dev_account("warehouse1").address)

    def start_gateway(self, config: GatewayConfig, *, tick_s: float = 0.3) -> Gateway:
        self.gateway = Gateway(self.as_("inspector1"), [LOT], config)
        self.connect()
        self._thread = threading.Thread(target=self._evaluate_loop, args=(tick_s,), daemon=True)
        self._thread.start()
        return self.gateway

    def connect(self) -> GatewayConnection:
        assert self.gateway is not None
        self.connection = GatewayConnection(
            self.gateway, self.broker.url, client_id=f"test-gateway-{next(_client_ids)}"
        ).start()
        assert self.connection.connected.wait(10), "the gateway did not connect to the broker"
        return self.connection

    def reconnect(self) -> GatewayConnection:
        """A new connection under the same client id: the broker's persistent session."""
        assert self.gateway is not None and self.connection is not None
        client_id = self.connection.client_id
        self.connection = GatewayConnection(self.gateway, self.broker.url, client_id=client_id).start()
        assert self.connection.connected.wait(10), "the gateway did not reconnect"
        return self.connection

    def _evaluate_loop(self, tick_s: float) -> None:
        assert self.gateway is not None
        while not self._stop.wait(tick_s):  # not GatewayConnection.run: connections come and go
            self.gateway.evaluate()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.connection is not None:
            self.connection.stop()


@pytest.fixture
def rig(as_: AsFactory, broker: Mosquitto) -> Iterator[Rig]:
    inspector = as_("inspector1")
    inspector.receipts.stocktake(
        dev_account("warehouse1").address,
        LOT,
        commodity="AL-A00",
        quantity="300.000",
        unit="t",
        decimals=3,
        evidence=b"\x01" * 32,
    )
    as_("warehouse1").receipts.mint(dev_account("supplier1").address, LOT, commodity="AL-A00", quantity="300")
    domain = ReadingDomain(inspector.chain_id, inspector.manifest.address_of("DeviceRegistry"))
    publisher = Publisher(broker.url).start()
    world = Rig(as_, broker, domain, publisher)
    yield world
    world.stop()
    publisher.stop()

"""Realistic sensor readings for the demo and the tests: several devices on one lot, each with its own
noise, a slow theft, a device going silent, and replayed messages (which a gateway must refuse).

Quantities stay decimal: noise is a whole number of the lot's base units drawn uniformly within
±`noise`, never a float. Each device's sequence starts at the current time in milliseconds, so a
simulator run after another is not taken for a replay.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from client.errors import InvalidInput
from client.iot.mqtt import Publisher
from client.iot.readings import Reading, ReadingDomain, SignedReading

__all__ = ["Scenario", "SimulationStats", "devnet_device_key", "simulate"]


def devnet_device_key(index: int) -> LocalAccount:
    """Device key `index` of the devnet's simulated sensors: derived from public text, so never for
    a real chain (the CLI refuses it off the devnet)."""
    key: LocalAccount = Account.from_key(keccak(f"ledgerhouse devnet device {index}".encode()))
    return key


@dataclass(frozen=True)
class Scenario:
    lot: str
    warehouse: str
    unit: str
    decimals: int
    start: Decimal
    devices: tuple[LocalAccount, ...]
    rounds: int = 20
    interval_s: float = 1.0
    noise: Decimal = Decimal(0)  # ± this much per reading, in the lot's unit
    theft_per_round: Decimal = Decimal(0)  # taken away each round from `theft_from` on
    theft_from: int = 1
    silent_device: int | None = None  # this device stops publishing from round `silent_from`
    silent_from: int = 1
    replay_every: int = 0  # every N rounds, a device's earlier reading is published again

    def __post_init__(self) -> None:
        if not self.devices:
            raise InvalidInput("the simulation needs at least one device")
        if self.silent_device is not None and not 0 <= self.silent_device < len(self.devices):
            last = len(self.devices) - 1
            raise InvalidInput(f"--silent {self.silent_device} is not a device (0 to {last})")


@dataclass
class SimulationStats:
    published: int = 0
    replayed: int = 0
    last_quantity: Decimal = Decimal(0)
    sent: list[SignedReading] = field(default_factory=list)


def simulate(
    scenario: Scenario,
    domain: ReadingDomain,
    publisher: Publisher,
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_round: Callable[[int, Decimal], None] | None = None,
) -> SimulationStats:
    """Publishes `scenario.rounds` rounds of readings, one per live device per round."""
    rng = rng or random.Random()  # noqa: S311 -- noise, not secrecy
    unit = Decimal(1).scaleb(-scenario.decimals)
    noise_units = int(scenario.noise / unit)
    sequence = {d.address: int(time.time() * 1000) for d in scenario.devices}
    stats = SimulationStats()
    quantity = scenario.start
    for round_ in range(1, scenario.rounds + 1):
        if round_ >= scenario.theft_from:
            quantity = max(Decimal(0), quantity - scenario.theft_per_round).quantize(unit)
        stats.last_quantity = quantity
        now = int(time.time())
        for index, device in enumerate(scenario.devices):
            if index == scenario.silent_device and round_ >= scenario.silent_from:
                continue
            sequence[device.address] += 1
            noisy = max(Decimal(0), quantity + rng.randint(-noise_units, noise_units) * unit)
            reading = Reading(
                device=device.address,
                warehouse=scenario.warehouse,
                lot=scenario.lot,
                quantity=noisy.quantize(unit),
                unit=scenario.unit,
                time=now,
                sequence=sequence[device.address],
            )
            signed = domain.sign(reading, device.key)
            publisher.publish(signed).wait_for_publish(10)
            stats.sent.append(signed)
            stats.published += 1
        if scenario.replay_every and round_ % scenario.replay_every == 0 and len(stats.sent) > 1:
            publisher.publish(stats.sent[-len(scenario.devices) - 1]).wait_for_publish(10)
            stats.replayed += 1
        if on_round is not None:
            on_round(round_, quantity)
        if round_ < scenario.rounds:
            sleep(scenario.interval_s)
    return stats

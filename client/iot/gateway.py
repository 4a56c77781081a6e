"""The inspector's IoT gateway: signed readings in, stocktakes on chain out.

For each reading (`Gateway.handle`, called by the MQTT client for every message) the gateway checks,
in order, and refuses with a counted reason code otherwise:

    malformed / bad-signature   the JSON and its EIP-712 signature (client.iot.readings)
    wrong-topic                 the topic is the reading's own warehouse and lot
    unwatched-lot               the gateway watches the lot
    stale / future              the reading's time is within `max_age` before and `max_skew` after now
    unknown-device              the device is registered in the DeviceRegistry
    other-inspector             ... vouched for by this gateway's inspector
    untrusted-device            ... not revoked, and the inspector is still an active inspector
    wrong-warehouse             the device, the reading and the lot are at one warehouse
    unit-mismatch               the reading is in the lot's unit
    replay                      the sequence number is above the device's last accepted one

and keeps the latest accepted reading per device and lot. Every `tick` (`Gateway.evaluate`) it
decides per watched lot, from the lot as it stands on chain:

- **Combination rule.** The lot's quantity is the median of the latest readings of its devices that
  are fresh (at most `silent_after` old; an older device is *silent* and alerted), each rounded
  half-even to the lot's decimals; with an even count, the mean of the middle two, rounded the same
  way. With three or more devices, one further than the tolerance from that median *disagrees*: it
  is flagged (alerted), left out, and the median is taken again over the others. Two devices that
  disagree beyond the tolerance are both flagged and nothing is concluded from them.
- **Goods moved.** A quantity below the attested one by more than the tolerance, while no receipt
  of the lot has a delivery requested, is posted at once: below what is receipted it is a shortfall
  and the contract freezes the lot and names its lenders. A rise beyond the tolerance is posted at
  once too. A drop while a delivery is requested waits for the cadence (the warehouse is releasing
  goods; the delivery itself lowers the attested quantity on chain).
- **Cadence.** Otherwise a stocktake is posted when the lot's last one is `cadence` old, so a
  watched lot never runs into `StocktakeTooOld`.

Before posting, the devices behind the figure are checked on chain once more (not from the cache).
The stocktake's evidence is keccak256 of the sorted EIP-712 digests of the readings it used, so an
auditor can tie it to the signed readings in the gateway's log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from client import _contract_errors
from client._ledgerhouse import Ledgerhouse
from client.errors import ConfigurationError, InvalidInput, LedgerhouseError
from client.iot.devices import DeviceView
from client.iot.readings import ReadingDomain, ReadingRefused, SignedReading, lot_commitment, topic_for
from client.receipts import LotView

__all__ = ["Alert", "Gateway", "GatewayConfig", "Posted", "Stats", "Tolerance", "median"]

log = logging.getLogger("ledgerhouse.iot.gateway")
MAX_CACHED_DEVICES = 10_000


@dataclass(frozen=True)
class Tolerance:
    """How far a figure may stray: a share of the lot's attested quantity ("0.5%") or an absolute
    quantity in the lot's unit ("0.2")."""

    value: Decimal
    relative: bool

    @classmethod
    def parse(cls, text: str) -> Tolerance:
        raw = text.strip()
        relative = raw.endswith("%")
        try:
            value = Decimal(raw.removesuffix("%").strip())
        except InvalidOperation:
            raise InvalidInput(f"tolerance {text!r} is not a number or a percentage (e.g. 0.5%)") from None
        if not value.is_finite() or value < 0:
            raise InvalidInput(f"tolerance {text!r} must be zero or more")
        return cls(value / 100 if relative else value, relative)

    def allowed(self, reference: Decimal) -> Decimal:
        return abs(reference) * self.value if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value * 100}%" if self.relative else str(self.value)


@dataclass(frozen=True)
class GatewayConfig:
    cadence_s: int = 24 * 3600
    lot_cadence_s: dict[str, int] = field(default_factory=dict)  # by lot commitment (0x hex)
    tolerance: Tolerance = Tolerance(Decimal("0.005"), relative=True)
    silent_after_s: int = 120
    max_age_s: int = 300
    max_skew_s: int = 60
    trust_ttl_s: float = 10.0
    retry_after_s: float = 15.0


@dataclass(frozen=True)
class Alert:
    kind: str  # goods-moved, device-silent, device-disagrees, device-untrusted
    lot: str
    at: int
    detail: str
    device: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "alert": self.kind,
            "lot": self.lot,
            "device": self.device,
            "at": self.at,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Posted:
    lot: str
    reason: str  # goods-moved, goods-added, cadence
    quantity: Decimal
    devices: tuple[str, ...]
    tx_hash: str
    shortfall: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot,
            "reason": self.reason,
            "quantity": str(self.quantity),
            "devices": list(self.devices),
            "tx_hash": self.tx_hash,
            "shortfall": self.shortfall,
        }


@dataclass
class Stats:
    verified: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    posted: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    post_failures: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "refused": dict(self.refused),
            "posted": dict(self.posted),
            "alerts": dict(self.alerts),
            "post_failures": self.post_failures,
        }


@dataclass(frozen=True)
class _Latest:
    signed: SignedReading
    quantity: Decimal  # at the lot's decimals


@dataclass
class _Device:
    view: DeviceView | None  # None: not registered (cached like a registration)
    trusted: bool
    checked_at: float


class Gateway:
    """Verifies readings and posts stocktakes for the lots it watches, as `lh`'s inspector."""

    def __init__(
        self,
        lh: Ledgerhouse,
        lots: Iterable[str],
        config: GatewayConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        on_alert: Callable[[Alert], None] | None = None,
        state_path: Path | None = None,
    ) -> None:
        if lh.signer is None:
            raise InvalidInput("the gateway posts stocktakes: it needs the inspector's key")
        self.lh = lh
        self.inspector = lh.signer.address
        self.config = config or GatewayConfig()
        self.domain = ReadingDomain(lh.chain_id, lh.manifest.address_of("DeviceRegistry"))
        self.clock = clock
        self.stats = Stats()
        self.alerts: deque[Alert] = deque(maxlen=1000)
        self.posted: deque[Posted] = deque(maxlen=1000)
        self._on_alert = on_alert
        self._lock = threading.Lock()
        self.wake = threading.Event()  # set by every accepted reading: evaluate soon
        self._lots: dict[bytes, str] = {}  # commitment -> the lot as the operator typed it
        self._lot_views: dict[bytes, LotView] = {}
        self._topics: dict[str, bytes] = {}
        self._devices: dict[str, _Device] = {}
        self._sequence: dict[str, int] = {}
        self._latest: dict[bytes, dict[str, _Latest]] = {}
        self._silent: set[tuple[bytes, str]] = set()
        self._flagged: set[tuple[bytes, str]] = set()
        self._retry_at: dict[bytes, float] = {}
        self._state_path = state_path
        self._saved_sequences: dict[str, int] = {}
        if state_path is not None:
            self._saved_sequences = _load_sequences(state_path)
            self._sequence = dict(self._saved_sequences)
        for lot in lots:
            view = lh.receipts.attested_lot(lot)
            lot_id = lot_commitment(lot)
            self._lots[lot_id] = lot
            self._lot_views[lot_id] = view
            self._topics[topic_for(view.warehouse, lot)] = lot_id
            self._latest[lot_id] = {}
        if not self._lots:
            raise InvalidInput("the gateway needs at least one lot to watch (--lot)")

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    # ------------------------------------------------------------ readings in

    def handle(self, topic: str, payload: bytes) -> SignedReading:
        """Verifies one message; keeps it as its device's latest reading of the lot, or raises
        ReadingRefused (counted and logged with its reason)."""
        try:
            signed = self._verify(topic, payload)
        except ReadingRefused as exc:
            with self._lock:
                self.stats.refused[exc.reason] += 1
            log.warning(json.dumps({"refused": exc.reason, "topic": topic, "detail": str(exc)}))
            raise
        return signed

    def _verify(self, topic: str, payload: bytes) -> SignedReading:
        signed = self.domain.parse(payload)
        reading = signed.reading
        lot_id = reading.lot_id
        if self._topics.get(topic) != lot_id or topic != topic_for(reading.warehouse, reading.lot):
            raise ReadingRefused(
                "wrong-topic",
                f"a reading of lot {reading.lot!r} at {reading.warehouse} was published on topic {topic}",
            )
        if lot_id not in self._lots:
            raise ReadingRefused("unwatched-lot", f"lot {reading.lot!r} is not watched by this gateway")
        now = self.clock()
        if reading.time < now - self.config.max_age_s:
            raise ReadingRefused(
                "stale",
                f"reading {reading.sequence} of device {reading.device} is {int(now - reading.time)} s old",
            )
        if reading.time > now + self.config.max_skew_s:
            raise ReadingRefused(
                "future", f"reading {reading.sequence} of device {reading.device} is dated in the future"
            )
        device = self._device(reading.device, now)
        if device.view is None:
            raise ReadingRefused("unknown-device", f"device {reading.device} is not registered")
        if device.view.inspector != self.inspector:
            raise ReadingRefused(
                "other-inspector",
                f"device {reading.device} is vouched for by {device.view.inspector}, not by this gateway's "
                f"inspector {self.inspector}",
            )
        if not device.trusted:
            raise ReadingRefused(
                "untrusted-device",
                f"device {reading.device} is revoked or its inspector is no longer an active inspector",
            )
        lot = self._lot_views[lot_id]
        if device.view.warehouse != reading.warehouse or lot.warehouse != reading.warehouse:
            raise ReadingRefused(
                "wrong-warehouse",
                f"device {reading.device} is registered at {device.view.warehouse}; "
                f"lot {reading.lot!r} is at {lot.warehouse}; the reading says {reading.warehouse}",
            )
        if reading.unit.strip() != lot.unit:
            raise ReadingRefused(
                "unit-mismatch",
                f"lot {reading.lot!r} is counted in {lot.unit}, the reading is in {reading.unit}",
            )
        quantity = reading.quantity.quantize(Decimal(1).scaleb(-lot.decimals), rounding=ROUND_HALF_EVEN)
        with self._lock:
            last = self._sequence.get(reading.device)
            if last is not None and reading.sequence <= last:
                raise ReadingRefused(
                    "replay",
                    f"device {reading.device} sent sequence {reading.sequence}, "
                    f"not after {last} already accepted",
                )
            self._sequence[reading.device] = reading.sequence
            self._latest[lot_id][reading.device] = _Latest(signed, quantity)
            self.stats.verified += 1
        self.wake.set()
        return signed

    def _device(self, address: str, now: float) -> _Device:
        cached = self._devices.get(address)
        if cached is not None and now - cached.checked_at < self.config.trust_ttl_s:
            return cached
        devices = self.lh.devices
        view = cached.view if cached is not None else None
        if view is None:
            try:
                view = devices.device(address)
            except _contract_errors.DeviceNotRegistered:
                view = None
        trusted = view is not None and devices.trusted([address])[address]
        entry = _Device(view, trusted, now)
        if view is None and len(self._devices) >= MAX_CACHED_DEVICES:
            # Anyone can sign with fresh keys: unknown ones are looked up again rather than let
            # them grow the cache without bound.
            return entry
        self._devices[address] = entry
        return entry

    # ------------------------------------------------------------ stocktakes out

    def save_state(self) -> None:
        """Writes each device's last accepted sequence number to the state file (if any, and changed),
        atomically: a restarted gateway still refuses what this one accepted."""
        if self._state_path is None:
            return
        with self._lock:
            sequences = dict(self._sequence)
        if sequences == self._saved_sequences:
            return
        tmp = self._state_path.with_suffix(self._state_path.suffix + ".tmp")
        tmp.write_text(json.dumps({"sequences": sequences}, indent=1, sort_keys=True) + "\n")
        tmp.replace(self._state_path)
        self._saved_sequences = sequences

    def evaluate(self) -> list[Posted]:
        """Decides every watched lot once (see the module docstring); posts what is due."""
        self.save_state()
        done = []
        for lot_id in self._lots:
            try:
                posted = self._evaluate_lot(lot_id)
            except LedgerhouseError as exc:
                self.stats.post_failures += 1
                self._retry_at[lot_id] = self.clock() + self.config.retry_after_s
                log.error(json.dumps({"lot": self._lots[lot_id], "error": str(exc)}))
                continue
            if posted is not None:
                done.append(posted)
        return done

    def _evaluate_lot(self, lot_id: bytes) -> Posted | None:
        lot_text = self._lots[lot_id]
        now = self.clock()
        if now < self._retry_at.get(lot_id, 0):
            return None
        lot = self.lh.receipts.lot(lot_text)
        self._lot_views[lot_id] = lot
        with self._lock:
            latest = dict(self._latest[lot_id])
        fresh: dict[str, _Latest] = {}
        for device, entry in latest.items():
            key = (lot_id, device)
            if now - entry.signed.reading.time > self.config.silent_after_s:
                if key not in self._silent:
                    self._silent.add(key)
                    self._alert(
                        "device-silent",
                        lot_text,
                        f"no reading for {int(now - entry.signed.reading.time)} s",
                        device,
                    )
            else:
                self._silent.discard(key)
                fresh[device] = entry
        if not fresh:
            return None
        figure = self._combine(lot_id, lot, fresh)
        if figure is None:
            return None
        quantity, used = figure
        allowed = self.config.tolerance.allowed(lot.attested)
        chain_now = self.lh.receipts._now()
        cadence = self.config.lot_cadence_s.get("0x" + lot_id.hex(), self.config.cadence_s)
        reason = None
        if lot.attested - quantity > allowed:
            if self._delivery_requested(lot_text):
                log.info(
                    json.dumps({"lot": lot_text, "drop": str(lot.attested - quantity), "held": "delivery"})
                )
            else:
                reason = "goods-moved"
        elif quantity - lot.attested > allowed:
            reason = "goods-added"
        if reason is None and chain_now - int(lot.last_stocktake_at.timestamp()) >= cadence:
            reason = "cadence"
        if reason is None:
            return None
        # The devices behind the figure, checked on chain now, not from the cache.
        trusted = self.lh.devices.trusted(sorted(used))
        untrusted = [d for d, ok in trusted.items() if not ok]
        if untrusted:
            with self._lock:
                for device in untrusted:
                    self._latest[lot_id].pop(device, None)
                    self._devices.pop(device, None)
            for device in untrusted:
                self._alert(
                    "device-untrusted", lot_text, "revoked since its reading; reading dropped", device
                )
            return None
        evidence = keccak(b"".join(sorted(fresh[d].signed.digest for d in used)))
        result = self.lh.receipts.stocktake(
            lot.warehouse,
            lot_text,
            commodity=lot.commodity,
            quantity=quantity,
            unit=lot.unit,
            decimals=lot.decimals,
            evidence=evidence,
        )
        shortfall = bool(self.lh.receipts.events_in(result, "StockShortfall"))
        posted = Posted(lot_text, reason, quantity, tuple(sorted(used)), result.tx_hash, shortfall)
        self.stats.posted[reason] += 1
        self.posted.append(posted)
        if reason == "goods-moved":
            self._alert(
                "goods-moved",
                lot_text,
                f"{lot.attested - quantity} {lot.unit} gone (attested {lot.attested}, now {quantity})"
                + ("; lot frozen, lenders alerted" if shortfall else ""),
            )
        log.info(json.dumps({"posted": posted.to_json()}))
        return posted

    def _combine(
        self, lot_id: bytes, lot: LotView, fresh: dict[str, _Latest]
    ) -> tuple[Decimal, set[str]] | None:
        quantities = {device: entry.quantity for device, entry in fresh.items()}
        center = median(list(quantities.values()), lot.decimals)
        allowed = self.config.tolerance.allowed(lot.attested if lot.attested else center)
        outliers = {d for d, q in quantities.items() if abs(q - center) > allowed}
        lot_text = self._lots[lot_id]
        if len(quantities) == 2 and outliers:
            outliers = set(quantities)
        for device in quantities:
            key = (lot_id, device)
            if device in outliers and key not in self._flagged:
                self._flagged.add(key)
                self._alert(
                    "device-disagrees",
                    lot_text,
                    f"reads {quantities[device]} {lot.unit}, the lot's median is {center}",
                    device,
                )
            elif device not in outliers:
                self._flagged.discard(key)
        used = set(quantities) - outliers
        if not used:
            return None
        return median([quantities[d] for d in used], lot.decimals), used

    def _delivery_requested(self, lot: str) -> bool:
        receipts = self.lh.receipts
        return any(receipts.receipt(rid).delivery_requested for rid in receipts.live_receipts(lot))

    def _alert(self, kind: str, lot: str, detail: str, device: str | None = None) -> None:
        alert = Alert(kind, lot, int(self.clock()), detail, device)
        self.alerts.append(alert)
        self.stats.alerts[kind] += 1
        # INFO when someone listens (the CLI prints alerts itself), else WARNING: never lost.
        log.log(logging.INFO if self._on_alert else logging.WARNING, json.dumps(alert.to_json()))
        if self._on_alert is not None:
            self._on_alert(alert)


def _load_sequences(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"gateway state file {path} cannot be read: {exc}") from None
    sequences = data.get("sequences") if isinstance(data, dict) else None
    if not isinstance(sequences, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in sequences.items()
    ):
        raise ConfigurationError(f"gateway state file {path} is not a gateway state file")
    return dict(sequences)


def median(values: list[Decimal], decimals: int) -> Decimal:
    """The median; with an even count the mean of the middle two, rounded half-even to `decimals`."""
    ordered = sorted(values)
    n = len(ordered)
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return middle.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)

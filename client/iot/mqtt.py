"""The gateway and the simulator on an MQTT broker (paho-mqtt, MQTT 3.1.1, QoS 1).

The gateway's session is persistent (a fixed client id per inspector, clean_session false): while it
is away, or while the broker restarts, the broker keeps its subscriptions and queues the readings
published for them, and delivers them when it reconnects (paho reconnects by itself, 1 to 5 s apart).
A QoS 1 reading is acknowledged to the broker only after `Gateway.handle` returned, so a reading the
broker counts as delivered is in the gateway's state (or counted as refused).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from client.errors import InvalidInput, LedgerhouseError
from client.iot.gateway import Gateway, Posted
from client.iot.readings import SignedReading, topic_for

__all__ = ["GatewayConnection", "Publisher", "parse_url", "wait_until"]

log = logging.getLogger("ledgerhouse.iot.mqtt")
QOS = 1


def parse_url(url: str) -> tuple[str, int]:
    """(host, port) of an mqtt://host[:port] URL."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise InvalidInput(f"--mqtt {url!r} must be mqtt://HOST[:PORT], e.g. mqtt://127.0.0.1:1883")
    try:
        port = parts.port or 1883
    except ValueError:
        raise InvalidInput(f"--mqtt {url!r} has an invalid port") from None
    return parts.hostname, port


def _client(client_id: str, *, persistent: bool) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=not persistent,
        protocol=mqtt.MQTTv311,
    )
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    client.max_inflight_messages_set(100)
    return client


class GatewayConnection:
    """Runs `gateway` on the broker at `url`: messages verified on paho's network thread, lots
    evaluated (and stocktakes posted) on the caller's thread in `run`."""

    def __init__(self, gateway: Gateway, url: str, *, client_id: str | None = None) -> None:
        self.gateway = gateway
        self.host, self.port = parse_url(url)
        self.client_id = client_id or f"ledgerhouse-gateway-{gateway.inspector.lower()}"
        self.connected = threading.Event()
        self.connections = 0
        self._client = _client(self.client_id, persistent=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _u: object, flags: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            log.error(json.dumps({"mqtt": "connect refused", "reason": str(reason)}))
            return
        # Subscribed again on every connection: harmless when the broker kept the session.
        client.subscribe([(topic, QOS) for topic in self.gateway.topics])
        self.connections += 1
        self.connected.set()
        log.info(
            json.dumps({"mqtt": "connected", "session_present": getattr(flags, "session_present", None)})
        )

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        self.connected.clear()
        log.warning(json.dumps({"mqtt": "disconnected", "reason": str(reason)}))

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        try:
            self.gateway.handle(message.topic, message.payload)
        except LedgerhouseError:
            pass  # refused: counted and logged by the gateway
        except Exception as exc:  # a chain read failed: logged; the loop thread must live on
            log.error(json.dumps({"topic": message.topic, "error": f"{type(exc).__name__}: {exc}"}))

    def start(self) -> GatewayConnection:
        self._client.connect_async(self.host, self.port, keepalive=10)
        self._client.loop_start()
        return self

    def run(
        self,
        stop: threading.Event,
        *,
        tick_s: float = 1.0,
        min_interval_s: float = 0.2,
        on_posted: Callable[[Posted], None] | None = None,
    ) -> None:
        """Evaluates the lots until `stop` is set: soon after new readings arrive (at most every
        `min_interval_s`), and every `tick_s` regardless (cadence, silent devices)."""
        while not stop.is_set():
            self.gateway.wake.wait(tick_s)
            self.gateway.wake.clear()
            if stop.is_set():
                return
            for posted in self.gateway.evaluate():
                if on_posted is not None:
                    on_posted(posted)
            stop.wait(min_interval_s)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class Publisher:
    """Publishes signed readings at QoS 1 (the simulator, the tests, a device bridge)."""

    def __init__(self, url: str, *, client_id: str = "") -> None:
        self.host, self.port = parse_url(url)
        self._client = _client(client_id, persistent=False)
        self._client.max_queued_messages_set(0)

    def start(self, *, timeout: float = 10.0) -> Publisher:
        connected = threading.Event()
        self._client.on_connect = lambda *_args: connected.set()
        self._client.connect_async(self.host, self.port, keepalive=10)
        self._client.loop_start()
        if not connected.wait(timeout):
            self.stop()
            raise LedgerhouseError(f"cannot reach the MQTT broker at {self.host}:{self.port}")
        return self

    def publish(self, signed: SignedReading, *, topic: str | None = None) -> mqtt.MQTTMessageInfo:
        reading = signed.reading
        return self.publish_raw(topic or topic_for(reading.warehouse, reading.lot), signed.payload())

    def publish_raw(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self._client.publish(topic, payload, qos=QOS)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def wait_until(condition: Callable[[], bool], timeout: float, *, step: float = 0.1) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()

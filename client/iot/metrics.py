"""Prometheus metrics of a running gateway (`ledgerhouse iot gateway --metrics-port N`).

prometheus_client comes with the registry service's dependencies (`ledgerhouse[server]`); the SDK
alone does not need it. The counters are read from the gateway's own `Stats` at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from client.errors import ConfigurationError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

    from client.iot.gateway import Gateway


__all__ = ["gateway_registry", "serve_metrics"]


def gateway_registry(gateway: Gateway) -> CollectorRegistry:
    """A Prometheus registry exposing `gateway`'s counters."""
    try:
        from prometheus_client import CollectorRegistry
        from prometheus_client.core import CounterMetricFamily
        from prometheus_client.registry import Collector
    except ImportError:
        raise ConfigurationError(
            "--metrics-port needs prometheus_client: pip install 'ledgerhouse[server]'"
        ) from None

    class GatewayCollector(Collector):
        def collect(self) -> Iterator[Metric]:
            stats = gateway.stats
            verified = CounterMetricFamily(
                "ledgerhouse_iot_readings_verified", "Readings verified and kept by the gateway"
            )
            verified.add_metric([], stats.verified)
            yield verified
            refused = CounterMetricFamily(
                "ledgerhouse_iot_readings_refused", "Readings refused, by reason", labels=["reason"]
            )
            for reason, count in sorted(stats.refused.items()):
                refused.add_metric([reason], count)
            yield refused
            posted = CounterMetricFamily(
                "ledgerhouse_iot_stocktakes_posted",
                "Stocktakes posted on chain, by reason",
                labels=["reason"],
            )
            for reason, count in sorted(stats.posted.items()):
                posted.add_metric([reason], count)
            yield posted
            alerts = CounterMetricFamily("ledgerhouse_iot_alerts", "Alerts raised, by kind", labels=["kind"])
            for kind, count in sorted(stats.alerts.items()):
                alerts.add_metric([kind], count)
            yield alerts
            failures = CounterMetricFamily(
                "ledgerhouse_iot_post_failures", "Lot evaluations or stocktakes that failed (retried later)"
            )
            failures.add_metric([], stats.post_failures)
            yield failures

    registry = CollectorRegistry(auto_describe=True)
    registry.register(GatewayCollector())
    return registry


def serve_metrics(gateway: Gateway, port: int) -> None:
    """Serves /metrics on 127.0.0.1:`port` from a daemon thread."""
    from prometheus_client import start_http_server

    start_http_server(port, addr="127.0.0.1", registry=gateway_registry(gateway))

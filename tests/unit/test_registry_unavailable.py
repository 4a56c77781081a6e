"""One word, one meaning (issue 18 item 4): a registry service that cannot be reached is
`RegistryUnavailable`, never `ChainUnavailable` (which names the JSON-RPC node), under the one root."""

from __future__ import annotations

import socket

import pytest

from client import ChainUnavailable, LedgerhouseError, RegistryUnavailable
from client.registry_api import RegistryApi


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_registry_is_registry_unavailable_not_chain_unavailable() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(RegistryUnavailable, match=f"the registry at {url} cannot be reached") as raised:
        RegistryApi(url, timeout=5).health()
    assert not isinstance(raised.value, ChainUnavailable)
    assert isinstance(raised.value, LedgerhouseError) and isinstance(raised.value, ConnectionError)

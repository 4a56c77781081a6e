"""/health's chain head: read from the node at most once per max age, or taken from the indexer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client.deployment import Manifest
from registry.indexer.runner import Indexer
from registry.services.chain_head import ChainHead


def _count_calls(w3: Web3, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The JSON-RPC methods sent to the (real) node from now on."""
    calls: list[str] = []
    send = w3.provider.make_request

    def counted(method: Any, params: Any) -> Any:
        calls.append(str(method))
        return send(method, params)

    monkeypatch.setattr(w3.provider, "make_request", counted)
    return calls


def test_head_is_read_once_per_max_age_not_per_request(w3: Web3, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(w3, monkeypatch)
    head = ChainHead(w3, None, max_age_s=60)
    assert head.cached() == (False, None)
    first = head.read()
    assert first == w3.eth.block_number
    calls.clear()
    for _ in range(100):  # a hundred /health requests
        assert head.cached() == (True, first)
        assert head.read() == first
    assert calls == []


def test_head_expires_and_a_silent_node_reads_as_none(w3: Web3) -> None:
    head = ChainHead(w3, None, max_age_s=0.0)
    assert head.read() == w3.eth.block_number
    assert head.cached()[0] is False  # older than max age at once: the next request asks again
    away = ChainHead(
        Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2})), None, max_age_s=60
    )
    assert away.read() is None
    assert away.cached() == (True, None)  # the silence is shared too: /health says 503 meanwhile


def test_head_comes_from_a_running_indexer_without_a_call(
    w3: Web3, manifest: Manifest, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    indexer = Indexer(w3, manifest, sessions)
    indexer.ensure_cursor()
    indexer.step()
    calls = _count_calls(w3, monkeypatch)
    head = ChainHead(w3, indexer, max_age_s=60)
    assert head.cached() == (True, indexer.head)
    assert calls == []

"""client.reader without a chain: the one ABI decoder (fast path against eth_abi), event signatures
with tuple arguments, and the one value normalisation."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from hypothesis import given, settings
from hypothesis import strategies as st

from client._encoding import json_value
from client.reader import EventCodec, decode_abi, event_signature, normalise, topic_of

ADDRESS = "0x" + "ab" * 20

# An event with a struct argument: the signature must spell the tuple, as solc hashes it.
PRICED = {
    "type": "event",
    "name": "Priced",
    "anonymous": False,
    "inputs": [
        {"name": "id", "type": "uint256", "indexed": True},
        {"name": "who", "type": "address", "indexed": True},
        {
            "name": "quote",
            "type": "tuple",
            "indexed": False,
            "components": [{"name": "price", "type": "uint64"}, {"name": "feed", "type": "address"}],
        },
        {"name": "ref", "type": "bytes32", "indexed": False},
        {"name": "delta", "type": "int128", "indexed": False},
        {"name": "parties", "type": "address[]", "indexed": False},
    ],
}


def test_event_signatures_spell_tuple_arguments() -> None:
    # The indexer's copy wrote "Priced(uint256,address,tuple,...)", a topic no log ever carries.
    assert event_signature(PRICED) == "Priced(uint256,address,(uint64,address),bytes32,int128,address[])"


def test_an_event_with_a_struct_argument_is_decoded() -> None:
    codec = EventCodec([PRICED], ADDRESS, contract="Feed")
    feed, party = "0x" + "12" * 20, "0x" + "34" * 20
    data = encode(
        ["(uint64,address)", "bytes32", "int128", "address[]"],
        [(7, feed), b"\x01" * 32, -5, [party]],
    )
    log = {
        "address": ADDRESS,
        "topics": [
            "0x" + keccak(text=event_signature(PRICED)).hex(),
            topic_of(42),
            topic_of(party),
        ],
        "data": "0x" + data.hex(),
        "blockNumber": "0x10",
        "blockHash": "0x" + "cd" * 32,
        "logIndex": "0x2",
        "transactionHash": "0x" + "ef" * 32,
    }
    event = codec.decode(log)
    assert event is not None
    assert (event.name, event.block_number, event.log_index, event.contract) == ("Priced", 16, 2, "Feed")
    assert event.args == {
        "id": 42,
        "who": to_checksum_address(party),
        "quote": [7, to_checksum_address(feed)],
        "ref": b"\x01" * 32,
        "delta": -5,
        "parties": [to_checksum_address(party)],
    }
    assert event.to_json()["args"]["ref"] == "0x" + "01" * 32
    # a log whose topics do not fit the event (another event with the same name hash) is not it
    assert codec.decode({**log, "topics": log["topics"][:2]}) is None


ELEMENTARY: list[tuple[str, st.SearchStrategy[Any]]] = [
    ("uint256", st.integers(0, 2**256 - 1)),
    ("uint48", st.integers(0, 2**48 - 1)),
    ("int128", st.integers(-(2**127), 2**127 - 1)),
    ("int8", st.integers(-128, 127)),
    ("bool", st.booleans()),
    ("address", st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))),
    ("bytes32", st.binary(min_size=32, max_size=32)),
    ("bytes3", st.binary(min_size=3, max_size=3)),
]


@st.composite
def static_layouts(draw: st.DrawFn) -> tuple[list[str], list[Any]]:
    types: list[str] = []
    values: list[Any] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            members = draw(st.lists(st.sampled_from(ELEMENTARY), min_size=1, max_size=4))
            types.append("(" + ",".join(kind for kind, _ in members) + ")")
            values.append(tuple(draw(strategy) for _, strategy in members))
        else:
            kind, strategy = draw(st.sampled_from(ELEMENTARY))
            types.append(kind)
            values.append(draw(strategy))
    return types, values


@settings(max_examples=300, deadline=None)
@given(static_layouts())
def test_the_fast_static_path_decodes_as_eth_abi_does(layout: tuple[list[str], list[Any]]) -> None:
    types, values = layout
    data = encode(types, values)
    expected = tuple(normalise(kind, value) for kind, value in zip(types, values, strict=True))
    assert decode_abi(types, data) == expected
    # dynamic layouts (arrays) go through eth_abi and come out normalised the same way
    assert decode_abi([*types, "uint256[]"], encode([*types, "uint256[]"], [*values, [1, 2]])) == (
        *expected,
        [1, 2],
    )


def test_one_normalisation_of_bytes_and_one_json() -> None:
    assert normalise("bytes32", HexBytes(b"\x02" * 32)) == b"\x02" * 32
    assert type(normalise("bytes32", HexBytes(b"\x02" * 32))) is bytes
    assert normalise("address", "0x" + "ab" * 20) == to_checksum_address("0x" + "ab" * 20)
    assert json_value({"lot": b"\x02" * 2, "ids": (1, 2), "nested": [HexBytes(b"\x03")]}) == {
        "lot": "0x0202",
        "ids": [1, 2],
        "nested": ["0x03"],
    }

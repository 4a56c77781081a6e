"""The fast signer and encoder must produce exactly what eth-account and web3 produce."""

from __future__ import annotations

from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from client._signing import FastSigner, fast_calldata
from client.artifacts import load_artifact

KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: Web3.to_checksum_address(b))
UINT = st.integers(min_value=0, max_value=2**64)


@settings(max_examples=200, deadline=None)
@given(
    nonce=UINT,
    gas=st.integers(21_000, 30_000_000),
    fee=UINT,
    tip=UINT,
    to=ADDRESS,
    data=st.binary(max_size=300),
    value=UINT,
    chain_id=st.integers(1, 2**32),
)
def test_eip1559_transactions_match_eth_account(
    nonce: int, gas: int, fee: int, tip: int, to: str, data: bytes, value: int, chain_id: int
) -> None:
    params = {
        "chainId": chain_id,
        "nonce": nonce,
        "gas": gas,
        "maxFeePerGas": fee + tip,
        "maxPriorityFeePerGas": tip,
        "to": to,
        "data": "0x" + data.hex(),
        "value": value,
    }
    reference = Account.from_key(KEY).sign_transaction(params)
    raw, tx_hash = FastSigner(KEY).sign(params)
    assert raw == bytes(reference.raw_transaction)
    assert tx_hash == bytes(reference.hash)


@settings(max_examples=100, deadline=None)
@given(
    nonce=UINT,
    gas=st.integers(21_000, 30_000_000),
    price=UINT,
    to=ADDRESS,
    data=st.binary(max_size=300),
    chain_id=st.integers(1, 2**32),
)
def test_legacy_transactions_match_eth_account(
    nonce: int, gas: int, price: int, to: str, data: bytes, chain_id: int
) -> None:
    params = {
        "chainId": chain_id,
        "nonce": nonce,
        "gas": gas,
        "gasPrice": price,
        "to": to,
        "data": "0x" + data.hex(),
        "value": 0,
    }
    reference = Account.from_key(KEY).sign_transaction(params)
    assert FastSigner(KEY).sign(params) == (bytes(reference.raw_transaction), bytes(reference.hash))


def test_contract_creation_matches_eth_account() -> None:
    params = {
        "chainId": 31337,
        "nonce": 0,
        "gas": 3_000_000,
        "maxFeePerGas": 10**9,
        "maxPriorityFeePerGas": 1,
        "data": "0x6080604052",
    }
    reference = Account.from_key(KEY).sign_transaction(params)
    assert FastSigner(KEY).sign(params)[0] == bytes(reference.raw_transaction)


@settings(max_examples=100, deadline=None)
@given(
    to=ADDRESS,
    lot=st.binary(min_size=32, max_size=32),
    quantity=st.integers(1, 2**48 - 1),
    items=st.lists(st.binary(min_size=32, max_size=32), max_size=5),
)
def test_calldata_matches_web3(to: str, lot: bytes, quantity: int, items: list[bytes]) -> None:
    contract = Web3().eth.contract(
        address=Web3.to_checksum_address("0x" + "11" * 20), abi=load_artifact("WarehouseReceipts").abi
    )
    for call in (
        contract.functions.mint(to, lot, b"AL".ljust(16, b"\0"), quantity, 0, lot),
        contract.functions.mintSerialized(to, lot, b"AL".ljust(16, b"\0"), quantity, 1, lot, items),
        contract.functions.split(quantity, [quantity, 1]),
    ):
        assert fast_calldata(call) == call._encode_transaction_data()

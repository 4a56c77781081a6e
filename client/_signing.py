"""Fast transaction encoding and signing for pipelined submission.

eth-account spends ~670 µs per signature validating and reformatting a dict; the secp256k1
signature itself (coincurve) takes ~26 µs. For the pipelined path we serialise EIP-1559 and legacy
(EIP-155) transactions directly with `rlp` and sign with coincurve. tests/unit/test_signing.py
checks every byte against eth-account, which stays the reference (and the path for everything else).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import rlp
from coincurve import PrivateKey
from eth_abi.abi import encode as abi_encode
from eth_typing import HexStr
from eth_utils.crypto import keccak
from web3.contract.contract import ContractFunction


class FastSigner:
    """Signs transactions for one private key, byte-identical to eth-account."""

    def __init__(self, private_key: bytes) -> None:
        self._key = PrivateKey(private_key)

    def sign(self, params: dict[str, Any]) -> tuple[bytes, bytes]:
        """Returns (raw transaction, transaction hash) for an EIP-1559 or legacy `params` dict."""
        to = bytes.fromhex(params["to"][2:]) if params.get("to") else b""
        data = bytes.fromhex(str(params.get("data", "0x"))[2:])
        value = int(params.get("value", 0))
        if "maxFeePerGas" in params:
            fields = [
                params["chainId"],
                params["nonce"],
                params["maxPriorityFeePerGas"],
                params["maxFeePerGas"],
                params["gas"],
                to,
                value,
                data,
                [],
            ]
            digest = keccak(b"\x02" + rlp.encode(fields))
            r, s, v = self._sign_digest(digest)
            raw = b"\x02" + rlp.encode([*fields, v, r, s])
        else:
            chain_id = params["chainId"]
            fields = [params["nonce"], params["gasPrice"], params["gas"], to, value, data]
            digest = keccak(rlp.encode([*fields, chain_id, 0, 0]))
            r, s, v = self._sign_digest(digest)
            raw = rlp.encode([*fields, v + 35 + 2 * chain_id, r, s])
        return raw, keccak(raw)

    def _sign_digest(self, digest: bytes) -> tuple[int, int, int]:
        signature = self._key.sign_recoverable(digest, hasher=None)
        return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]


@lru_cache(maxsize=512)
def _selector_and_types(signature: str) -> tuple[bytes, tuple[str, ...]]:
    types = signature[signature.index("(") + 1 : -1]
    return keccak(text=signature)[:4], _split_types(types)


def _split_types(types: str) -> tuple[str, ...]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in types:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current:
        parts.append(current)
    return tuple(parts)


def abi_type(item: Mapping[str, Any]) -> str:
    """The canonical type of an ABI input or output: tuples spelled out, `(uint256,address)[]`
    (as solc hashes signatures; `client.reader` re-exports it for events and return values)."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in item["components"]) + ")" + kind[5:]
    return kind


def fast_calldata(call: ContractFunction) -> HexStr:
    """Selector + eth_abi encoding of a bound call's positional arguments (~25x faster than web3's)."""
    abi = call.abi
    signature = f"{abi['name']}({','.join(abi_type(i) for i in abi.get('inputs', []))})"
    selector, types = _selector_and_types(signature)
    return HexStr("0x" + (selector + abi_encode(list(types), list(call.args))).hex())

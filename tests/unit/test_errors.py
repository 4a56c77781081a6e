"""Revert decoding and the generated exception classes, without a chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from client import _contract_errors
from client.artifacts import CONTRACT_NAMES, load_artifact
from client.chain import decode_revert
from client.errors import ContractRevert, TransactionFailed, UnknownRevert

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _revert_data(signature: str, types: list[str], values: list[object]) -> str:
    return "0x" + keccak(text=signature)[:4].hex() + encode(types, values).hex()


def test_custom_error_decodes_to_typed_exception_with_arguments() -> None:
    data = _revert_data("MemberSuspended(address,uint64)", ["address", "uint64"], [ALICE, 1_795_000_000])
    error = decode_revert(data, {ALICE.lower(): "warehouse1"})
    assert isinstance(error, _contract_errors.MemberSuspended)
    assert isinstance(error, ContractRevert)
    assert error.account == ALICE
    assert error.since == 1_795_000_000
    assert str(error) == "MemberSuspended: 0x7099…79C8 (warehouse1) is suspended since 2026-11-18"


def test_unlabelled_address_is_printed_in_full() -> None:
    data = _revert_data("NotAMember(address)", ["address"], [ALICE])
    assert str(decode_revert(data)) == f"NotAMember: {ALICE} is not an admitted member"


def test_roles_and_statuses_are_named() -> None:
    data = _revert_data("AlreadyAdmitted(address,uint8,uint8)", ["address", "uint8", "uint8"], [ALICE, 3, 2])
    assert "is already admitted as core-enterprise (status suspended)" in str(decode_revert(data))


def test_codes_render_as_text_and_price_refusals_name_the_age() -> None:
    """Commodity, unit and currency codes are zero-padded bytes on chain; a banker reads them as text."""
    data = _revert_data(
        "PriceUnitMismatch(bytes16,bytes8,bytes8)",
        ["bytes16", "bytes8", "bytes8"],
        [b"CU-CATH".ljust(16, b"\0"), b"t".ljust(8, b"\0"), b"kg".ljust(8, b"\0")],
    )
    assert str(decode_revert(data)) == "PriceUnitMismatch: CU-CATH is priced per t, not per kg"
    stale = _revert_data(
        "StalePrice(bytes16,uint64,uint256,uint32)",
        ["bytes16", "uint64", "uint256", "uint32"],
        [b"CU-CATH".ljust(16, b"\0"), 1_795_000_000, 90_000, 86_400],
    )
    assert str(decode_revert(stale)) == (
        "StalePrice: the price of CU-CATH is stale: as of 2026-11-18 11:06:40 UTC, 90000 s old,"
        " more than the 86400 s allowed"
    )


def test_access_control_error_names_the_role() -> None:
    data = _revert_data(
        "AccessControlUnauthorizedAccount(address,bytes32)",
        ["address", "bytes32"],
        [ALICE, keccak(text="REGISTRAR_ROLE")],
    )
    assert (
        str(decode_revert(data)) == f"AccessControlUnauthorizedAccount: {ALICE} does not hold REGISTRAR_ROLE"
    )


def test_error_string_panic_unknown_and_empty_reverts() -> None:
    assert str(decode_revert(_revert_data("Error(string)", ["string"], ["boom"]))) == "reverted: boom"
    assert "panicked with code 0x11" in str(
        decode_revert(_revert_data("Panic(uint256)", ["uint256"], [0x11]))
    )
    unknown = decode_revert("0xdeadbeef" + "00" * 32)
    assert isinstance(unknown, UnknownRevert)
    empty = decode_revert("0x")
    assert isinstance(empty, TransactionFailed)
    assert "without a reason" in str(empty)
    assert isinstance(
        decode_revert({"data": _revert_data("NotAMember(address)", ["address"], [ALICE])}),
        _contract_errors.NotAMember,
    )


def test_every_abi_error_has_a_generated_class_with_its_selector() -> None:
    for name in CONTRACT_NAMES:
        for item in load_artifact(name).abi:
            if item["type"] != "error":
                continue
            signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
            selector = "0x" + keccak(text=signature)[:4].hex()
            cls = _contract_errors.ERRORS_BY_SELECTOR[selector]
            assert cls.__name__ == item["name"]
            assert cls.arg_names == tuple(i["name"] for i in item["inputs"])


def test_every_ledgerhouse_error_has_a_readable_template() -> None:
    """Our own errors (not OpenZeppelin's) must carry an @notice message template."""
    interface = (Path(__file__).parents[2] / "contracts" / "interfaces").rglob("*.sol")
    declared = {
        line.split("error ")[1].split("(")[0]
        for f in interface
        for line in f.read_text().splitlines()
        if line.strip().startswith("error ")
    }
    assert declared, "no errors found in contracts/interfaces"
    for name in declared:
        cls = getattr(_contract_errors, name)
        assert cls.template, f"{name} has no @notice in its interface"


def test_artifacts_are_valid_json_with_bytecode() -> None:
    for name in CONTRACT_NAMES:
        data = json.loads((Path(__file__).parents[2] / "client" / "abi" / f"{name}.json").read_text())
        assert data["bytecode"].startswith("0x") and len(data["bytecode"]) > 1000


@pytest.mark.parametrize("value", ["0x12", "not-an-address", "0x" + "g" * 40])
def test_checksum_rejects_malformed_addresses(value: str) -> None:
    from client.chain import checksum
    from client.errors import InvalidInput

    with pytest.raises(InvalidInput, match="is not a 20-byte hex address"):
        checksum(value)


def test_every_contract_error_reads_as_a_sentence() -> None:
    """No revert reaches a user as bare `name=value` pairs: each error has NatSpec or a template."""
    from client.errors import _OZ_TEMPLATES

    bare = [
        name
        for name in dir(_contract_errors)
        if isinstance(cls := getattr(_contract_errors, name), type)
        and issubclass(cls, ContractRevert)
        and cls is not ContractRevert
        and cls.template is None
        and name not in _OZ_TEMPLATES
    ]
    assert bare == []


def test_solady_token_errors_are_explained() -> None:
    data = _revert_data("TokenDoesNotExist()", [], [])
    assert str(decode_revert(data)) == (
        "TokenDoesNotExist: no such token: the id was never minted, or was burned on delivery or merge"
    )
    data = _revert_data("SafeCastOverflowedUintDowncast(uint8,uint256)", ["uint8", "uint256"], [48, 2**60])
    assert str(decode_revert(data)) == f"SafeCastOverflowedUintDowncast: {2**60} does not fit in 48 bits"

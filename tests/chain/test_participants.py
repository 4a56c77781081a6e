"""The participant registry through the SDK, against anvil."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from eth_typing import HexStr
from web3 import Web3

from client import Ledgerhouse, Role
from client._contract_errors import (
    AccessControlUnauthorizedAccount,
    AlreadyAdmitted,
    EmptyName,
    MemberKycExpired,
    MemberNotSuspended,
    MemberRevoked,
    MemberSuspended,
    NotAMember,
    SubscriberAlreadyAdded,
    SubscriberNotFound,
    UnknownRole,
    ValidityNotInFuture,
    WarehouseAdmissionRequired,
    WrongRole,
    ZeroAddress,
)
from client._encoding import end_of_day
from client._types import MemberStatus
from client.devnet import DEV_PARTICIPANTS, dev_account
from client.errors import InvalidInput, MissingKey
from client.participants import REGISTRAR_ROLE
from tests.conftest import increase_time

NEW = Web3.to_checksum_address("0x000000000000000000000000000000000000beef")
NEXT_YEAR = (datetime.now(UTC) + timedelta(days=365)).date()

AsFactory = Callable[[str], Ledgerhouse]


def test_dev_participants_are_admitted_with_their_roles(as_: AsFactory) -> None:
    lh = as_("auditor1")
    members = {m.address: m for m in lh.participants.members()}
    for p in DEV_PARTICIPANTS:
        address = dev_account(p.name).address
        if p.role is None:
            assert address not in members
            continue
        m = members[address]
        assert (m.role, m.status, m.active, m.name) == (p.role, MemberStatus.ACTIVE, True, p.display_name)
    warehouse = members[dev_account("warehouse1").address]
    assert warehouse.warehouse is not None
    assert warehouse.warehouse.years_in_operation == 12


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.NONE, Role.WAREHOUSE)])
def test_admit_records_every_non_warehouse_role(as_: AsFactory, role: Role) -> None:
    lh = as_("admin")
    result = lh.participants.admit(
        NEW, role, name="New Co", valid_until=NEXT_YEAR, entity_id="91310000MA1FL0001X"
    )
    member = lh.participants.member(NEW)
    assert member is not None
    assert member.role is role and member.active
    assert member.valid_until == datetime.fromtimestamp(end_of_day(NEXT_YEAR), UTC)
    logs = lh.participants.contract.events.MemberAdmitted().process_receipt(result.receipt)
    assert logs[0]["args"]["account"] == Web3.to_checksum_address(NEW)
    assert logs[0]["args"]["name"] == "New Co"


def test_admit_warehouse_stores_admission_record(as_: AsFactory) -> None:
    lh = as_("admin")
    lh.participants.admit_warehouse(
        NEW,
        name="Tianjin Port WH",
        valid_until=NEXT_YEAR,
        licence="TJ-2026-001",
        years_in_operation=7,
        rated_capacity_tonnes=120_000,
    )
    member = lh.participants.member(NEW)
    assert member is not None and member.warehouse is not None
    assert (member.warehouse.years_in_operation, member.warehouse.rated_capacity_tonnes) == (7, 120_000)


def test_every_registrar_function_refuses_every_other_role(as_: AsFactory) -> None:
    supplier = dev_account("supplier1").address
    warehouse_record = {"licence": "L", "years_in_operation": 1, "rated_capacity_tonnes": 1}
    attempts: list[tuple[str, tuple[object, ...], dict[str, object]]] = [
        ("admit", (NEW, Role.SUPPLIER), {"name": "X", "valid_until": NEXT_YEAR}),
        ("admit_warehouse", (NEW,), {"name": "X", "valid_until": NEXT_YEAR, **warehouse_record}),
        ("suspend", (supplier,), {"reason": "x"}),
        ("reinstate", (supplier,), {}),
        ("revoke", (supplier,), {"reason": "x"}),
        ("renew_kyc", (supplier,), {"valid_until": NEXT_YEAR}),
        ("grant_registrar", (NEW,), {}),
        ("set_warehouse_standards", (), {"min_years_in_operation": 1, "min_rated_capacity_tonnes": 1}),
    ]
    for p in DEV_PARTICIPANTS:
        if p.role is None:
            continue
        registry = as_(p.name).participants
        for method, args, kwargs in attempts:
            with pytest.raises(AccessControlUnauthorizedAccount) as caught:
                getattr(registry, method)(*args, **kwargs)
            assert caught.value.account == dev_account(p.name).address, method
            assert f"({p.name})" in str(caught.value)


def test_registrar_refusal_names_the_missing_role(as_: AsFactory) -> None:
    with pytest.raises(AccessControlUnauthorizedAccount) as caught:
        as_("bank1").participants.suspend(dev_account("supplier1").address, reason="x")
    assert caught.value.neededRole == REGISTRAR_ROLE
    assert "does not hold REGISTRAR_ROLE" in str(caught.value)


def test_admit_twice_names_the_existing_membership(as_: AsFactory) -> None:
    bank = dev_account("bank1").address
    with pytest.raises(AlreadyAdmitted) as caught:
        as_("admin").participants.admit(bank, Role.SUPPLIER, name="Again", valid_until=NEXT_YEAR)
    assert (caught.value.account, caught.value.role, caught.value.status) == (bank, Role.LENDER, 1)
    assert "is already admitted as lender (status active)" in str(caught.value)


def test_admit_zero_address_is_refused_on_chain(as_: AsFactory) -> None:
    with pytest.raises(ZeroAddress):
        as_("admin").participants.admit("0x" + "0" * 40, Role.SUPPLIER, name="Zero", valid_until=NEXT_YEAR)


def test_past_validity_is_refused_before_sending(as_: AsFactory, w3: Web3) -> None:
    block = w3.eth.block_number
    with pytest.raises(InvalidInput, match="validity date 2020-01-01 is in the past"):
        as_("admin").participants.admit(NEW, Role.SUPPLIER, name="Late", valid_until=date(2020, 1, 1))
    assert w3.eth.block_number == block


def test_contract_itself_refuses_past_validity_and_unknown_roles(as_: AsFactory) -> None:
    """The chain enforces the rules even for callers that bypass the SDK's own checks."""
    lh = as_("admin")
    assert lh.signer is not None
    registry = lh.participants.contract.functions
    with pytest.raises(ValidityNotInFuture) as caught:
        lh.signer.transact(registry.admit(NEW, int(Role.SUPPLIER), b"\x00" * 32, "Late", 1_600_000_000))
    assert caught.value.validUntil == 1_600_000_000
    assert "2020-09-13" in str(caught.value)
    with pytest.raises(UnknownRole, match="role number 9 is not a Ledgerhouse role"):
        lh.signer.transact(registry.admit(NEW, 9, b"\x00" * 32, "Who", end_of_day(NEXT_YEAR)))
    with pytest.raises(WarehouseAdmissionRequired):
        lh.signer.transact(
            registry.admit(NEW, int(Role.WAREHOUSE), b"\x00" * 32, "WH", end_of_day(NEXT_YEAR))
        )
    with pytest.raises(EmptyName):
        lh.signer.transact(registry.admit(NEW, int(Role.SUPPLIER), b"\x00" * 32, "", end_of_day(NEXT_YEAR)))


def test_malformed_address_and_unknown_role_text_are_refused(as_: AsFactory) -> None:
    with pytest.raises(InvalidInput, match="'0x1234' is not a 20-byte hex address"):
        as_("admin").participants.admit("0x1234", Role.SUPPLIER, name="X", valid_until=NEXT_YEAR)
    with pytest.raises(ValueError, match="unknown role 'wizard'"):
        Role.parse("wizard")
    assert Role.parse("bank") is Role.LENDER
    assert Role.parse("core-enterprise") is Role.CORE_ENTERPRISE


def test_suspension_stops_member_and_reinstatement_restores_it(as_: AsFactory) -> None:
    admin = as_("admin").participants
    warehouse = dev_account("warehouse2").address
    admin.suspend(warehouse, reason="stocktake shortfall")
    with pytest.raises(MemberSuspended, match=r"\(warehouse2\) is suspended since \d{4}-\d{2}-\d{2}"):
        admin.require_active(warehouse, Role.WAREHOUSE)
    assert not admin.is_active(warehouse)
    with pytest.raises(MemberSuspended):
        admin.suspend(warehouse, reason="twice")
    admin.reinstate(warehouse)
    admin.require_active(warehouse, Role.WAREHOUSE)
    with pytest.raises(MemberNotSuspended):
        admin.reinstate(warehouse)


def test_revocation_is_final(as_: AsFactory) -> None:
    admin = as_("admin").participants
    core = dev_account("core1").address
    admin.revoke(core, reason="forged invoices")
    for attempt in (
        lambda: admin.reinstate(core),
        lambda: admin.suspend(core, reason="x"),
        lambda: admin.admit(core, Role.SUPPLIER, name="Reborn", valid_until=NEXT_YEAR),
        lambda: admin.require_active(core, Role.CORE_ENTERPRISE),
    ):
        with pytest.raises(MemberRevoked):
            attempt()


def test_expired_kyc_stops_member_until_renewed(as_: AsFactory, w3: Web3) -> None:
    admin = as_("admin").participants
    admin.admit(
        NEW, Role.SUPPLIER, name="Short KYC", valid_until=(datetime.now(UTC) + timedelta(days=2)).date()
    )
    increase_time(w3, 4 * 86_400)
    with pytest.raises(MemberKycExpired):
        admin.require_active(NEW, Role.SUPPLIER)
    listed = admin.member(NEW)
    assert listed is not None and listed.status is MemberStatus.ACTIVE and not listed.active
    admin.renew_kyc(NEW, valid_until=NEXT_YEAR + timedelta(days=10))
    admin.require_active(NEW, Role.SUPPLIER)


def test_require_active_names_wrong_role_and_non_members(as_: AsFactory) -> None:
    registry = as_("auditor1").participants
    with pytest.raises(WrongRole, match="acts as supplier but this needs warehouse"):
        registry.require_active(dev_account("supplier1").address, Role.WAREHOUSE)
    with pytest.raises(NotAMember):
        registry.require_active(NEW, Role.SUPPLIER)


def test_reads_need_no_key_but_writes_do(w3: Web3, manifest: object) -> None:
    from client.deployment import Manifest

    assert isinstance(manifest, Manifest)
    reader = Ledgerhouse(w3, manifest)
    assert reader.participants.member(dev_account("bank1").address) is not None
    with pytest.raises(MissingKey):
        reader.participants.suspend(dev_account("bank1").address, reason="x")


def test_concurrent_submissions_from_one_key_get_distinct_consecutive_nonces(
    as_: AsFactory, w3: Web3
) -> None:
    lh = as_("admin")
    assert lh.signer is not None
    start = w3.eth.get_transaction_count(lh.signer.address)
    addresses = [f"0x{i:040x}" for i in range(0x1000, 0x1000 + 24)]
    results: list[str] = []
    lock = threading.Lock()

    def admit(address: str) -> None:
        result = lh.participants.admit(
            address, Role.SUPPLIER, name=f"S {address[-4:]}", valid_until=NEXT_YEAR
        )
        with lock:
            results.append(result.tx_hash)

    threads = [threading.Thread(target=admit, args=(a,)) for a in addresses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == len(addresses)
    assert w3.eth.get_transaction_count(lh.signer.address) == start + len(addresses)
    nonces = sorted(int(w3.eth.get_transaction(HexStr(h))["nonce"]) for h in results)
    assert nonces == list(range(start, start + len(addresses)))


def test_resending_a_submitted_transaction_never_creates_a_second_one(as_: AsFactory, w3: Web3) -> None:
    lh = as_("admin")
    assert lh.signer is not None
    call = lh.participants.admit_call(NEW, Role.SUPPLIER, name="Once", valid_until=NEXT_YEAR)
    pending = lh.signer.submit(call)
    lh.signer.wait(pending)
    count = w3.eth.get_transaction_count(lh.signer.address)
    lh.signer.resend(pending)  # e.g. a retry after a lost HTTP response
    lh.signer.resend(pending)
    assert w3.eth.get_transaction_count(lh.signer.address) == count
    dev_members = sum(1 for p in DEV_PARTICIPANTS if p.role is not None)
    assert len(lh.participants.members()) == dev_members + 1


def _mirrored(lh: Ledgerhouse, address: str, contract: str = "receipts") -> tuple[bool, list[int]]:
    mirror = lh.receipts.contract if contract == "receipts" else lh.receivables.contract
    current, standing = mirror.functions.mirroredStanding(address).call()
    return bool(current), list(standing)


def test_deploy_subscribes_the_receipts_and_receivables_contracts_to_member_standing(as_: AsFactory) -> None:
    lh = as_("auditor1")
    receipts = lh.manifest.address_of("WarehouseReceipts")
    receivables = lh.manifest.address_of("Receivables")
    assert lh.participants.subscribers() == [receipts, receivables]
    assert lh.receipts.contract.functions.standingFeed().call() == [True, 1]
    assert lh.receivables.contract.functions.standingFeed().call() == [True, 1]
    for p in DEV_PARTICIPANTS:
        if p.role is None:
            continue
        member = lh.participants.member(dev_account(p.name).address)
        assert member is not None
        for contract in ("receipts", "receivables"):
            current, (role, status, valid_until, _) = _mirrored(lh, member.address, contract)
            assert current, (p.name, contract)
            assert (role, status, valid_until) == (
                p.role,
                MemberStatus.ACTIVE,
                member.valid_until.timestamp(),
            )


def test_subscribing_again_pushes_every_member_and_what_it_missed(as_: AsFactory) -> None:
    admin = as_("admin").participants
    lh = as_("admin")
    receipts = lh.manifest.address_of("WarehouseReceipts")
    receivables = lh.manifest.address_of("Receivables")
    supplier1 = dev_account("supplier1").address
    admin.remove_subscriber(receipts)
    assert admin.subscribers() == [receivables]
    admin.suspend(supplier1, reason="review while unsubscribed")  # not pushed to the receipts
    assert _mirrored(lh, supplier1)[0] is False
    assert _mirrored(lh, supplier1, "receivables")[1][1] == MemberStatus.SUSPENDED
    with pytest.raises(MemberSuspended):  # asked of the registry meanwhile
        as_("supplier1").receipts.signer.transact(
            lh.receipts.contract.functions.setApprovalForAll(dev_account("supplier2").address, True)
        )
    results = admin.subscribe(receipts)
    assert len(results) == 2  # added, then every member pushed in one batch
    assert lh.receipts.contract.functions.standingFeed().call() == [True, 2]
    current, (_, status, _, _) = _mirrored(lh, supplier1)
    assert (current, status) == (True, MemberStatus.SUSPENDED)
    assert len(admin.subscribe(receipts)) == 1  # already subscribed: only the sync
    with pytest.raises(SubscriberAlreadyAdded):
        admin.add_subscriber(receipts)


def test_only_the_consortium_admin_manages_subscribers(as_: AsFactory) -> None:
    lh = as_("bank1")
    receipts = lh.manifest.address_of("WarehouseReceipts")
    with pytest.raises(AccessControlUnauthorizedAccount):
        lh.participants.remove_subscriber(receipts)
    with pytest.raises(AccessControlUnauthorizedAccount):
        lh.participants.sync_members(0, 1)
    with pytest.raises(SubscriberNotFound):
        as_("admin").participants.remove_subscriber(dev_account("bank1").address)
    assert lh.participants.subscribers() == [receipts, lh.manifest.address_of("Receivables")]

"""The participant registry: who may act in Ledgerhouse, in which role, until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3Exception

from client._encoding import end_of_day, json_value, timestamp
from client._typed import node_error, typed_methods
from client._types import MemberStatus, Role
from client.artifacts import load_artifact
from client.chain import Signer, TxResult, checksum, decode_revert
from client.errors import InvalidInput, LedgerhouseError, MissingKey, StateUnavailable
from client.identifiers import identifier_commitment
from client.reader import ChainReader, EventCodec, LogQuery, topic_of

__all__ = [
    "REGISTRAR_ROLE",
    "Member",
    "Participants",
    "WarehouseAdmission",
]


def topic_of_address(address: str) -> str:
    return "0x" + bytes.fromhex(address[2:]).rjust(32, b"\0").hex()


REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")


@dataclass(frozen=True)
class WarehouseAdmission:
    licence_commitment: str
    years_in_operation: int
    rated_capacity_tonnes: int


@dataclass(frozen=True)
class Member:
    """A member as the chain records it, with `active` as the chain judges it now."""

    address: str
    role: Role
    status: MemberStatus
    name: str
    entity_id: str
    admitted_at: datetime
    valid_until: datetime
    status_changed_at: datetime
    active: bool
    warehouse: WarehouseAdmission | None = None

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@typed_methods
class Participants:
    """Reads and (with a registrar's signer) changes the participant registry."""

    def __init__(self, w3: Web3, address: str, signer: Signer | None = None, *, from_block: int = 0) -> None:
        self.w3 = w3
        self.contract: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=load_artifact("ParticipantRegistry").abi
        )
        self._signer = signer
        self._from_block = from_block

    def _labels(self) -> dict[str, str]:
        return dict(self._signer.labels) if self._signer else {}

    def _require_signer(self) -> Signer:
        if self._signer is None:
            raise MissingKey()
        return self._signer

    def _validity(self, valid_until: date) -> int:
        deadline = end_of_day(valid_until)
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        if deadline <= now:
            raise InvalidInput(f"validity date {valid_until.isoformat()} is in the past")
        return deadline

    # ---------------------------------------------------------------- registrar actions

    def admit(
        self, address: str, role: Role, *, name: str, valid_until: date, entity_id: str | None = None
    ) -> TxResult:
        """Admits a member in any role but warehouse (see `admit_warehouse`)."""
        call = self.admit_call(address, role, name=name, valid_until=valid_until, entity_id=entity_id)
        return self._require_signer().transact(call)

    def admit_call(
        self, address: str, role: Role, *, name: str, valid_until: date, entity_id: str | None = None
    ) -> ContractFunction:
        """The validated `admit` call, for callers that pipeline submissions."""
        account = checksum(address)
        if role is Role.WAREHOUSE:
            raise InvalidInput("a warehouse is admitted with its admission record: use admit_warehouse")
        if not name.strip():
            raise InvalidInput("a member needs a display name")
        return self.contract.functions.admit(
            account,
            int(role),
            identifier_commitment(entity_id or name, what="entity id"),
            name.strip(),
            self._validity(valid_until),
        )

    def admit_warehouse(
        self,
        address: str,
        *,
        name: str,
        valid_until: date,
        licence: str,
        years_in_operation: int,
        rated_capacity_tonnes: int,
        entity_id: str | None = None,
    ) -> TxResult:
        """Admits a warehouse with its admission record (licence, years in operation, rated capacity)."""
        call = self.admit_warehouse_call(
            address,
            name=name,
            valid_until=valid_until,
            licence=licence,
            years_in_operation=years_in_operation,
            rated_capacity_tonnes=rated_capacity_tonnes,
            entity_id=entity_id,
        )
        return self._require_signer().transact(call)

    def admit_warehouse_call(
        self,
        address: str,
        *,
        name: str,
        valid_until: date,
        licence: str,
        years_in_operation: int,
        rated_capacity_tonnes: int,
        entity_id: str | None = None,
    ) -> ContractFunction:
        """The validated `admitWarehouse` call, for callers that pipeline submissions."""
        account = checksum(address)
        if not name.strip():
            raise InvalidInput("a member needs a display name")
        if not 0 <= years_in_operation < 2**16:
            raise InvalidInput(f"years in operation {years_in_operation} is out of range")
        if not 0 <= rated_capacity_tonnes < 2**64:
            raise InvalidInput(f"rated capacity {rated_capacity_tonnes} t is out of range")
        return self.contract.functions.admitWarehouse(
            account,
            identifier_commitment(entity_id or name, what="entity id"),
            name.strip(),
            self._validity(valid_until),
            (identifier_commitment(licence, what="licence"), years_in_operation, rated_capacity_tonnes),
        )

    def suspend(self, address: str, *, reason: str) -> TxResult:
        if not reason.strip():
            raise InvalidInput("a suspension needs a reason for the record")
        return self._require_signer().transact(
            self.contract.functions.suspend(checksum(address), reason.strip())
        )

    def reinstate(self, address: str) -> TxResult:
        return self._require_signer().transact(self.contract.functions.reinstate(checksum(address)))

    def revoke(self, address: str, *, reason: str) -> TxResult:
        if not reason.strip():
            raise InvalidInput("a revocation needs a reason for the record")
        return self._require_signer().transact(
            self.contract.functions.revoke(checksum(address), reason.strip())
        )

    def renew_kyc(self, address: str, *, valid_until: date) -> TxResult:
        call = self.contract.functions.renewKyc(checksum(address), self._validity(valid_until))
        return self._require_signer().transact(call)

    def set_warehouse_standards(
        self, *, min_years_in_operation: int, min_rated_capacity_tonnes: int
    ) -> TxResult:
        call = self.contract.functions.setWarehouseStandards(
            min_years_in_operation, min_rated_capacity_tonnes
        )
        return self._require_signer().transact(call)

    def grant_registrar(self, address: str) -> TxResult:
        call = self.contract.functions.grantRole(REGISTRAR_ROLE, checksum(address))
        return self._require_signer().transact(call)

    # ---------------------------------------------------------------- standing subscribers

    def subscribers(self) -> list[str]:
        """The contracts the registry pushes every member's standing to."""
        return [str(a) for a in self.contract.functions.subscribers().call()]

    def add_subscriber(self, address: str) -> TxResult:
        """Adds a standing subscriber (consortium admin); see `subscribe` to also push existing members."""
        return self._require_signer().transact(self.contract.functions.addSubscriber(checksum(address)))

    def remove_subscriber(self, address: str) -> TxResult:
        """Removes a standing subscriber (consortium admin); it then asks the registry again."""
        return self._require_signer().transact(self.contract.functions.removeSubscriber(checksum(address)))

    def sync_members(self, from_index: int, count: int) -> TxResult:
        """Pushes the standing of members `from_index` .. `from_index + count - 1` to every subscriber."""
        return self._require_signer().transact(self.contract.functions.syncMembers(from_index, count))

    def subscribe(self, address: str) -> list[TxResult]:
        """Adds `address` as a standing subscriber unless it is one, then pushes every member admitted so
        far, in batches of the registry's `MAX_SYNC_BATCH` (needs the admin and registrar roles)."""
        account = checksum(address)
        results = []
        if account.lower() not in {a.lower() for a in self.subscribers()}:
            results.append(self.add_subscriber(account))
        total = int(self.contract.functions.memberCount().call())
        batch = int(self.contract.functions.MAX_SYNC_BATCH().call())
        for start in range(0, total, batch):
            results.append(self.sync_members(start, min(batch, total - start)))
        return results

    # ---------------------------------------------------------------- reads

    def member(self, address: str) -> Member | None:
        """The member record of `address`, or None if it was never admitted."""
        account = checksum(address)
        raw = self.contract.functions.member(account).call()
        if raw[0] == Role.NONE:
            return None
        return self._member_from(account, raw, self.contract.functions.isActive(account).call())

    def _member_from(self, account: str, raw: Any, active: bool) -> Member:
        role, status, admitted_at, valid_until, changed_at, entity_id, name = raw
        warehouse = None
        if role == Role.WAREHOUSE:
            licence, years, capacity = self.contract.functions.warehouseAdmission(account).call()
            warehouse = WarehouseAdmission("0x" + bytes(licence).hex(), int(years), int(capacity))
        return Member(
            address=account,
            role=Role(role),
            status=MemberStatus(status),
            name=str(name),
            entity_id="0x" + bytes(entity_id).hex(),
            admitted_at=timestamp(admitted_at),
            valid_until=timestamp(valid_until),
            status_changed_at=timestamp(changed_at),
            active=bool(active),
            warehouse=warehouse,
        )

    def members(self) -> list[Member]:
        """Every address ever admitted, in admission order, with its current standing."""
        count = int(self.contract.functions.memberCount().call())
        addresses = [str(self.contract.functions.memberAt(i).call()) for i in range(count)]
        return [
            self._member_from(
                a, self.contract.functions.member(a).call(), self.contract.functions.isActive(a).call()
            )
            for a in addresses
        ]

    def is_active(self, address: str) -> bool:
        return bool(self.contract.functions.isActive(checksum(address)).call())

    def standing_at(self, address: str, role: Role, block: int) -> LedgerhouseError | None:
        """None if `address` was an active member in `role` at the end of `block`, else the reason
        the registry would have given then (NotAMember, WrongRole, MemberSuspended, ...).

        Asks the registry as it stood in that block; a node that no longer holds that state (not an
        archive node, or anvil restored from --state) is answered by replaying the member's events
        up to the block instead, which is what the registry's state was built from.
        """
        account = checksum(address)
        try:
            self.contract.functions.requireActive(account, int(role)).call(block_identifier=block)
        except ContractLogicError as exc:
            return decode_revert(exc.data, self._labels())
        except Web3Exception as exc:
            error = node_error(exc)
            if not isinstance(error, StateUnavailable):
                raise error from exc
            return self._replayed_standing(account, role, block)
        return None

    def _replayed_standing(self, account: str, role: Role, block: int) -> LedgerhouseError | None:
        from client._contract_errors import (
            MemberKycExpired,
            MemberRevoked,
            MemberSuspended,
            NotAMember,
            WrongRole,
        )

        wanted = (
            "MemberAdmitted",
            "MembershipSuspended",
            "MembershipReinstated",
            "MembershipRevoked",
            "KycRenewed",
        )
        codec = EventCodec(self.contract.abi, self.contract.address, contract="ParticipantRegistry")
        reader = ChainReader(self.w3, labels=self._labels())
        query = ([codec.topic[name] for name in wanted], topic_of(account))
        [events] = reader.logs([LogQuery(codec, query, self._from_block, block)])
        times = reader.results([("eth_getBlockByNumber", [hex(e.block_number), False]) for e in events])
        member_role = Role.NONE
        status, since, valid_until = MemberStatus.ACTIVE, 0, 0
        for event, header in zip(events, times, strict=True):
            name, args, when = event.name, event.args, int(str(header["timestamp"]), 16)
            if name == "MemberAdmitted":
                member_role, status, since = Role(int(args["role"])), MemberStatus.ACTIVE, when
                valid_until = int(args["validUntil"])
            elif name == "MembershipSuspended":
                status, since = MemberStatus.SUSPENDED, when
            elif name == "MembershipReinstated":
                status, since = MemberStatus.ACTIVE, when
            elif name == "MembershipRevoked":
                status, since = MemberStatus.REVOKED, when
            else:
                valid_until = int(args["validUntil"])
        labels = self._labels()
        if member_role is Role.NONE:
            return NotAMember(account, labels=labels)
        if status is MemberStatus.SUSPENDED:
            return MemberSuspended(account, since, labels=labels)
        if status is MemberStatus.REVOKED:
            return MemberRevoked(account, since, labels=labels)
        if int(self.w3.eth.get_block(block)["timestamp"]) > valid_until:
            return MemberKycExpired(account, valid_until, labels=labels)
        if member_role is not role:
            return WrongRole(account, int(member_role), int(role), labels=labels)
        return None

    def require_active(self, address: str, role: Role) -> None:
        """Raises the chain's reason (MemberSuspended, MemberKycExpired, ...) unless active in `role`."""
        try:
            self.contract.functions.requireActive(checksum(address), int(role)).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data, self._signer.labels if self._signer else None) from None

"""`ledgerhouse audit reconcile`: the registry service (real HTTP, real database) against the chain.

Each tampering test changes the registry's database behind the service's back through SQLAlchemy,
checks what the reconciliation reports, and restores the exact rows in a `finally` block, so the
module-scoped service stays a faithful index for the next test. The last test moves the chain while
the registry is being read; the module's chain snapshot is reverted after it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import DeclarativeBase, Session

from client import Ledgerhouse
from client.cli import main
from client.deployment import Manifest
from client.devnet import dev_account, dev_labels, free_port
from client.identifiers import identifier_commitment
from client.reconcile import Divergence, Reconciliation, RegistryNotReady, reconcile
from client.registry_api import RegistryApi
from registry.db.models import Lot, Participant, Receipt, Voucher
from registry.db.session import make_engine
from tests.cli.helpers import fails, ok
from tests.registry.conftest import RunningRegistry
from tests.registry.scenario import ALU_LOT, STEEL_LOT, addr

pytestmark = pytest.mark.usefixtures("devnet_env")


@pytest.fixture
def lh(registry_service: RunningRegistry, manifest: Manifest) -> Ledgerhouse:
    """A read-only client of the chain the registry indexes."""
    return Ledgerhouse(registry_service.w3, manifest, labels=dev_labels())


def run(
    lh: Ledgerhouse, service: RunningRegistry, *, signed_in: str | None = "auditor1", **kwargs: Any
) -> Reconciliation:
    """Reconciles as an auditor by default (every lien term compared), or anonymously with None."""
    return reconcile(lh, service.signed_in(signed_in) if signed_in else service.api(), **kwargs)


# ---------------------------------------------------------------- tampering with the registry's database


def columns(row: DeclarativeBase) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).mapper.column_attrs}


@contextmanager
def registry_db(service: RunningRegistry) -> Iterator[Session]:
    """A session on the running registry's own database (SQLite file or PostgreSQL)."""
    engine = make_engine(service.settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def altered(service: RunningRegistry, model: type[Any], key: Any, **changes: Any) -> Iterator[dict[str, Any]]:
    """Changes (or, with no changes, deletes) one row; restores exactly that row afterwards."""
    with registry_db(service) as db:
        row = db.get(model, key)
        assert row is not None, (model, key)
        original = columns(row)
        try:
            if changes:
                for name, value in changes.items():
                    setattr(row, name, value)
            else:
                db.delete(row)
            db.commit()
            yield original
        finally:
            db.rollback()
            db.merge(model(**original))
            db.commit()
            db.expire_all()
            restored = db.get(model, key)
            assert restored is not None and columns(restored) == original


@contextmanager
def added(service: RunningRegistry, row: Any) -> Iterator[None]:
    """Inserts a row the chain never produced; deletes it afterwards."""
    model, key = type(row), inspect(type(row)).primary_key_from_instance(row)
    with registry_db(service) as db:
        db.add(row)
        db.commit()
        try:
            yield
        finally:
            db.rollback()
            stale = db.get(model, tuple(key) if len(key) > 1 else key[0])
            if stale is not None:
                db.delete(stale)
                db.commit()


# ---------------------------------------------------------------- a clean registry


def test_clean_registry_reports_nothing(registry_service: RunningRegistry, lh: Ledgerhouse) -> None:
    report = run(lh, registry_service)
    assert report.divergences == []
    assert report.clean
    indexed = registry_service.api().health()["indexed_block"]
    assert report.at_block == indexed == report.requested_block
    assert report.checked == {
        "participant": 12,
        "lot": 2,
        "receipt": 4,  # alu, steel, alu_b and alu_c (merged into alu)
        "lien": 2,  # alu and steel, both to bank1
        "pledge-request": 0,
        "voucher": 3,
    }
    assert report.rereads == 0
    assert report.terms_not_compared == {"lien": 0, "pledge-request": 0, "voucher": 0}
    assert report.signed_in_as == f"{addr('auditor1')} (auditor)" and report.terms_note() is None


# ---------------------------------------------------------------- lien terms: anonymous or signed in


def test_anonymously_the_lien_terms_are_skipped_and_the_report_says_so(
    registry_service: RunningRegistry, lh: Ledgerhouse
) -> None:
    """The registry shows a lien's terms only to its parties, auditors and regulators: an anonymous
    reconciliation cannot compare them, must not call their absence a divergence, and says what it
    skipped; an auditor's compares them and finds a forged amount."""
    steel = registry_service.history.receipts["steel"]
    with altered(registry_service, Receipt, steel, secured_amount=1):
        anonymous = run(lh, registry_service, signed_in=None)
        audited = run(lh, registry_service)
        lienholder = run(lh, registry_service, signed_in="bank1")
        rival = run(lh, registry_service, signed_in="bank2")
    assert anonymous.divergences == [] and anonymous.signed_in_as is None
    assert anonymous.terms_not_compared == {"lien": 2, "pledge-request": 0, "voucher": 1}
    assert anonymous.terms_note() == (
        "lien terms not compared for 2 liens, 1 voucher: read anonymously, the registry shows them only "
        "to the lienholder, the owner, auditors and regulators (--sign-in with an auditor's key)"
    )
    assert [(d.kind, d.entity, d.id, d.field, d.registry, d.chain) for d in audited.divergences] == [
        ("different", "lien", str(steel), "secured_amount", "0.01", "350000.00")
    ]
    assert [(d.entity, d.field) for d in lienholder.divergences] == [("lien", "secured_amount")]
    assert lienholder.terms_not_compared == {"lien": 0, "pledge-request": 0, "voucher": 0}
    assert rival.divergences == [] and rival.terms_not_compared["lien"] == 2  # bank2 sees no terms
    assert f"as {addr('bank2')} (lender)" in (rival.terms_note() or "")


def test_cli_signs_in_as_an_auditor_to_compare_the_terms(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    steel = registry_service.history.receipts["steel"]
    with altered(registry_service, Receipt, steel, secured_amount=1):
        anonymous = main(["audit", "reconcile", "--registry", registry_service.url])
        out, err = capsys.readouterr()
        assert (anonymous, err) == (0, "")
        assert "lien terms not compared for 2 liens, 1 voucher: read anonymously" in out
        signed = main(
            ["--as", "auditor1", "audit", "reconcile", "--registry", registry_service.url, "--sign-in"]
        )
        out, err = capsys.readouterr()
    assert signed == 1 and "(1 different)" in err
    assert "secured_amount" in out and "350000.00" in out and "not compared" not in out
    report = ok(
        capsys, "--as", "auditor1", "audit", "reconcile", "--registry", registry_service.url, "--sign-in"
    )
    assert report["clean"] is True and report["signed_in_as"] == f"{addr('auditor1')} (auditor)"
    assert report["terms_not_compared"] == {"lien": 0, "pledge-request": 0, "voucher": 0}


def test_cli_sign_in_needs_a_key_and_a_member(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    url = registry_service.url
    assert fails(capsys, "audit", "reconcile", "--registry", url, "--sign-in").startswith("MissingKey")
    line = fails(capsys, "--as", "admin", "audit", "reconcile", "--registry", url, "--sign-in")
    assert "registry" in line and addr("admin") in line


def test_cli_clean_prints_the_table_and_exits_0(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["audit", "reconcile", "--registry", registry_service.url])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    assert f"the registry at {registry_service.url} against chain 31337 at block" in out
    assert "4 receipts" in out and "3 vouchers" in out and "12 participants" in out
    assert "no divergences" in out


def test_cli_json_parses(registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    report = ok(capsys, "audit", "reconcile", "--registry", registry_service.url + "/")
    assert report["clean"] is True and report["divergences"] == []
    assert report["registry_url"] == registry_service.url
    assert report["chain_id"] == 31337
    assert report["at_block"] == registry_service.api().health()["indexed_block"]
    assert report["counts"] == {"missing": 0, "extra": 0, "different": 0}
    assert report["checked"]["receipt"] == 4


def test_at_block_below_the_index_compares_at_the_registrys_block(
    registry_service: RunningRegistry, lh: Ledgerhouse
) -> None:
    """The registry answers only for its indexed block: comparing at an earlier block would call every
    later change a divergence, so the comparison moves up to the registry's block."""
    earlier = registry_service.history.blocks["before_shortfall"]
    report = run(lh, registry_service, at_block=earlier)
    assert report.clean, report.divergences
    assert report.requested_block == earlier
    assert report.at_block == registry_service.api().health()["indexed_block"] > earlier


def test_at_block_beyond_the_head_is_one_line(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    head = registry_service.w3.eth.block_number
    line = fails(
        capsys, "audit", "reconcile", "--registry", registry_service.url, "--at-block", str(head + 50)
    )
    assert line == f"InvalidInput: --at-block {head + 50} is beyond the chain head (block {head})"


class LaggingApi(RegistryApi):
    """The real registry, but /health says it is `behind` blocks back for its first `calls` reads."""

    def __init__(self, url: str, behind: int, calls: int) -> None:
        super().__init__(url)
        self.behind, self.calls = behind, calls

    def health(self) -> dict[str, Any]:
        health = super().health()
        if self.calls > 0:
            self.calls -= 1
            health["indexed_block"] -= self.behind
        return health


def test_a_lagging_registry_is_waited_for(registry_service: RunningRegistry, lh: Ledgerhouse) -> None:
    api = LaggingApi(registry_service.url, behind=3, calls=4)
    report = reconcile(lh, api, wait=30)
    assert report.clean, report.divergences
    assert api.calls == 0
    assert report.at_block == registry_service.w3.eth.block_number


def test_a_registry_that_stays_behind_is_not_compared(
    registry_service: RunningRegistry, lh: Ledgerhouse
) -> None:
    head = registry_service.w3.eth.block_number
    api = LaggingApi(registry_service.url, behind=3, calls=10**6)
    with pytest.raises(RegistryNotReady) as caught:
        reconcile(lh, api, wait=0.5)
    assert str(caught.value).startswith(
        f"the registry at {registry_service.url} has indexed up to block {head - 3}, not yet block {head}"
    )


# ---------------------------------------------------------------- divergences


def only(report: Reconciliation) -> Divergence:
    assert len(report.divergences) == 1, report.divergences
    return report.divergences[0]


def test_deleted_receipt_is_missing_with_the_chains_values(
    registry_service: RunningRegistry, lh: Ledgerhouse
) -> None:
    alu_b = registry_service.history.receipts["alu_b"]
    with altered(registry_service, Receipt, alu_b):
        d = only(run(lh, registry_service))
    assert (d.kind, d.entity, d.id, d.field, d.registry) == ("missing", "receipt", str(alu_b), None, None)
    assert d.chain is not None
    assert f"owner={addr('supplier3')}" in d.chain  # endorsed to supplier3
    assert "quantity=100.000" in d.chain  # 120 t split off, 20 t of them delivered
    assert "status=live" in d.chain and "frozen=true" in d.chain  # its lot was found short
    assert f"parent_id={registry_service.history.receipts['alu']}" in d.chain


def test_cli_reports_a_divergence_on_stdout_and_one_line_on_stderr(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    alu_b = registry_service.history.receipts["alu_b"]
    with altered(registry_service, Receipt, alu_b):
        code = main(["audit", "reconcile", "--registry", registry_service.url])
        out, err = capsys.readouterr()
        block = registry_service.api().health()["indexed_block"]
    assert code == 1
    assert err == (
        f"reconcile: 1 divergence (1 missing) between the registry at {registry_service.url} "
        f"and chain 31337 at block {block}\n"
    )
    assert "divergences" in out and "missing" in out
    assert "status=live" in out and "quantity=100.000" in out and "owner=" in out


def test_added_receipt_is_extra(registry_service: RunningRegistry, lh: Ledgerhouse) -> None:
    with registry_db(registry_service) as db:
        steel = db.get(Receipt, registry_service.history.receipts["steel"])
        assert steel is not None
        forged = Receipt(**{**columns(steel), "receipt_id": 999, "owner": addr("supplier3")})
    with added(registry_service, forged):
        d = only(run(lh, registry_service))  # its lien is not reported again on its own
    assert (d.kind, d.entity, d.id, d.field, d.chain) == ("extra", "receipt", "999", None, None)
    assert d.registry is not None and f"owner={addr('supplier3')}" in d.registry
    assert "quantity=120.000" in d.registry


def test_added_lien_is_extra(registry_service: RunningRegistry, lh: Ledgerhouse) -> None:
    """A lien the chain does not have, on a real receipt: the double-pledge an index must not invent."""
    alu_b = registry_service.history.receipts["alu_b"]
    with altered(
        registry_service,
        Receipt,
        alu_b,
        lender=addr("bank2"),
        secured_amount=50_000_000,
        currency="CNY",
        loan_ref="0x" + "ab" * 32,
        loan_maturity=2_000_000_000,
        pledged_at=1_900_000_000,
    ):
        d = only(run(lh, registry_service))
    assert (d.kind, d.entity, d.id, d.chain) == ("extra", "lien", str(alu_b), None)
    assert d.registry is not None and f"lender={addr('bank2')}" in d.registry
    assert "secured_amount=500000.00" in d.registry


@dataclass(frozen=True)
class Alteration:
    """A value changed in the registry's database and the divergence it must produce."""

    model: type[Any]
    key: Callable[[RunningRegistry], Any]
    changes: dict[str, Any]
    entity: str
    id: Callable[[RunningRegistry], str]
    field: str
    registry: str
    chain: str


def receipt(name: str) -> Callable[[RunningRegistry], int]:
    return lambda s: s.history.receipts[name]


def voucher(name: str) -> Callable[[RunningRegistry], int]:
    return lambda s: s.history.vouchers[name]


def text(key: Callable[[RunningRegistry], Any]) -> Callable[[RunningRegistry], str]:
    return lambda s: str(key(s))


def lot(identity: str) -> Callable[[RunningRegistry], str]:
    return lambda s: "0x" + identifier_commitment(identity).hex()


ALTERATIONS = {
    "receipt-owner": Alteration(
        Receipt,
        receipt("alu"),
        {"owner": addr("supplier2")},
        "receipt",
        text(receipt("alu")),
        "owner",
        addr("supplier2"),
        addr("supplier1"),
    ),
    "receipt-quantity": Alteration(
        Receipt,
        receipt("alu"),
        {"quantity": 170_000},
        "receipt",
        text(receipt("alu")),
        "quantity",
        "170.000",
        "180.000",
    ),
    "receipt-status": Alteration(
        Receipt,
        receipt("alu_c"),
        {"status": "live"},
        "receipt",
        text(receipt("alu_c")),
        "status",
        "live",
        "merged",
    ),
    "lien-lender": Alteration(
        Receipt,
        receipt("steel"),
        {"lender": addr("bank2")},
        "lien",
        text(receipt("steel")),
        "lender",
        addr("bank2"),
        addr("bank1"),
    ),
    "lot-attested": Alteration(
        Lot, lot(ALU_LOT), {"attested": 260_000}, "lot", lot(ALU_LOT), "attested", "260.000", "250.000"
    ),
    "voucher-holder": Alteration(
        Voucher,
        voucher("tier2"),
        {"holder": addr("supplier3")},
        "voucher",
        text(voucher("tier2")),
        "holder",
        addr("supplier3"),
        addr("supplier2"),
    ),
    "voucher-value": Alteration(
        Voucher,
        voucher("root"),
        {"value": 60_000_001},
        "voucher",
        text(voucher("root")),
        "value",
        "600000.01",
        "600000.00",
    ),
    "participant-status": Alteration(
        Participant,
        lambda s: addr("warehouse2"),
        {"status": "suspended", "status_reason": "forged"},
        "participant",
        lambda s: addr("warehouse2"),
        "status",
        "suspended",
        "active",
    ),
}


@pytest.mark.parametrize("case", ALTERATIONS.values(), ids=ALTERATIONS.keys())
def test_altered_value_is_different_naming_the_field_and_both_values(
    registry_service: RunningRegistry, lh: Ledgerhouse, case: Alteration
) -> None:
    with altered(registry_service, case.model, case.key(registry_service), **case.changes):
        report = run(lh, registry_service)
    [d, *more] = report.divergences
    assert (d.kind, d.entity, d.id, d.field) == (
        "different",
        case.entity,
        case.id(registry_service),
        case.field,
    )
    assert (d.registry, d.chain) == (case.registry, case.chain)
    if case.entity == "participant":  # the reason changed with the status
        assert [(m.field, m.registry, m.chain) for m in more] == [("status_reason", "forged", None)]
    else:
        assert more == []
    assert report.counts == {"missing": 0, "extra": 0, "different": len(report.divergences)}


def test_lot_freeze_shows_on_its_receipts_too(registry_service: RunningRegistry, lh: Ledgerhouse) -> None:
    """The registry derives a receipt's `frozen` from its lot: a forged lot freeze shows on both."""
    steel = registry_service.history.receipts["steel"]
    with altered(registry_service, Lot, lot(STEEL_LOT)(registry_service), frozen=True):
        report = run(lh, registry_service)
    found = {(d.entity, d.id, d.field, d.registry, d.chain) for d in report.divergences}
    assert found == {
        ("lot", lot(STEEL_LOT)(registry_service), "frozen", "true", "false"),
        ("receipt", str(steel), "frozen", "true", "false"),
    }


def test_csv_lists_each_divergence(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    alu = registry_service.history.receipts["alu"]
    with altered(registry_service, Receipt, alu, owner=addr("supplier2"), quantity=1):
        code = main(["audit", "reconcile", "--registry", registry_service.url, "--csv"])
        out, err = capsys.readouterr()
    assert code == 1 and err.startswith("reconcile: 2 divergences (2 different) between")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["field"] for r in rows] == ["owner", "quantity"]
    assert rows[0] == {
        "at_block": rows[0]["at_block"],
        "kind": "different",
        "entity": "receipt",
        "id": str(alu),
        "field": "owner",
        "registry": addr("supplier2"),
        "chain": addr("supplier1"),
    }
    assert (rows[1]["registry"], rows[1]["chain"]) == ("0.001", "180.000")


def test_json_divergences_parse(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    root = registry_service.history.vouchers["root"]
    with altered(registry_service, Voucher, root):
        code = main(["--json", "audit", "reconcile", "--registry", registry_service.url])
        out, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1 and "(1 missing)" in err
    report = json.loads(out)
    assert report["clean"] is False and report["counts"] == {"missing": 1, "extra": 0, "different": 0}
    [d] = report["divergences"]
    assert (d["kind"], d["entity"], d["id"], d["field"], d["registry"]) == (
        "missing",
        "voucher",
        str(root),
        None,
        None,
    )
    assert f"holder={addr('supplier1')}" in d["chain"] and "value=600000.00" in d["chain"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1:8000", "http://", "127.0.0.1:8000"])
def test_bad_url_is_one_line(capsys: pytest.CaptureFixture[str], url: str) -> None:
    line = fails(capsys, "audit", "reconcile", "--registry", url)
    assert line == f"InvalidInput: --registry {url!r} is not a registry URL like http://127.0.0.1:8000"


def test_unreachable_registry_is_one_line(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    line = fails(capsys, "audit", "reconcile", "--registry", url)
    assert line.startswith(f"RegistryUnavailable: the registry at {url} cannot be reached:")


def test_something_else_than_a_registry_is_one_line(
    registry_service: RunningRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    rpc = registry_service.settings.rpc_url  # anvil: no /health there
    line = fails(capsys, "audit", "reconcile", "--registry", rpc)
    assert line == f"RegistryAnswerInvalid: {rpc}/health answered HTTP 404: not a Ledgerhouse registry"


# ---------------------------------------------------------------- a registry that moves while it is read


class MovingApi(RegistryApi):
    """The real registry; after its first page of receipts the chain changes a participant and a lot
    already read, and the registry indexes that before the read goes on."""

    def __init__(self, url: str, move: Callable[[], None]) -> None:
        super().__init__(url)
        self.move: Callable[[], None] | None = move

    def receipts(self, **filters: Any) -> list[dict[str, Any]]:
        items = super().receipts(**filters)
        if self.move is not None:
            move, self.move = self.move, None
            move()
        return items


def test_a_registry_that_moves_while_read_reports_no_false_divergence(
    registry_service: RunningRegistry, lh: Ledgerhouse, manifest: Manifest
) -> None:
    """Runs last in the module: it leaves the chain changed (the module's snapshot is reverted after)."""
    w3 = registry_service.w3
    before = w3.eth.block_number

    def as_(name: str) -> Ledgerhouse:
        return Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())

    def move() -> None:
        as_("admin").participants.suspend(addr("supplier3"), reason="audit hold")
        as_("inspector1").receipts.stocktake(
            addr("warehouse2"), STEEL_LOT, commodity="HRC-Q235", quantity="130.000", unit="t", decimals=3
        )
        registry_service.wait_indexed()

    api = MovingApi(registry_service.url, move)
    report = reconcile(lh, api)
    assert report.clean, report.divergences
    assert report.requested_block == before
    assert report.at_block == w3.eth.block_number >= before + 2
    assert report.rereads >= 2  # supplier3 and the steel lot (and its receipt) were read again

    # Without the re-read, both would have been reported: the first pass saw them as they were.
    supplier3 = registry_service.api().get(f"/participants/{addr('supplier3')}")
    assert supplier3["status"] == "suspended" and supplier3["status_reason"] == "audit hold"
    steel_lot = registry_service.api().lot(lot(STEEL_LOT)(registry_service))
    assert steel_lot.attested == "130.000"

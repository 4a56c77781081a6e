"""Registry holes a hostile member could use (issue 15, item 6), each reproduced over real HTTP
against a registry indexing anvil, and the typed identifiers it shows as entered (item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import jwt
import pytest
import requests
from eth_account import Account
from eth_utils.crypto import keccak
from sqlalchemy import create_engine, func, select

from client import Ledgerhouse, Role
from client.devnet import dev_account, dev_labels
from client.identifiers import identifier_commitment
from client.models import LienOut
from client.registry_api import RegistryApi, RegistryRequestFailed
from registry.db.models import SigninChallenge
from tests.registry.conftest import RunningRegistry, running_registry
from tests.registry.scenario import ALU_LOT, RECEIPT_DETAILS

PROBLEM = "application/problem+json"


def addr(name: str) -> str:
    return dev_account(name).address


def as_(service: RunningRegistry, name: str) -> Ledgerhouse:
    return Ledgerhouse.connect(
        service.settings.rpc_url,
        account=dev_account(name),
        manifest_path=service.settings.deployment,
        labels=dev_labels(),
    )


def chain_day(service: RunningRegistry, days: int) -> datetime:
    now = int(service.w3.eth.get_block("latest")["timestamp"])
    return datetime.fromtimestamp(now, UTC) + timedelta(days=days)


def issue_on(service: RunningRegistry, document: bytes, to: str = "supplier2") -> int:
    """core1 issues a 1.00 CNY voucher committing to `document` (any 32 bytes it likes)."""
    _, voucher = as_(service, "core1").receivables.issue(
        addr(to), amount="1.00", currency="CNY", maturity=chain_day(service, 60).date(), document=document
    )
    service.wait_indexed()
    return voucher


# ---------------------------------------------------------------- identifiers as entered


def test_a_lot_looked_up_under_any_spelling_is_one_lot_shown_as_entered(
    registry_service: RunningRegistry,
) -> None:
    api = registry_service.api()
    plain = api.lot(ALU_LOT)
    respelled = api.lot(quote("shfe al 2026 000731"))
    assert respelled.lot_id == plain.lot_id == "0x" + identifier_commitment(ALU_LOT).hex()
    shown = {(s.as_entered, s.canonical) for s in respelled.identities}
    assert shown == {(ALU_LOT, "SHFEAL2026000731"), ("shfe al 2026 000731", "SHFEAL2026000731")}
    again = api.lot(quote("shfe al 2026 000731"))  # seen once, kept once
    assert len(again.identities) == 2
    assert [r["receipt_id"] for r in api.receipts(lot="SHFE_AL_2026_000731")] == [
        r["receipt_id"] for r in api.receipts(lot=ALU_LOT)
    ]


# ---------------------------------------------------------------- documents


def test_copying_a_commitment_into_ones_own_record_grants_no_download(
    registry_service: RunningRegistry, tmp_path: Path
) -> None:
    """core1 writes the warehouse's receipt-annex commitment into a voucher of its own; before the
    fix, being a party to any record with a matching hash was enough to download the annex."""
    annex = tmp_path / "annex.pdf"
    annex.write_bytes(RECEIPT_DETAILS)
    stored = registry_service.signed_in("warehouse1").upload_document(
        "receipt", registry_service.history.receipts["alu"], annex
    )
    issue_on(registry_service, keccak(RECEIPT_DETAILS))
    for copier in ("core1", "supplier2"):  # the copy's obligor and holder
        with pytest.raises(RegistryRequestFailed) as refused:
            registry_service.signed_in(copier).download_document(stored.sha256)
        assert refused.value.status == 403, copier
    assert registry_service.signed_in("supplier1").download_document(stored.sha256) == RECEIPT_DETAILS


def test_a_chinese_filename_downloads_and_the_type_is_the_registrys_own_reading(
    registry_service: RunningRegistry, tmp_path: Path
) -> None:
    contract = b"%PDF-1.7 purchase contract HT-2026-0042, Core Auto / Tier-2 Castings"
    issue_on(registry_service, keccak(contract))
    core = registry_service.signed_in("core1")
    voucher = max(v["voucher_id"] for v in core.vouchers(obligor=addr("core1")))
    named = tmp_path / "\u91c7\u8d2d\u5408\u540c-2026.pdf"  # 采购合同-2026.pdf
    named.write_bytes(contract)
    stored = core.upload_document("voucher", voucher, named)
    response = requests.get(
        f"{registry_service.url}/documents/{stored.sha256}",
        headers={"Authorization": f"Bearer {core.token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text  # was a 500: the name is not Latin-1
    assert response.content == contract
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E9%87%87%E8%B4%AD%E5%90%88%E5%90%8C-2026.pdf" in disposition
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"

    page = b"<html><script>alert(document.cookie)</script></html>"
    issue_on(registry_service, keccak(page))
    voucher = max(v["voucher_id"] for v in core.vouchers(obligor=addr("core1")))
    upload = requests.post(
        f"{registry_service.url}/documents",
        data={"subject": "voucher", "subject_id": str(voucher)},
        files={"file": ("invoice.html", page, "text/html")},
        headers={"Authorization": f"Bearer {core.token}"},
        timeout=10,
    )
    assert upload.status_code == 201, upload.text
    served = requests.get(
        f"{registry_service.url}/documents/{upload.json()['sha256']}",
        headers={"Authorization": f"Bearer {core.token}"},
        timeout=10,
    )
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/octet-stream"  # never the uploader's text/html
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment;")


# ---------------------------------------------------------------- one entity, several addresses


def test_one_entity_under_several_addresses_is_one_borrower(registry_service: RunningRegistry) -> None:
    """supplier2's legal entity is admitted again under a fresh address (issue 15, item 5): before,
    a lender checking the new address saw no exposure at all, nothing named the twin address, and
    no alert flagged the entity."""
    twin = Account.create()
    as_(registry_service, "admin").participants.admit(
        twin.address,
        Role.SUPPLIER,
        name="Tier-2 Fasteners Co (Shenzhen branch)",
        valid_until=chain_day(registry_service, 365).date(),
        entity_id="913205001234567898",  # supplier2's unified social credit code
    )
    registry_service.wait_indexed()
    supplier2 = addr("supplier2")
    bank2 = registry_service.signed_in("bank2")

    exposure = bank2.exposure(twin.address)
    assert exposure.addresses == [twin.address, supplier2]
    assert exposure.entity_id == "0x" + identifier_commitment("913205001234567898").hex()
    kinds = sorted((i.kind, i.borrower, i.lender, i.amount) for i in exposure.items)
    assert kinds == [
        ("receipt-lien", supplier2, addr("bank1"), "350000.00"),
        ("voucher-pledge", supplier2, addr("bank1"), "200000.00"),
    ]
    assert exposure.totals == {addr("bank1"): {"CNY": "550000.00"}}
    same = bank2.exposure(supplier2)
    assert same.addresses == [supplier2, twin.address] and same.totals == exposure.totals

    api = registry_service.api()
    assert api.participant(twin.address).same_entity == [supplier2]
    assert api.participant(supplier2).same_entity == [twin.address]
    listed = {p["address"]: p["same_entity"] for p in api.participants(role="supplier")}
    assert listed[supplier2] == [twin.address] and listed[addr("supplier1")] == []

    flagged = api.alerts(kind="shared-entity")
    assert [(a.subject, a.parties) for a in flagged] == [(exposure.entity_id, [supplier2, twin.address])]
    assert "2 addresses" in flagged[0].detail and "Tier-2 Fasteners Co" in flagged[0].detail
    assert "shared-entity" in {a.kind for a in api.alerts()}

    # Two members admitted straight through the contract with no entity declared (a zero id) are
    # two unknowns, not one entity.
    admin = as_(registry_service, "admin")
    assert admin.signer is not None
    undeclared = [Account.create().address for _ in range(2)]
    for i, member in enumerate(undeclared):
        validity = admin.participants._validity(chain_day(registry_service, 365).date())
        admin.signer.transact(
            admin.participants.contract.functions.admit(
                member, int(Role.SUPPLIER), b"\0" * 32, f"Undeclared Trading {i}", validity
            )
        )
    registry_service.wait_indexed()
    assert [api.participant(m).same_entity for m in undeclared] == [[], []]
    assert bank2.exposure(undeclared[0]).addresses == [undeclared[0]]

    admin.participants.revoke(twin.address, reason="duplicate admission")
    registry_service.wait_indexed()
    assert api.alerts(kind="shared-entity") == []  # revoked: no longer in standing twice
    assert bank2.exposure(supplier2).addresses == [supplier2, twin.address]  # its liens still count


# ---------------------------------------------------------------- lien visibility


def test_a_lien_is_public_its_terms_are_not(registry_service: RunningRegistry) -> None:
    """Issue 15, item 6: /liens/{lender} was restricted while the open
    /receipts?lender=X&status=pledged gave the same book with every amount. Now every public view
    shows that a receipt or piece is pledged and to whom; the terms only to the lienholder, the
    owner (holder), auditors and regulators, signed in."""
    receipts = registry_service.history.receipts
    bank1, anonymous = addr("bank1"), registry_service.api()
    book = anonymous.receipts(lender=bank1, status="pledged")
    assert {r["receipt_id"] for r in book} == {receipts["alu"], receipts["steel"]}
    for r in [*book, anonymous.receipt(receipts["steel"]).model_dump()]:
        assert r["lien"]["lender"] == bank1 and r["lien"]["terms_withheld"] is True
        assert [r["lien"][k] for k in ("secured_amount", "currency", "loan_ref", "loan_maturity")] == [
            None
        ] * 4

    def steel_lien(who: str) -> LienOut:
        lien = registry_service.signed_in(who).receipt(receipts["steel"]).lien
        assert lien is not None
        return lien

    for who in ("bank1", "supplier2", "auditor1", "regulator1"):  # lienholder, owner, oversight
        seen = steel_lien(who)
        assert (seen.secured_amount, seen.currency, seen.terms_withheld) == (
            "350000.00",
            "CNY",
            False,
        )
    for who in ("bank2", "supplier1", "warehouse2"):  # a rival bank, another member, the warehouse
        assert steel_lien(who).secured_amount is None and steel_lien(who).terms_withheld is True
    listed = registry_service.signed_in("supplier1").receipts(lender=bank1, status="pledged")
    assert {r["receipt_id"]: r["lien"]["secured_amount"] for r in listed} == {
        receipts["alu"]: "900000.00",  # supplier1's own receipt
        receipts["steel"]: None,
    }

    # The history: the pledge request's amount, currency, loan reference and maturity are terms too.
    def pledge_requests(api: RegistryApi) -> list[dict[str, object]]:
        events = api.receipt_history(receipts["steel"])
        return [e.args for e in events if e.event == "PledgeRequested"]

    public = pledge_requests(anonymous)
    assert len(public) == 2 and all("securedAmount" not in a and a["termsWithheld"] for a in public)
    assert {a["lender"] for a in public} == {bank1, addr("bank2")}
    to_bank2 = [
        a for a in pledge_requests(registry_service.signed_in("bank2")) if a["lender"] == addr("bank2")
    ]
    assert "securedAmount" in to_bank2[0] and "termsWithheld" not in to_bank2[0]  # its own request
    assert all("securedAmount" in a for a in pledge_requests(registry_service.signed_in("auditor1")))

    # Voucher pieces: the lienholder is public, the secured amount is not.
    tier2 = registry_service.history.vouchers["tier2"]
    piece = anonymous.get(f"/vouchers/{tier2}")
    assert (piece["lienholder"], piece["secured_amount"], piece["lien_terms_withheld"]) == (bank1, None, True)
    tree = {p.voucher_id: p for p in anonymous.voucher_tree(tier2).pieces}
    assert tree[tier2].secured_amount is None
    assert [v["secured_amount"] for v in anonymous.vouchers(status="pledged")] == [None]
    for who in ("bank1", "supplier2", "regulator1"):
        assert registry_service.signed_in(who).get(f"/vouchers/{tier2}")["secured_amount"] == "200000.00"
    assert registry_service.signed_in("bank2").get(f"/vouchers/{tier2}")["secured_amount"] is None

    # The explorer is anonymous: it names the lender and withholds the amounts.
    page = requests.get(f"{registry_service.url}/explorer/receipts/{receipts['steel']}", timeout=10)
    assert page.status_code == 200 and "350000.00" not in page.text and "400000.00" not in page.text
    assert "terms: lienholder, owner, auditors and regulators only" in page.text
    voucher_page = requests.get(f"{registry_service.url}/explorer/vouchers/{tier2}", timeout=10).text
    assert "200000.00" not in voucher_page

    # A session that is sent must be valid: a forged one is refused, not read as anonymous.
    forged = requests.get(
        f"{registry_service.url}/receipts/{receipts['steel']}",
        headers={"Authorization": "Bearer x"},
        timeout=10,
    )
    assert forged.status_code == 401
    # The lender's own book keeps its terms.
    book_terms = {
        r.lien.secured_amount if r.lien else "no lien"
        for r in registry_service.signed_in("bank1").liens(bank1)
    }
    assert book_terms == {
        "900000.00",
        "350000.00",
    }


# ---------------------------------------------------------------- sign-in


def test_asking_for_challenges_stores_nothing_and_is_throttled(registry_service: RunningRegistry) -> None:
    engine = create_engine(registry_service.settings.database_url)
    with engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(SigninChallenge))
    for _ in range(8):  # addresses nobody admitted
        stranger = Account.create().address
        response = requests.post(
            registry_service.url + "/auth/challenge", json={"address": stranger}, timeout=10
        )
        assert response.status_code == 200
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SigninChallenge)) == before
    engine.dispose()

    # A registry of its own, with small limits: flooding one address, then from one client, is 429.
    settings = registry_service.settings.model_copy(
        update={
            "public_url": f"http://127.0.0.1:{_free_port()}",
            "index": False,
            "challenges_per_address": 3,
            "challenges_per_client": 5,
        }
    )
    with running_registry(settings) as url:
        target = Account.create().address
        codes = [
            requests.post(url + "/auth/challenge", json={"address": target}, timeout=10) for _ in range(4)
        ]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert codes[-1].headers["content-type"].startswith(PROBLEM)
        assert (
            codes[-1].json()["type"].endswith("/too-many-requests") and target in codes[-1].json()["detail"]
        )
        others = [
            requests.post(url + "/auth/challenge", json={"address": Account.create().address}, timeout=10)
            for _ in range(3)
        ]
        assert [c.status_code for c in others] == [200, 200, 429]  # 5 from this client in the minute
        assert "127.0.0.1" in others[-1].json()["detail"]


def _free_port() -> int:
    from tests.registry.conftest import _free_port as free

    return free()


def test_a_session_ends_when_the_members_kyc_lapses(registry_service: RunningRegistry) -> None:
    """Runs last: it moves the chain's clock three days on."""
    member = Account.create()
    valid_until = chain_day(registry_service, 1).date()
    as_(registry_service, "admin").participants.admit(
        member.address, Role.SUPPLIER, name="Short-KYC Trading Co.", valid_until=valid_until
    )
    registry_service.wait_indexed()
    api = RegistryApi(registry_service.url, account=member)
    session = api.sign_in()
    claims = jwt.decode(session.token, options={"verify_signature": False})
    lapse = int(datetime.combine(valid_until, datetime.max.time(), UTC).timestamp())
    assert claims["exp"] <= lapse  # the token itself never outlives the KYC
    assert api.exposure(member.address).borrower == member.address

    w3 = registry_service.w3
    w3.provider.make_request("evm_increaseTime", [3 * 86_400])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    registry_service.wait_indexed()
    with pytest.raises(RegistryRequestFailed) as lapsed:
        api.exposure(member.address)
    assert lapsed.value.status == 403 and "KYC that lapsed" in str(lapsed.value)

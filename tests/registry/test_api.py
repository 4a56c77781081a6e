"""The REST API over real HTTP, on a registry indexing a real chain into SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from client.devnet import dev_account
from client.identifiers import identifier_commitment
from client.models import AlertOut, Page, ReceiptOut
from client.registry_api import RegistryRequestFailed
from tests.registry.conftest import RunningRegistry
from tests.registry.scenario import ALU_LOT, INSPECTION_REPORT, INVOICE, RECEIPT_DETAILS, STEEL_LOT

PROBLEM = "application/problem+json"


def addr(name: str) -> str:
    return dev_account(name).address


def raw(service: RunningRegistry, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(service.url + path, timeout=10, **kwargs)


def assert_problem(response: requests.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + slug)
    assert body["status"] == status and body["detail"]
    return body


# ---------------------------------------------------------------- operations


def test_health_reports_lag_and_metrics_count_events(registry_service: RunningRegistry) -> None:
    health = registry_service.api().health()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["lag_blocks"] is not None and health["lag_blocks"] <= 2
    assert health["events_indexed"] > 40
    metrics = raw(registry_service, "/metrics").text
    assert "ledgerhouse_indexer_events_total" in metrics
    assert "ledgerhouse_indexer_lag_blocks" in metrics
    assert 'ledgerhouse_http_request_seconds_count{method="GET",route="/health",status="200"}' in metrics


def test_health_head_follows_the_chain(registry_service: RunningRegistry) -> None:
    """/health reports the head the indexer last read (tests/registry/test_chain_head.py), not a
    chain call per request; a new block shows within a poll."""
    head = registry_service.w3.eth.block_number
    registry_service.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    deadline = time.monotonic() + 10
    while registry_service.api().health()["chain_head"] != head + 1:
        assert time.monotonic() < deadline, "the health head did not follow the chain"
        time.sleep(0.05)


def test_receipts_render_exactly_as_their_response_model(registry_service: RunningRegistry) -> None:
    """The receipt routes render plain dicts from Core rows (no model per row); the bytes must be
    what ReceiptOut's own serialiser makes of the same values, for every receipt, one and paged."""
    page = raw(registry_service, "/receipts?limit=500")
    assert page.status_code == 200 and page.headers["content-type"] == "application/json"
    items = page.json()["items"]
    assert items and any(r["lien"] for r in items) and any(r["pledge_request"] is None for r in items)
    as_model = Page[ReceiptOut].model_validate(page.json()).model_dump_json().encode()
    assert page.content == as_model
    for item in items:
        one = raw(registry_service, f"/receipts/{item['receipt_id']}")
        assert one.content == ReceiptOut.model_validate(one.json()).model_dump_json().encode()
        assert one.json() == item


# ---------------------------------------------------------------- participants


def test_participants_list_filter_and_get(registry_service: RunningRegistry) -> None:
    api = registry_service.api()
    everyone = api.participants()
    assert len(everyone) == 12
    lenders = api.participants(role="lender")
    assert {p["address"] for p in lenders} == {addr("bank1"), addr("bank2")}
    one = api.get(f"/participants/{addr('warehouse1').lower()}")
    assert one["name"] == "Qingdao Bonded Logistics Warehouse" and one["status"] == "active"
    assert_problem(raw(registry_service, f"/participants/{'0x' + '00' * 20}"), 404, "not-found")
    bad = assert_problem(raw(registry_service, "/participants/0x1234"), 422, "invalid-request")
    assert bad["errors"][0]["field"] == "account"
    bad_role = assert_problem(
        raw(registry_service, "/participants", params={"role": "pirate"}), 422, "invalid-request"
    )
    assert "role" in bad_role["detail"]


# ---------------------------------------------------------------- receipts and lots


def test_receipts_filter_by_owner_warehouse_commodity_lot_status_and_lender(
    registry_service: RunningRegistry,
) -> None:
    api, h = registry_service.api(), registry_service.history.receipts
    # Burned receipts keep their last owner; `status=live` asks for what is held now.
    assert [r["receipt_id"] for r in api.receipts(owner=addr("supplier1"))] == [h["alu"], h["alu_c"]]
    assert [r["receipt_id"] for r in api.receipts(owner=addr("supplier1"), status="live")] == [h["alu"]]
    assert {r["receipt_id"] for r in api.receipts(warehouse=addr("warehouse1"), status="live")} == {
        h["alu"],
        h["alu_b"],
    }
    assert [r["receipt_id"] for r in api.receipts(commodity="HRC-Q235")] == [h["steel"]]
    by_lot = api.receipts(lot=ALU_LOT)
    assert {r["receipt_id"] for r in by_lot} == {h["alu"], h["alu_b"], h["alu_c"]}
    assert {r["receipt_id"] for r in api.receipts(lot="0x" + identifier_commitment(ALU_LOT).hex())} == {
        r["receipt_id"] for r in by_lot
    }
    assert [r["receipt_id"] for r in api.receipts(status="merged")] == [h["alu_c"]]
    pledged = api.receipts(status="pledged")
    assert {r["receipt_id"] for r in pledged} == {h["alu"], h["steel"]}
    assert {r["lien"]["lender"] for r in pledged} == {addr("bank1")}
    assert api.receipts(lender=addr("bank2")) == []


def test_receipt_view_matches_the_scripted_history(registry_service: RunningRegistry) -> None:
    # Signed in as an auditor: a lien's terms are shown only to its parties and oversight.
    api, h = registry_service.signed_in("auditor1"), registry_service.history.receipts
    alu = api.receipt(h["alu"])
    assert alu.quantity == "180.000" and alu.unit == "t" and alu.commodity == "AL-A00"
    assert alu.lien is not None and alu.lien.secured_amount == "900000.00" and alu.lien.currency == "CNY"
    public = registry_service.api().receipt(h["alu"]).lien
    assert public is not None
    assert (public.lender, public.secured_amount, public.terms_withheld) == (
        addr("bank1"),
        None,
        True,
    )
    assert alu.frozen is True  # its lot is frozen by the shortfall
    alu_b = api.receipt(h["alu_b"])
    assert (alu_b.owner, alu_b.quantity, alu_b.parent_id) == (addr("supplier3"), "100.000", h["alu"])
    steel = api.receipt(h["steel"])
    assert steel.lien is not None
    assert steel.lien.lender == addr("bank1") and steel.lien.secured_amount == "350000.00"
    assert_problem(raw(registry_service, "/receipts/999999"), 404, "not-found")
    assert_problem(raw(registry_service, "/receipts/-1"), 422, "invalid-request")
    assert_problem(raw(registry_service, "/receipts/abc"), 422, "invalid-request")


def test_pagination_walks_every_receipt_once(registry_service: RunningRegistry) -> None:
    seen: list[int] = []
    after = None
    while True:
        page = registry_service.api().get("/receipts", limit=1, after=after)
        seen.extend(r["receipt_id"] for r in page["items"])
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(set(seen)) and len(seen) == 4
    assert_problem(raw(registry_service, "/receipts", params={"limit": 0}), 422, "invalid-request")
    assert_problem(raw(registry_service, "/receipts", params={"limit": 501}), 422, "invalid-request")


def test_split_part_history_includes_its_parents_life_up_to_the_split(
    registry_service: RunningRegistry,
) -> None:
    h = registry_service.history.receipts
    names = [e.event for e in registry_service.api().receipt_history(h["alu_b"])]
    assert names[:2] == ["Transfer", "ReceiptMinted"]  # the parent's mint
    assert "ReceiptSplit" in names
    after_split = names[names.index("ReceiptSplit") + 1 :]
    assert after_split[:1] == ["Transfer"] or "Transfer" in after_split  # its endorsement to supplier3
    assert {"DeliveryRequested", "Delivered", "ReceiptFreezeOrdered", "ReceiptFreezeLifted"} <= set(
        after_split
    )
    assert "PledgeAccepted" not in names  # the parent's later pledge is not part of this receipt's life


def test_lots_show_attested_versus_receipted_and_stocktakes(registry_service: RunningRegistry) -> None:
    api = registry_service.api()
    lot = api.lot(ALU_LOT)
    assert (lot.attested, lot.receipted, lot.uncovered, lot.frozen) == (
        "250.000",
        "280.000",
        "30.000",
        True,
    )
    assert [s.attested for s in lot.stocktakes] == ["300.000", "250.000"]
    assert lot.stocktakes[-1].shortfall == "30.000"
    frozen = api.lots(frozen=True)
    assert [x["lot_id"] for x in frozen] == ["0x" + identifier_commitment(ALU_LOT).hex()]
    assert api.lot(STEEL_LOT).live_receipts == 1
    assert_problem(raw(registry_service, "/lots/NO-SUCH-LOT"), 404, "not-found")


def test_alerts_name_shortfall_lenders_and_overdue_pieces(registry_service: RunningRegistry) -> None:
    alerts = registry_service.api().alerts(expiring_within_days=0)
    shortfall = [a for a in alerts if a.kind == "shortfall"]
    assert len(shortfall) == 1 and addr("bank1") in shortfall[0].parties
    overdue = {a.subject for a in alerts if a.kind == "overdue"}
    v = registry_service.history.vouchers
    # 31 days on, past maturity: every unpaid piece is overdue; the settled tier-3 piece is not.
    assert overdue == {str(v["root"]), str(v["tier2"])}
    assert not [a for a in alerts if a.kind == "expiring"]
    # The aluminium receipts expire 60 days after minting, 29 days after the chain's clock now.
    expiring = [a for a in registry_service.api().alerts(expiring_within_days=30) if a.kind == "expiring"]
    h = registry_service.history.receipts
    assert {a.subject for a in expiring} == {str(h["alu"]), str(h["alu_b"])}
    assert_problem(
        raw(registry_service, "/alerts", params={"expiring_within_days": -1}), 422, "invalid-request"
    )


def test_alerts_page_in_kind_order_with_one_cursor(registry_service: RunningRegistry) -> None:
    whole = raw(registry_service, "/alerts", params={"limit": 500}).json()
    assert whole["next_after"] is None
    kinds = [a["kind"] for a in whole["items"]]
    # 1 shortfall, 2 overdue pieces, 2 receipts expiring within 30 days: one page of each order.
    assert kinds == ["shortfall", "overdue", "overdue", "expiring", "expiring"]
    expiring = [a for a in whole["items"] if a["kind"] == "expiring"]
    assert [a["since"] for a in expiring] == sorted(a["since"] for a in expiring)
    # One alert a page: the cursor carries across kinds and the pages add up to the whole list.
    paged, after, cursors = [], None, []
    for _ in range(len(kinds)):  # bounded: a cursor that does not move fails here, not hangs
        page = raw(registry_service, "/alerts", params={"limit": 1, **({"after": after} if after else {})})
        body = page.json()
        assert page.status_code == 200 and len(body["items"]) == 1, body
        paged += body["items"]
        after = body["next_after"]
        if after is None:
            break
        cursors.append(after)
    assert after is None and paged == whole["items"]
    assert [c.split(":")[0] for c in cursors] == kinds[:-1]
    # The SDK follows the pages; `kind` keeps one kind, also from a cursor inside another kind.
    api = registry_service.api()
    assert api.alerts() == [AlertOut.model_validate(a) for a in whole["items"]]
    assert [a.subject for a in api.alerts(kind="overdue")] == [a["subject"] for a in whole["items"][1:3]]
    from_shortfall = raw(registry_service, "/alerts", params={"kind": "expiring", "after": cursors[0]}).json()
    assert from_shortfall["items"] == expiring
    too_big = "9" * 19  # past a 64-bit column: refused, not a database error
    for bad in ("overdue", "overdue:x", "shortfall:0x12", "expiring:5", "nonsense:1", f"overdue:{too_big}"):
        problem = assert_problem(
            raw(registry_service, "/alerts", params={"after": bad}), 422, "invalid-request"
        )
        assert problem["errors"][0]["field"] == "after", bad
    bad_kind = assert_problem(
        raw(registry_service, "/alerts", params={"kind": "late"}), 422, "invalid-request"
    )
    assert bad_kind["errors"][0]["field"] == "kind"


# ---------------------------------------------------------------- receivables


def test_voucher_tree_closes_and_penetration_reaches_tier_2(registry_service: RunningRegistry) -> None:
    api, v = registry_service.api(), registry_service.history.vouchers
    tree = api.voucher_tree(v["tier3"])
    assert tree.root_id == v["root"] and tree.closes is True
    assert tree.face_value == "1000000.00" and tree.settled == "150000.00"
    assert [(p.voucher_id, p.tier, p.value) for p in tree.pieces] == [
        (v["root"], 0, "600000.00"),
        (v["tier2"], 1, "250000.00"),
        (v["tier3"], 2, "150000.00"),
    ]
    t3 = api.get(f"/vouchers/{v['tier3']}")
    assert (t3["status"], t3["discounted_by"], t3["discount_price"]) == (
        "settled",
        addr("bank2"),
        "148000.00",
    )
    pen = api.penetration(addr("core1"))
    assert pen.outstanding == {"CNY": "850000.00"}
    assert pen.tiers == {"0": {addr("supplier1"): "600000.00"}, "1": {addr("supplier2"): "250000.00"}}
    assert pen.deepest_tier == 1 and pen.suppliers_reached == 2
    assert [x["voucher_id"] for x in api.vouchers(holder=addr("supplier2"))] == [v["tier2"]]
    assert [x["voucher_id"] for x in api.vouchers(status="pledged")] == [v["tier2"]]
    assert len(api.vouchers(obligor=addr("core1"))) == 3
    assert_problem(raw(registry_service, "/vouchers/5"), 404, "not-found")
    assert_problem(raw(registry_service, "/vouchers", params={"status": "lost"}), 422, "invalid-request")


# ---------------------------------------------------------------- sign-in and protected views


def test_exposure_and_liens_need_a_session_and_the_right_party(registry_service: RunningRegistry) -> None:
    with pytest.raises(RegistryRequestFailed) as anonymous:
        registry_service.api().exposure(addr("supplier2"))
    assert anonymous.value.status == 401 and anonymous.value.type.endswith("/authentication-required")
    bank2 = registry_service.signed_in("bank2")
    exposure = bank2.exposure(addr("supplier2"))  # any lender runs the double-financing check
    kinds = sorted((i.kind, i.lender, i.amount) for i in exposure.items)
    assert kinds == [
        ("receipt-lien", addr("bank1"), "350000.00"),
        ("voucher-pledge", addr("bank1"), "200000.00"),
    ]
    assert exposure.totals == {addr("bank1"): {"CNY": "550000.00"}}
    with pytest.raises(RegistryRequestFailed) as other_supplier:
        registry_service.signed_in("supplier1").exposure(addr("supplier2"))
    assert other_supplier.value.status == 403
    assert registry_service.signed_in("supplier2").exposure(addr("supplier2")).totals
    liens = registry_service.signed_in("bank1").liens(addr("bank1"))
    assert {r.receipt_id for r in liens} == {registry_service.history.receipts[k] for k in ("alu", "steel")}
    with pytest.raises(RegistryRequestFailed) as foreign_book:
        bank2.liens(addr("bank1"))
    assert foreign_book.value.status == 403
    assert len(registry_service.signed_in("auditor1").liens(addr("bank1"))) == 2
    bad_token = raw(
        registry_service, f"/exposure/{addr('supplier2')}", headers={"Authorization": "Bearer forged"}
    )
    assert_problem(bad_token, 401, "authentication-required")


def test_sign_in_rejects_forged_replayed_and_non_member_signatures(registry_service: RunningRegistry) -> None:
    url = registry_service.url
    challenge = requests.post(url + "/auth/challenge", json={"address": addr("bank1")}, timeout=10).json()
    assert "wants you to sign in with your Ethereum account" in challenge["message"]
    assert f"Chain ID: {registry_service.w3.eth.chain_id}" in challenge["message"]
    from eth_account.messages import encode_defunct

    forged = dev_account("bank2").sign_message(encode_defunct(text=challenge["message"]))
    response = requests.post(
        url + "/auth/session",
        json={"message": challenge["message"], "signature": "0x" + bytes(forged.signature).hex()},
        timeout=10,
    )
    assert "not by" in assert_problem(response, 401, "sign-in-rejected")["detail"]
    good = dev_account("bank1").sign_message(encode_defunct(text=challenge["message"]))
    body = {"message": challenge["message"], "signature": "0x" + bytes(good.signature).hex()}
    assert requests.post(url + "/auth/session", json=body, timeout=10).status_code == 200
    replay = requests.post(url + "/auth/session", json=body, timeout=10)
    assert "already used" in assert_problem(replay, 401, "sign-in-rejected")["detail"]
    tampered = {
        "message": challenge["message"].replace("Chain ID: 31337", "Chain ID: 1"),
        "signature": body["signature"],
    }
    assert_problem(requests.post(url + "/auth/session", json=tampered, timeout=10), 401, "sign-in-rejected")
    from eth_account import Account

    stranger = Account.create()
    c2 = requests.post(url + "/auth/challenge", json={"address": stranger.address}, timeout=10).json()
    s2 = stranger.sign_message(encode_defunct(text=c2["message"]))
    r2 = requests.post(
        url + "/auth/session",
        json={"message": c2["message"], "signature": "0x" + bytes(s2.signature).hex()},
        timeout=10,
    )
    assert "not an admitted participant" in assert_problem(r2, 403, "forbidden")["detail"]
    malformed = requests.post(url + "/auth/challenge", json={"address": "0xnothex"}, timeout=10)
    assert assert_problem(malformed, 422, "invalid-request")["errors"][0]["field"] == "address"
    short_sig = requests.post(url + "/auth/session", json={"message": "x", "signature": "0x12"}, timeout=10)
    assert assert_problem(short_sig, 422, "invalid-request")["errors"][0]["field"] == "signature"


# ---------------------------------------------------------------- documents


def test_documents_are_accepted_only_when_they_match_the_chain_and_served_only_to_parties(
    registry_service: RunningRegistry, tmp_path: Path
) -> None:
    h, v = registry_service.history.receipts, registry_service.history.vouchers
    warehouse = registry_service.signed_in("warehouse1")
    annex = tmp_path / "annex.pdf"
    annex.write_bytes(RECEIPT_DETAILS)
    stored = warehouse.upload_document("receipt", h["alu"], annex)
    assert stored.commitment == "0x" + __import__("eth_utils").keccak(RECEIPT_DETAILS).hex()
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(RECEIPT_DETAILS.replace(b"A00", b"A99"))
    with pytest.raises(RegistryRequestFailed) as mismatch:
        warehouse.upload_document("receipt", h["alu"], forged)
    assert mismatch.value.status == 422 and mismatch.value.type.endswith("/commitment-mismatch")
    assert (
        registry_service.signed_in("supplier1").download_document(stored.sha256) == RECEIPT_DETAILS
    )  # owner
    assert (
        registry_service.signed_in("bank1").download_document(stored.sha256) == RECEIPT_DETAILS
    )  # lienholder
    assert registry_service.signed_in("auditor1").download_document(stored.sha256) == RECEIPT_DETAILS
    with pytest.raises(RegistryRequestFailed) as outsider:
        registry_service.signed_in("bank2").download_document(stored.sha256)
    assert outsider.value.status == 403
    with pytest.raises(RegistryRequestFailed) as anonymous:
        registry_service.api().download_document(stored.sha256)
    assert anonymous.value.status == 401

    report = tmp_path / "inspection.pdf"
    report.write_bytes(INSPECTION_REPORT)
    lot_doc = registry_service.signed_in("inspector1").upload_document("lot", ALU_LOT, report)
    assert registry_service.signed_in("supplier3").download_document(lot_doc.sha256) == INSPECTION_REPORT
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(INVOICE)
    inv = registry_service.signed_in("core1").upload_document("voucher", v["tier2"], invoice)
    assert registry_service.signed_in("bank2").download_document(inv.sha256) == INVOICE  # discounted a piece
    with pytest.raises(RegistryRequestFailed) as unknown:
        warehouse.upload_document("receipt", 999_999, annex)
    assert unknown.value.status == 404
    token = {"Authorization": f"Bearer {warehouse.token}"}
    bad_id = requests.post(
        registry_service.url + "/documents",
        data={"subject": "receipt", "subject_id": "12; DROP"},
        files={"file": ("a", b"x")},
        headers=token,
        timeout=10,
    )
    assert assert_problem(bad_id, 422, "invalid-request")["errors"][0]["field"] == "subject_id"
    bad_subject = requests.post(
        registry_service.url + "/documents",
        data={"subject": "ship", "subject_id": "1"},
        files={"file": ("a", b"x")},
        headers=token,
        timeout=10,
    )
    assert assert_problem(bad_subject, 422, "invalid-request")["errors"][0]["field"] == "subject"
    assert_problem(raw(registry_service, "/documents/nothex", headers=token), 422, "invalid-request")


def test_unknown_routes_and_methods_are_problems_too(registry_service: RunningRegistry) -> None:
    assert_problem(raw(registry_service, "/no/such/route"), 404, "not-found")
    assert_problem(
        requests.delete(registry_service.url + "/receipts/1", timeout=10), 405, "method-not-allowed"
    )


def test_document_metadata_is_for_parties_only(registry_service: RunningRegistry, tmp_path: Path) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(INVOICE)
    core = registry_service.signed_in("core1")
    stored = core.upload_document("voucher", registry_service.history.vouchers["root"], invoice)
    meta = core.get(f"/documents/{stored.sha256}/meta")
    assert (meta["subject"], meta["size"], meta["uploaded_by"]) == ("voucher", len(INVOICE), addr("core1"))
    with pytest.raises(RegistryRequestFailed) as outsider:
        registry_service.signed_in("warehouse2").get(f"/documents/{stored.sha256}/meta")
    assert outsider.value.status == 403


def test_a_suspended_member_loses_its_session_and_cannot_sign_in(registry_service: RunningRegistry) -> None:
    """Runs last in this module: it suspends supplier3 on chain and reinstates it at the end."""
    from client import Ledgerhouse

    supplier3 = registry_service.signed_in("supplier3")
    assert supplier3.exposure(addr("supplier3")).borrower == addr("supplier3")
    admin = Ledgerhouse.connect(
        registry_service.settings.rpc_url,
        account=dev_account("admin"),
        manifest_path=registry_service.settings.deployment,
    )
    admin.participants.suspend(addr("supplier3"), reason="KYC review")
    try:
        registry_service.wait_indexed()
        with pytest.raises(RegistryRequestFailed) as revoked_session:
            supplier3.exposure(addr("supplier3"))
        assert revoked_session.value.status == 403 and "suspended" in str(revoked_session.value)
        with pytest.raises(RegistryRequestFailed) as refused:
            registry_service.signed_in("supplier3")
        assert refused.value.status == 403 and "suspended" in str(refused.value)
    finally:
        admin.participants.reinstate(addr("supplier3"))
        registry_service.wait_indexed()


def test_blank_lot_and_malformed_bodies_are_4xx_problems_not_500(registry_service: RunningRegistry) -> None:
    blank = assert_problem(raw(registry_service, "/receipts", params={"lot": "\t"}), 422, "invalid-request")
    assert blank["errors"][0]["field"] == "lot"
    garbage = requests.post(
        registry_service.url + "/auth/challenge",
        data=b"\x11\xfe{",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert garbage.status_code in (400, 422) and garbage.headers["content-type"].startswith(PROBLEM)
    schema = raw(registry_service, "/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert "application/problem+json" in schema["paths"]["/receipts"]["get"]["responses"]["404"]["content"]

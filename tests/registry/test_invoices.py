"""The registry's invoice index and near-duplicate check (issue 15, item 3), over real HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from client import Ledgerhouse
from client.devnet import dev_account, dev_labels
from client.invoices import Invoice
from client.registry_api import RegistryRequestFailed
from tests.registry.conftest import RunningRegistry

INVOICE = Invoice.of("INV-2026-118", date(2026, 11, 20), "1000000.00", "CNY")


def addr(name: str) -> str:
    return dev_account(name).address


def test_a_re_numbered_or_re_dated_invoice_is_flagged_naming_the_earlier_voucher(
    registry_service: RunningRegistry,
) -> None:
    core = Ledgerhouse.connect(
        registry_service.settings.rpc_url,
        account=dev_account("core1"),
        manifest_path=registry_service.settings.deployment,
        labels=dev_labels(),
    )
    now = datetime.fromtimestamp(int(registry_service.w3.eth.get_block("latest")["timestamp"]), UTC)
    tx, voucher = core.receivables.issue_invoice(
        addr("supplier1"), INVOICE, maturity=(now + timedelta(days=90)).date(), amount="10.00"
    )
    registry_service.wait_indexed(tx.receipt["blockNumber"])
    api = registry_service.signed_in("core1")

    wrong = Invoice.of("INV-2026-118", date(2026, 11, 20), "999999.00", "CNY")
    with pytest.raises(RegistryRequestFailed) as mismatch:  # fields that do not hash to the root's document
        api.register_invoice(voucher, addr("supplier1"), wrong)
    assert mismatch.value.status == 422 and mismatch.value.type.endswith("/commitment-mismatch")
    with pytest.raises(RegistryRequestFailed) as outsider:
        registry_service.signed_in("supplier2").register_invoice(voucher, addr("supplier1"), INVOICE)
    assert outsider.value.status == 403
    stored = api.register_invoice(voucher, addr("supplier1"), INVOICE)
    assert (stored.voucher_id, stored.number, stored.canonical_number) == (
        voucher,
        "INV-2026-118",
        "INV2026118",
    )

    page = requests.get(f"{registry_service.url}/explorer/vouchers/{voucher}", timeout=10)
    assert page.status_code == 200 and "INV-2026-118 (canonical INV2026118), 2026-11-20" in page.text

    bank = registry_service.signed_in("bank2")
    exact = bank.check_invoice(
        addr("supplier1"), addr("core1"), Invoice.of("inv 2026 118", date(2026, 11, 20), "1000000", "CNY")
    )
    assert exact.already_financed_by == voucher and exact.document == stored.document

    look_alike = Invoice.of("INV-2026-0118", date(2026, 11, 22), "1000000.00", "CNY")
    found = bank.check_invoice(addr("supplier1"), addr("core1"), look_alike)
    assert found.already_financed_by is None
    [near] = found.near_duplicates
    assert (near.voucher_id, near.number) == (voucher, "INV-2026-118")
    assert near.reasons == ["a number that differs only in formatting", "a date 2 days apart"]

    # Not flagged: another amount, other parties, or a different number dated weeks apart.
    for seller, other in (
        ("supplier1", Invoice.of("INV-2026-0118", date(2026, 11, 22), "1000000.01", "CNY")),
        ("supplier2", look_alike),
        ("supplier1", Invoice.of("INV-2026-119", date(2026, 12, 20), "1000000.00", "CNY")),
    ):
        clean = bank.check_invoice(addr(seller), addr("core1"), other)
        assert clean.already_financed_by is None and clean.near_duplicates == [], (seller, other)
    with pytest.raises(RegistryRequestFailed) as anonymous:
        registry_service.api().check_invoice(addr("supplier1"), addr("core1"), INVOICE)
    assert anonymous.value.status == 401

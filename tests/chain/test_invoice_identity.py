"""A trade invoice's identity binds both parties and the invoice's own fields (client.invoices):
only the real invoice collides with itself (issue 15, item 3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from eth_account import Account
from web3 import Web3

from client import Ledgerhouse, Role
from client._contract_errors import DocumentAlreadyFinanced
from client._encoding import commitment
from client.devnet import dev_account
from client.errors import InvalidInput
from client.invoices import Invoice, invoice_document_hash

AsFactory = Callable[[str], Ledgerhouse]
MATURITY = (datetime.now(UTC) + timedelta(days=120)).date()
EXPIRES = (datetime.now(UTC) + timedelta(days=365)).date()
INVOICE = Invoice.of("INV-2026-118", date(2026, 11, 20), "1000000.00", "CNY")


def addr(name: str) -> str:
    return dev_account(name).address


def open_line(as_: AsFactory, core: str) -> None:
    as_("bank1").receivables.set_credit_line(core, limit="50000000.00", currency="CNY", expires=EXPIRES)


def rival_core(w3: Web3, as_: AsFactory) -> Ledgerhouse:
    """Another core enterprise on the network, with gas and a credit line."""
    account = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])  # type: ignore[arg-type]
    as_("admin").participants.admit(
        account.address,
        Role.CORE_ENTERPRISE,
        name="Rival Motors",
        valid_until=EXPIRES,
        entity_id="91310000RIVAL00001",
    )
    open_line(as_, account.address)
    core1 = as_("core1")
    return Ledgerhouse(w3, core1.manifest, account=account)


def test_another_core_cannot_block_a_competitors_invoice(w3: Web3, as_: AsFactory) -> None:
    """Before: --invoice-id committed keccak("invoice:" + number) and the contract kept one global
    "already financed" key per hash, so the rival's 1-fen voucher on INV-2026-118 made the real
    financing fail with DocumentAlreadyFinanced. Now the contract keys a document by the obligor's
    entity, so no commitment a rival makes can block the real core: neither the old scheme's hash nor
    the very hash of the real invoice (parties and fields are no secret to a competitor)."""
    open_line(as_, addr("core1"))
    rival = rival_core(w3, as_)
    core1 = as_("core1").receivables
    old_scheme = commitment("invoice:INV-2026-118")
    real_invoice = core1.invoice_document(addr("supplier1"), INVOICE)
    for document in (old_scheme, real_invoice):
        rival.receivables.issue(
            addr("supplier1"), amount="0.01", currency="CNY", maturity=MATURITY, document=document
        )
    rival.receivables.issue_invoice(
        addr("supplier1"), Invoice.of("INV-2026-118", date(2026, 11, 20), "0.01", "CNY"), maturity=MATURITY
    )
    _, voucher = core1.issue_invoice(addr("supplier1"), INVOICE, maturity=MATURITY)
    assert core1.voucher(voucher).value == INVOICE.display_amount
    with pytest.raises(DocumentAlreadyFinanced):  # the real invoice still collides with itself
        core1.issue_invoice(addr("supplier1"), INVOICE, maturity=MATURITY)


def test_two_firms_whose_invoices_share_a_number_do_not_block_each_other(as_: AsFactory) -> None:
    open_line(as_, addr("core1"))
    core = as_("core1").receivables
    core.issue_invoice(addr("supplier1"), INVOICE, maturity=MATURITY)
    core.issue_invoice(addr("supplier2"), INVOICE, maturity=MATURITY)  # supplier2's own INV-2026-118


def test_the_same_invoice_however_typed_is_refused_naming_the_invoice_and_voucher(as_: AsFactory) -> None:
    open_line(as_, addr("core1"))
    core = as_("core1").receivables
    _, voucher = core.issue_invoice(addr("supplier1"), INVOICE, maturity=MATURITY, amount="600000.00")
    respelled = Invoice.of("inv 2026/118", date(2026, 11, 20), "1000000.00", "cny")
    with pytest.raises(DocumentAlreadyFinanced) as refused:
        core.issue_invoice(addr("supplier1"), respelled, maturity=MATURITY, amount="0.01")
    message = str(refused.value)
    assert message.startswith(
        "DocumentAlreadyFinanced: invoice inv 2026/118 (2026-11-20, 1000000.00 CNY) of "
    )
    assert message.endswith(f"is already financed by voucher {voucher}") and "0x" not in message
    # A different date or amount is a different invoice (the registry flags look-alikes).
    core.issue_invoice(
        addr("supplier1"),
        Invoice.of("INV-2026-118", date(2026, 11, 21), "1000000.00", "CNY"),
        maturity=MATURITY,
    )


def test_a_voucher_finances_at_most_its_invoice(w3: Web3, as_: AsFactory) -> None:
    open_line(as_, addr("core1"))
    block = w3.eth.block_number
    with pytest.raises(InvalidInput, match=r"amount 1000000.01 CNY exceeds invoice INV-2026-118"):
        as_("core1").receivables.issue_invoice(
            addr("supplier1"), INVOICE, maturity=MATURITY, amount="1000000.01"
        )
    assert w3.eth.block_number == block


def test_the_document_hash_binds_every_field() -> None:
    seller, buyer = b"\x01" * 32, b"\x02" * 32
    base = invoice_document_hash(seller, buyer, INVOICE)
    assert base == invoice_document_hash(
        seller, buyer, Invoice.of("\uff29\uff2e\uff36-2026-118", date(2026, 11, 20), "1000000", "cny")
    )
    variants = [
        invoice_document_hash(buyer, seller, INVOICE),
        invoice_document_hash(seller, b"\x03" * 32, INVOICE),
        invoice_document_hash(
            seller, buyer, Invoice.of("INV-2026-119", date(2026, 11, 20), "1000000.00", "CNY")
        ),
        invoice_document_hash(
            seller, buyer, Invoice.of("INV-2026-118", date(2026, 11, 21), "1000000.00", "CNY")
        ),
        invoice_document_hash(
            seller, buyer, Invoice.of("INV-2026-118", date(2026, 11, 20), "1000000.01", "CNY")
        ),
        invoice_document_hash(
            seller, buyer, Invoice.of("INV-2026-118", date(2026, 11, 20), "1000000.00", "USD")
        ),
    ]
    assert len({base, *variants}) == 1 + len(variants)

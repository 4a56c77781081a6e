"""Credit profiles against anvil and the real service: consent required, revocation immediate, expiry
honoured, every read logged, and the headline figures recomputed from the chain's logs alone equal the
registry's."""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from client import Ledgerhouse
from client._encoding import as_money
from client.consent import consent_message, consent_terms, sign_consent
from client.devnet import dev_account, dev_labels
from client.profile_models import ConsentIn, ConsentTerms, CreditProfile
from client.registry_api import RegistryApi, RegistryRequestFailed
from tests.registry.conftest import RunningRegistry
from tests.registry.scenario import addr


def _refused(call: Any) -> RegistryRequestFailed:
    with pytest.raises(RegistryRequestFailed) as info:
        call()
    return info.value


def _signed(api: RegistryApi, supplier: str, terms: ConsentTerms) -> ConsentIn:
    domain = api.consent_context().domain.model_dump()
    return ConsentIn(consent=terms, signature=sign_consent(dev_account(supplier), domain, terms))


def test_a_lender_without_consent_is_refused_with_the_reason(registry_service: RunningRegistry) -> None:
    bank = registry_service.signed_in("bank2")
    refused = _refused(lambda: bank.profile(addr("supplier1")))
    assert refused.status == 403
    assert f"no consent from {addr('supplier1')} to {addr('bank2')}" in refused.problem["detail"]
    core = registry_service.signed_in("core1")
    refused = _refused(lambda: core.profile(addr("supplier1")))
    assert (
        refused.status == 403 and "core-enterprise may not read credit profiles" in refused.problem["detail"]
    )
    assert _refused(lambda: registry_service.api().profile(addr("supplier1"))).status == 401


def test_the_member_auditors_and_regulators_read_without_consent(registry_service: RunningRegistry) -> None:
    for name in ("supplier2", "auditor1", "regulator1"):
        profile = registry_service.signed_in(name).profile(addr("supplier2"))
        assert isinstance(profile, CreditProfile)
        assert profile.address == addr("supplier2") and profile.name == "Tier-2 Fasteners Co"
        assert profile.score.min_score <= profile.score.score <= profile.score.max_score
        assert "not a probability of default" in profile.disclaimer


def test_consent_grants_and_revocation_ends_access_at_once(registry_service: RunningRegistry) -> None:
    supplier, bank = registry_service.signed_in("supplier2"), registry_service.signed_in("bank1")
    granted = supplier.grant_consent(addr("bank1"), days=30)
    assert granted.status == "active" and granted.lender == addr("bank1")
    profile = bank.profile(addr("supplier2"))
    assert profile.address == addr("supplier2")
    assert bank.profile(addr("supplier2"), consent=granted.id).as_of_block == profile.as_of_block
    # Only the supplier revokes; then the very next read is refused, naming the revoked consent.
    assert _refused(lambda: bank.revoke_consent(granted.id)).status == 403
    revoked = supplier.revoke_consent(granted.id)
    assert revoked.status == "revoked" and revoked.revoked_at is not None
    refused = _refused(lambda: bank.profile(addr("supplier2")))
    assert refused.status == 403 and f"consent {granted.id}" in refused.problem["detail"]
    assert "was revoked" in refused.problem["detail"]
    assert [c.status for c in supplier.consents(addr("supplier2")) if c.id == granted.id] == ["revoked"]


def test_a_revoked_consent_cannot_be_registered_again(registry_service: RunningRegistry) -> None:
    supplier, bank = registry_service.signed_in("supplier3"), registry_service.signed_in("bank2")
    terms = consent_terms(addr("supplier3"), addr("bank2"), days=5, now=bank.consent_context().now)
    signed = _signed(supplier, "supplier3", terms)
    consent = bank.register_consent(signed)  # the lender may present the consent it was handed
    assert bank.profile(addr("supplier3")).address == addr("supplier3")
    supplier.revoke_consent(consent.id)
    refused = _refused(lambda: bank.register_consent(signed))
    assert refused.status == 422 and "was revoked" in refused.problem["detail"]
    assert _refused(lambda: bank.profile(addr("supplier3"))).status == 403


def test_an_expired_consent_is_refused(registry_service: RunningRegistry) -> None:
    supplier, bank = registry_service.signed_in("supplier1"), registry_service.signed_in("bank1")
    # The registry judges consents by the later of its clock and the newest block's time (the
    # scenario moved the chain's clock a month ahead): the expiry passes once a later block is indexed.
    now = supplier.consent_context().now
    terms = consent_terms(addr("supplier1"), addr("bank1"), days=1, now=now).model_copy(
        update={"expires_at": now + 3}
    )
    consent = supplier.register_consent(_signed(supplier, "supplier1", terms))
    assert bank.profile(addr("supplier1")).address == addr("supplier1")
    time.sleep(3.5)
    registry_service.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    registry_service.wait_indexed()
    assert supplier.consent_context().now > now + 3
    refused = _refused(lambda: bank.profile(addr("supplier1")))
    assert refused.status == 403 and f"consent {consent.id}" in refused.problem["detail"]
    assert "expired" in refused.problem["detail"]
    expired = terms.model_copy(
        update={"nonce": "0x" + "11" * 32, "expires_at": now - 10, "issued_at": now - 20}
    )
    refused = _refused(lambda: supplier.register_consent(_signed(supplier, "supplier1", expired)))
    assert refused.status == 422 and "expired" in refused.problem["detail"]


def test_forged_and_misdirected_consents_are_refused(registry_service: RunningRegistry) -> None:
    supplier, bank = registry_service.signed_in("supplier2"), registry_service.signed_in("bank2")
    terms = consent_terms(addr("supplier2"), addr("bank2"), days=10, now=bank.consent_context().now)
    domain = bank.consent_context().domain.model_dump()
    # Signed by another key (the lender forging the supplier's consent).
    by_lender = dev_account("bank2").sign_message(consent_message(domain, terms))
    forged = ConsentIn(consent=terms, signature="0x" + bytes(by_lender.signature).hex())
    refused = _refused(lambda: bank.register_consent(forged))
    assert refused.status == 422 and f"not by the supplier {addr('supplier2')}" in refused.problem["detail"]
    # Terms changed after signing (a longer expiry): the signature no longer recovers to the supplier.
    genuine = _signed(supplier, "supplier2", terms)
    stretched = genuine.model_copy(
        update={"consent": terms.model_copy(update={"expires_at": terms.expires_at + 86_400})}
    )
    assert _refused(lambda: bank.register_consent(stretched)).status == 422
    # Signed for another deployment (chain id): refused too.
    other_chain = {**domain, "chainId": domain["chainId"] + 1}
    wrong_domain = ConsentIn(
        consent=terms, signature=sign_consent(dev_account("supplier2"), other_chain, terms)
    )
    assert _refused(lambda: bank.register_consent(wrong_domain)).status == 422
    # A consent for a core enterprise (not a lender) is refused.
    to_core = consent_terms(addr("supplier2"), addr("core1"), days=10, now=terms.issued_at)
    refused = _refused(lambda: supplier.register_consent(_signed(supplier, "supplier2", to_core)))
    assert refused.status == 422 and "not an active lender" in refused.problem["detail"]
    # Nothing of it reads: bank2 still has no consent from supplier2.
    assert _refused(lambda: bank.profile(addr("supplier2"))).status == 403


def test_a_consent_opens_only_its_own_supplier_to_its_own_lender(registry_service: RunningRegistry) -> None:
    supplier = registry_service.signed_in("supplier1")
    consent = supplier.grant_consent(addr("bank1"), days=3)
    bank1, bank2 = registry_service.signed_in("bank1"), registry_service.signed_in("bank2")
    # The id written in capitals is the same consent.
    assert bank1.profile(addr("supplier1"), consent="0x" + consent.id[2:].upper()).address == addr(
        "supplier1"
    )
    # Presented for another supplier, or by another lender, it opens nothing.
    refused = _refused(lambda: bank1.profile(addr("supplier3"), consent=consent.id))
    assert (
        refused.status == 403
        and f"consent {consent.id} is not one {addr('supplier3')} gave" in refused.problem["detail"]
    )
    assert _refused(lambda: bank2.profile(addr("supplier1"), consent=consent.id)).status == 403
    supplier.revoke_consent(consent.id)


def test_every_read_is_logged_for_the_member(registry_service: RunningRegistry) -> None:
    subject = addr("supplier3")
    supplier = registry_service.signed_in("supplier3")
    before = {r.id for r in supplier.profile_reads(subject)}
    bank, auditor, core = (registry_service.signed_in(n) for n in ("bank1", "auditor1", "core1"))
    _refused(lambda: bank.profile(subject))
    auditor.profile(subject)
    _refused(lambda: core.profile(subject))
    consent = supplier.grant_consent(addr("bank1"), days=2)
    bank.profile(subject)
    supplier.profile(subject)
    new = [r for r in supplier.profile_reads(subject) if r.id not in before]
    got = [(r.reader, r.basis, r.granted, r.consent_id) for r in reversed(new)]
    assert got == [
        (addr("bank1"), "refused", False, None),
        (addr("auditor1"), "oversight", True, None),
        (addr("core1"), "refused", False, None),
        (addr("bank1"), "consent", True, consent.id),
        (addr("supplier3"), "self", True, None),
    ]
    assert all(r.subject == subject for r in new)
    # The log is the member's and oversight's to see, not the lender's.
    assert _refused(lambda: bank.profile_reads(subject)).status == 403
    assert len(auditor.profile_reads(subject)) >= len(new)
    supplier.revoke_consent(consent.id)


# ---------------------------------------------------------------- recomputed from the chain alone


def _logs(lh: Ledgerhouse, contract: Any, event: str) -> list[Any]:
    return list(getattr(contract.events, event)().get_logs(from_block=lh.manifest.deployment_block))


def _ref(log: Any) -> tuple[str, int]:
    return ("0x" + bytes(log["transactionHash"]).hex(), int(log["logIndex"]))


def test_the_profile_recomputed_from_the_chain_equals_the_registry(registry_service: RunningRegistry) -> None:
    """Pieces received (count, value per currency, the very events), concentration, pledges taken,
    discounts, exposure and the obligor's payment record from eth_getLogs alone, for each supplier."""
    lh = Ledgerhouse(registry_service.w3, _manifest(registry_service), labels=dev_labels())
    rc, wr = lh.receivables.contract, lh.receipts.contract
    issued = {int(log["args"]["rootId"]): log for log in _logs(lh, rc, "VoucherIssued")}
    received: list[tuple[Any, int, int]] = []  # (log, root id, value)
    for log in issued.values():
        received.append((log, int(log["args"]["rootId"]), int(log["args"]["faceValue"])))
    for log in _logs(lh, rc, "VoucherSplit"):
        received.append((log, int(log["args"]["rootId"]), int(log["args"]["amount"])))
    for log in _logs(lh, rc, "VoucherTransferred"):
        received.append((log, int(log["args"]["rootId"]), int(log["args"]["value"])))
    paid = _logs(lh, rc, "VoucherSettled") + _logs(lh, rc, "VoucherRedeemed")
    discounted = _logs(lh, rc, "VoucherDiscounted")
    voucher_pledges = _logs(lh, rc, "VoucherPledgeAccepted")
    receipt_requests = _logs(lh, wr, "PledgeRequested")
    receipt_accepts = {
        (int(x["args"]["receiptId"]), int(x["args"]["requestSeq"])) for x in _logs(lh, wr, "PledgeAccepted")
    }
    auditor = registry_service.signed_in("auditor1")
    for name in ("supplier1", "supplier2", "supplier3"):
        who = addr(name)
        profile = auditor.profile(who)
        mine = [(log, root, value) for log, root, value in received if _receiver(log) == who]
        assert profile.trade.pieces_received.value == len(mine)
        assert {(r.tx_hash, r.log_index) for r in profile.trade.pieces_received.refs} == {
            _ref(x) for x, _, _ in mine
        }
        by_currency: dict[str, int] = defaultdict(int)
        by_obligor: dict[str, int] = defaultdict(int)
        for _, root, value in mine:
            currency = bytes(issued[root]["args"]["currency"]).rstrip(b"\0").decode()
            by_currency[currency] += value
            by_obligor[issued[root]["args"]["obligor"]] += value
        assert {f.unit: f.value for f in profile.trade.received} == {
            c: as_money(v) for c, v in by_currency.items()
        }
        if by_obligor:
            top = max(by_obligor.values()) * Decimal(100) / sum(by_obligor.values())
            assert profile.trade.largest_obligor_share.value == top.quantize(Decimal("0.1"))
        # Credit behaviour: pledges taken on receipts and pieces, discounts sold.
        receipt_taken = [
            x
            for x in receipt_requests
            if x["args"]["owner"] == who
            and (int(x["args"]["receiptId"]), int(x["args"]["requestSeq"])) in receipt_accepts
        ]
        piece_taken = [x for x in voucher_pledges if x["args"]["holder"] == who]
        assert profile.credit.taken.value == len(receipt_taken) + len(piece_taken)
        sold = [x for x in discounted if x["args"]["seller"] == who]
        assert profile.credit.discounts.value == len(sold)
        assert {(r.tx_hash, r.log_index) for r in profile.credit.discounts.refs} == {_ref(x) for x in sold}
        # Each obligor's record: its pieces paid, on time (by maturity + a day) or late.
        for record in profile.trade.obligors:
            roots = {r: log for r, log in issued.items() if log["args"]["obligor"] == record.obligor}
            on_time = late = 0
            for x in paid:
                root = int(x["args"]["rootId"])
                if root not in roots:
                    continue
                t = registry_service.w3.eth.get_block(x["blockNumber"])["timestamp"]
                if t <= int(roots[root]["args"]["maturity"]) + 86_400:
                    on_time += 1
                else:
                    late += 1
            assert (record.settled_on_time.value, record.settled_late.value) == (
                Decimal(on_time),
                Decimal(late),
            )
    # The scenario's known facts, so that the comparison above compares something.
    supplier2 = auditor.profile(addr("supplier2"))
    assert supplier2.trade.pieces_received.value == 1  # the tier-2 piece split off by supplier1
    assert supplier2.credit.taken.value == 3  # two receipt pledges (one released) and a piece pledge
    outcomes = {(loan.kind, loan.lender): loan.outcome for loan in supplier2.credit.loans}
    assert outcomes[("receipt-pledge", addr("bank2"))] == "released-on-time"
    assert outcomes[("receipt-pledge", addr("bank1"))] == "open"
    # the piece's loan matured a day or so before the chain's clock was moved on 31 days
    assert outcomes[("voucher-pledge", addr("bank1"))] in ("open", "overdue")
    supplier3 = auditor.profile(addr("supplier3"))
    assert supplier3.credit.discounts.value == 1


def _receiver(log: Any) -> str:
    args = log["args"]
    return str(args["holder"] if log["event"] == "VoucherIssued" else args["to"])


def _manifest(service: RunningRegistry) -> Any:
    from client.deployment import load_manifest

    assert service.settings.deployment is not None
    return load_manifest(service.settings.deployment)


# ---------------------------------------------------------------- the CLI


def test_cli_consent_profile_revoke_and_reads(
    registry_service: RunningRegistry, devnet_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.helpers import fails, ok

    url = registry_service.url
    supplier1, bank2 = addr("supplier1"), addr("bank2")
    refused = fails(capsys, "--as", "bank2", "bank", "profile", supplier1, "--registry", url)
    assert "403" in refused and f"no consent from {supplier1} to {bank2}" in refused
    granted = ok(
        capsys,
        "--as",
        "supplier1",
        "supplier",
        "consent",
        "--lender",
        bank2,
        "--days",
        "7",
        "--registry",
        url,
    )
    assert granted["status"] == "active" and granted["lender"] == bank2
    profile = CreditProfile.model_validate(
        ok(capsys, "--as", "bank2", "bank", "profile", supplier1, "--registry", url)
    )
    assert profile.address == supplier1
    assert (
        main_text(capsys, "--as", "bank2", "bank", "profile", supplier1, "--registry", url).count("score")
        >= 1
    )
    revoked = ok(capsys, "--as", "supplier1", "supplier", "revoke-consent", granted["id"], "--registry", url)
    assert revoked["status"] == "revoked"
    assert "was revoked" in fails(capsys, "--as", "bank2", "bank", "profile", supplier1, "--registry", url)
    reads = ok(capsys, "--as", "supplier1", "supplier", "reads", "--registry", url)["reads"]
    mine = [(r["reader"], r["granted"]) for r in reads if r["reader"] == bank2][:4]
    assert mine == [(bank2, False), (bank2, True), (bank2, True), (bank2, False)]
    listed = ok(capsys, "--as", "supplier1", "supplier", "consents", "--registry", url)["consents"]
    assert {c["id"]: c["status"] for c in listed}[granted["id"]] == "revoked"


def test_cli_bad_consent_input_is_one_line(
    registry_service: RunningRegistry, devnet_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.helpers import fails

    url = registry_service.url
    base = ("--as", "supplier1", "supplier", "consent", "--registry", url)
    assert "--days 0: a consent lasts 1 to 366 days" in fails(
        capsys, *base, "--lender", addr("bank1"), "--days", "0"
    )
    assert "--lender 'bank-one' is not a 20-byte hex address" in fails(
        capsys, *base, "--lender", "bank-one", "--days", "3"
    )
    assert "not an active lender" in fails(capsys, *base, "--lender", addr("core1"), "--days", "3")
    assert "give --registry URL" in fails(capsys, "--as", "supplier1", "supplier", "consents")
    assert "is not 0x followed by 64 hex digits" in fails(
        capsys, "--as", "supplier1", "supplier", "revoke-consent", "42", "--registry", url
    )
    assert [
        c
        for c in registry_service.signed_in("supplier1").consents(addr("supplier1"))
        if c.lender == addr("core1")
    ] == []


def main_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from client.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return out


def test_a_new_payment_shows_in_the_next_profile(registry_service: RunningRegistry) -> None:
    """The obligors' records are shared between profiles at one indexed block; a block that moves
    them must show at once (this test changes the chain: it runs last)."""
    auditor = registry_service.signed_in("auditor1")
    before = auditor.profile(addr("supplier2"))
    core_record = next(o for o in before.trade.obligors if o.obligor == addr("core1"))
    paid_before = (core_record.settled_on_time.value or 0) + (core_record.settled_late.value or 0)
    core = Ledgerhouse(
        registry_service.w3, _manifest(registry_service), account=dev_account("core1"), labels=dev_labels()
    )
    tier2 = registry_service.history.vouchers["tier2"]
    tx = core.receivables.settle(tier2, "PAY-2026-7782")
    registry_service.wait_indexed(tx.block_number)
    after = auditor.profile(addr("supplier2"))
    core_record = next(o for o in after.trade.obligors if o.obligor == addr("core1"))
    assert (core_record.settled_on_time.value or 0) + (core_record.settled_late.value or 0) == paid_before + 1
    pledge = next(loan for loan in after.credit.loans if loan.kind == "voucher-pledge")
    assert pledge.outcome in ("paid-by-obligor", "released-late")
    assert pledge.refs[-1].tx_hash == tx.tx_hash

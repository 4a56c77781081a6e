"""The registry service seen from the SDK: signs in with the participant's own key (EIP-4361) and
reads the index, the alerts and the documents over HTTP.

    api = RegistryApi("http://127.0.0.1:8000", account=my_key)
    api.sign_in()
    api.exposure("0x...").totals     # every lien of a borrower across all banks (an ExposureOut)
    api.upload_document("receipt", 42, Path("inspection.pdf"))

Answers come back as the service's own response models (`client.models`), validated. The five
whole-index reads an auditor compares against the chain (`health`, `participants`, `lots`,
`receipts`, `vouchers`, and `get`) return the JSON verbatim, as `client.reconcile` checks it field
by field, malformed answers included.

Problems the service reports (RFC 9457) raise `RegistryRequestFailed` with the problem's type,
status and detail; a service that cannot be reached raises `RegistryUnavailable`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypeVar

import requests
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from pydantic import BaseModel

from client.errors import LedgerhouseError, MissingKey, RegistryUnavailable
from client.invoices import Invoice
from client.models import (
    AlertOut,
    DocumentOut,
    EventOut,
    ExposureOut,
    InvoiceCheckOut,
    InvoiceOut,
    LotDetailOut,
    ParticipantOut,
    PenetrationOut,
    ReceiptOut,
    RootOut,
    SessionOut,
)
from client.profile_models import ConsentContext, ConsentIn, ConsentOut, CreditProfile, ProfileRead

__all__ = [
    "RegistryApi",
    "RegistryRequestFailed",
]


M = TypeVar("M", bound=BaseModel)


class RegistryRequestFailed(LedgerhouseError):
    """The registry answered with a problem document."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.type = str(problem.get("type", ""))
        super().__init__(f"registry {status} {problem.get('title', '')}: {problem.get('detail', '')}")


class RegistryApi:
    def __init__(self, base_url: str, *, account: LocalAccount | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.account = account
        self.timeout = timeout
        self.token: str | None = None
        self.session: dict[str, Any] | None = None  # POST /auth/session's answer once signed in
        self._http = requests.Session()

    # ------------------------------------------------------------ transport

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._http.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise RegistryUnavailable(f"the registry at {self.base_url} cannot be reached: {exc}") from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason, "detail": response.text[:200]}
            raise RegistryRequestFailed(response.status_code, problem)
        return response

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=clean).json()

    # ------------------------------------------------------------ sign-in

    def sign_in(self) -> SessionOut:
        """Signs the registry's EIP-4361 challenge with this participant's key; keeps the token
        (and the answer as given in `session`)."""
        if self.account is None:
            raise MissingKey()
        challenge = self.request("POST", "/auth/challenge", json={"address": self.account.address}).json()
        signed = self.account.sign_message(encode_defunct(text=challenge["message"]))
        session: dict[str, Any] = self.request(
            "POST",
            "/auth/session",
            json={"message": challenge["message"], "signature": "0x" + bytes(signed.signature).hex()},
        ).json()
        self.token = session["token"]
        self.session = session
        return SessionOut.model_validate(session)

    # ------------------------------------------------------------ reads

    def health(self) -> dict[str, Any]:
        return dict(self.get("/health"))

    def receipts(self, **filters: Any) -> list[dict[str, Any]]:
        """Every receipt matching the filters (owner, warehouse, commodity, lot, status, lender)."""
        return self._all_pages("/receipts", **filters)

    def receipt(self, receipt_id: int) -> ReceiptOut:
        return ReceiptOut.model_validate(self.get(f"/receipts/{receipt_id}"))

    def receipt_history(self, receipt_id: int) -> list[EventOut]:
        return _list_of(EventOut, self.get(f"/receipts/{receipt_id}/history"))

    def lots(self, **filters: Any) -> list[dict[str, Any]]:
        return self._all_pages("/lots", **filters)

    def lot(self, lot: str) -> LotDetailOut:
        return LotDetailOut.model_validate(self.get(f"/lots/{lot}"))

    def vouchers(self, **filters: Any) -> list[dict[str, Any]]:
        return self._all_pages("/vouchers", **filters)

    def voucher_tree(self, voucher_id: int) -> RootOut:
        return RootOut.model_validate(self.get(f"/vouchers/{voucher_id}/tree"))

    def penetration(self, core: str) -> PenetrationOut:
        return PenetrationOut.model_validate(self.get(f"/cores/{core}/penetration"))

    def alerts(self, expiring_within_days: int = 30, kind: str | None = None) -> list[AlertOut]:
        """Every alert (shortfall, overdue, expiring, shared-entity), or those of one `kind`."""
        return _list_of(
            AlertOut, self._all_pages("/alerts", expiring_within_days=expiring_within_days, kind=kind)
        )

    def liens(self, lender: str) -> list[ReceiptOut]:
        """Every receipt pledged to `lender` (the lender itself, auditors and regulators may ask)."""
        return _list_of(ReceiptOut, self._all_pages(f"/liens/{lender}"))

    def exposure(self, borrower: str) -> ExposureOut:
        """The borrower's liens and discounted pieces across all banks, summed over every address of
        its legal entity (`entity_id`, `addresses`; each item names the address it is under)."""
        return ExposureOut.model_validate(self.get(f"/exposure/{borrower}"))

    def participants(self, **filters: Any) -> list[dict[str, Any]]:
        """Every member (filters: role, status); `same_entity` names its entity's other addresses."""
        return list(self.get("/participants", **filters))

    def participant(self, address: str) -> ParticipantOut:
        """One member; `same_entity` lists the other addresses admitted for its legal entity."""
        return ParticipantOut.model_validate(self.get(f"/participants/{address}"))

    # ------------------------------------------------------------ documents

    def upload_document(self, subject: str, subject_id: int | str, path: Path) -> DocumentOut:
        with path.open("rb") as handle:
            response = self.request(
                "POST",
                "/documents",
                data={"subject": subject, "subject_id": str(subject_id)},
                files={"file": (path.name, handle)},
            )
        return DocumentOut.model_validate(response.json())

    def download_document(self, sha256: str) -> bytes:
        return self.request("GET", f"/documents/{sha256}").content

    def wait_indexed(self, block: int, timeout: float = 30.0) -> None:
        """Waits until the registry has indexed `block` (after a write it must see)."""
        deadline = time.monotonic() + timeout
        while self.health().get("indexed_block", -1) < block:
            if time.monotonic() > deadline:
                raise LedgerhouseError(
                    f"the registry at {self.base_url} did not index block {block} in {timeout:.0f} s"
                )
            time.sleep(0.1)

    # ------------------------------------------------------------ invoices

    def check_invoice(self, seller: str, buyer: str, invoice: Invoice) -> InvoiceCheckOut:
        """Whether `invoice` is already financed, and financed look-alikes (same parties and amount,
        number differing only in formatting or date within a few days), each naming its voucher."""
        return InvoiceCheckOut.model_validate(
            self.get(
                "/invoices/check",
                seller=seller,
                buyer=buyer,
                number=invoice.number,
                issue_date=invoice.issue_date.isoformat(),
                amount=str(invoice.display_amount),
                currency=invoice.currency,
            )
        )

    def register_invoice(self, voucher_id: int, seller: str, invoice: Invoice) -> InvoiceOut:
        """Discloses the invoice behind voucher root `voucher_id` (checked against its documentHash)."""
        body = {
            "voucher_id": voucher_id,
            "seller": seller,
            "number": invoice.number,
            "issue_date": invoice.issue_date.isoformat(),
            "amount": str(invoice.display_amount),
            "currency": invoice.currency,
        }
        return InvoiceOut.model_validate(self.request("POST", "/invoices", json=body).json())

    # ------------------------------------------------------------ credit profiles and consent

    def profile(self, address: str, *, consent: str | None = None) -> CreditProfile:
        """The member's credit profile (signed in as the member, an auditor or regulator, or a
        lender holding its consent; `consent` picks one, else any active one is used)."""
        return CreditProfile.model_validate(self.get(f"/profiles/{address}", consent=consent))

    def profile_reads(self, address: str) -> list[ProfileRead]:
        """Who read (or tried to read) the member's profile, newest first."""
        return [ProfileRead.model_validate(r) for r in self.get(f"/profiles/{address}/reads")]

    def consents(self, address: str) -> list[ConsentOut]:
        """Every consent the member gave, newest first."""
        return [ConsentOut.model_validate(c) for c in self.get(f"/profiles/{address}/consents")]

    def consent_context(self) -> ConsentContext:
        """The EIP-712 domain to sign consents under, and the registry's 'now' they count from."""
        return ConsentContext.model_validate(self.get("/consents/domain"))

    def grant_consent(self, lender: str, *, days: int, scope: str = "credit-profile") -> ConsentOut:
        """Signs (EIP-712, with this participant's key) and registers a consent for `lender` to read
        this participant's credit profile for `days` days."""
        from client.consent import consent_terms, sign_consent

        if self.account is None:
            raise MissingKey()
        context = self.consent_context()
        terms = consent_terms(self.account.address, lender, days=days, scope=scope, now=context.now)
        domain = context.domain.model_dump()
        body = ConsentIn(consent=terms, signature=sign_consent(self.account, domain, terms))
        return ConsentOut.model_validate(self.request("POST", "/consents", json=body.model_dump()).json())

    def register_consent(self, signed: ConsentIn) -> ConsentOut:
        """Registers a consent signed elsewhere (e.g. handed to the lender by the supplier)."""
        return ConsentOut.model_validate(self.request("POST", "/consents", json=signed.model_dump()).json())

    def revoke_consent(self, consent_id: str) -> ConsentOut:
        return ConsentOut.model_validate(self.request("DELETE", f"/consents/{consent_id}").json())

    def _all_pages(self, path: str, **filters: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.get(path, after=after, limit=500, **filters)
            items.extend(page["items"])
            previous, after = after, page.get("next_after")
            if after is None:
                return items
            if after == previous:
                # A cursor that does not move would page forever: a registry bug, said as one.
                raise LedgerhouseError(f"the registry at {self.base_url} returned the same {path} page twice")


def _list_of(model: type[M], items: Any) -> list[M]:
    if not isinstance(items, list):
        raise ValueError(f"expected a list of {model.__name__}, got {type(items).__name__}")
    return [model.model_validate(item) for item in items]

"""The files behind on-chain commitments: stored on disk under their sha256, accepted only when
their keccak256 equals the commitment the chain holds, handed out only to the parties entitled."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.api.schemas import DocumentOut
from registry.db.models import Document, Receipt, Stocktake, Voucher, VoucherRoot
from registry.errors import CommitmentMismatch, Forbidden, NotFound
from registry.indexer.projector import PIECES_PER_ROOT
from registry.services._format import when
from registry.services.signin import SessionClaims

SUBJECTS = ("receipt", "voucher", "lot")
# Roles that see every document: they supervise the registry rather than take part in a deal.
OVERSIGHT_ROLES = ("auditor", "regulator")


class DocumentStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, sha256: str) -> Path:
        return self.directory / sha256[:2] / sha256

    def write(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path_of(digest)
        if target.is_file():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash leaves no partial document.
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        return digest

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"document {sha256} is recorded but its file is missing from the store") from None


def document_out(d: Document) -> DocumentOut:
    return DocumentOut(
        sha256=d.sha256,
        commitment=d.commitment,
        subject=d.subject,
        subject_id=d.subject_id,
        size=d.size,
        content_type=d.content_type,
        filename=d.filename,
        uploaded_by=d.uploaded_by,
        uploaded_at=when(d.uploaded_at),
    )


def onchain_commitments(session: Session, subject: str, subject_id: str) -> set[str]:
    """The commitments the chain holds for a receipt (its details), a lot (its stocktakes' evidence)
    or a voucher (its root's trade document)."""
    if subject == "receipt":
        receipt = session.get(Receipt, int(subject_id))
        if receipt is None:
            raise NotFound(f"receipt {subject_id} is not in the registry")
        return {receipt.details}
    if subject == "voucher":
        voucher_id = int(subject_id)
        root = session.get(VoucherRoot, voucher_id - voucher_id % PIECES_PER_ROOT)
        if root is None:
            raise NotFound(f"voucher {subject_id} is not in the registry")
        return {root.document}
    evidence = set(session.scalars(select(Stocktake.evidence).where(Stocktake.lot_id == subject_id)))
    if not evidence:
        raise NotFound(f"lot {subject_id} has never been attested")
    return evidence


def upload(
    session: Session,
    store: DocumentStore,
    *,
    subject: str,
    subject_id: str,
    content: bytes,
    filename: str,
    content_type: str,
    uploader: SessionClaims,
) -> DocumentOut:
    commitment = "0x" + keccak(content).hex()
    expected = onchain_commitments(session, subject, subject_id)
    if commitment not in expected:
        raise CommitmentMismatch(
            f"keccak256 of the file is {commitment}; the chain commits {subject} {subject_id} to "
            f"{', '.join(sorted(expected))}",
            commitment=commitment,
        )
    sha256 = store.write(content)
    existing = session.get(Document, sha256)
    if existing is not None:
        return document_out(existing)
    document = Document(
        sha256=sha256,
        commitment=commitment,
        subject=subject,
        subject_id=subject_id,
        size=len(content),
        content_type=content_type or "application/octet-stream",
        filename=filename or sha256,
        uploaded_by=uploader.address,
        uploaded_at=int(time.time()),
    )
    session.add(document)
    return document_out(document)


def parties_to(session: Session, commitment: str) -> set[str]:
    """Everyone with a stake in whatever on chain commits to `commitment`."""
    parties: set[str] = set()
    for r in session.scalars(select(Receipt).where(Receipt.details == commitment)):
        parties.update(p for p in (r.owner, r.warehouse, r.lender, r.requested_lender) if p)
    lots = set()
    for s in session.scalars(select(Stocktake).where(Stocktake.evidence == commitment)):
        parties.update((s.inspector, s.warehouse))
        lots.add(s.lot_id)
    if lots:
        for r in session.scalars(select(Receipt).where(Receipt.lot_id.in_(lots), Receipt.status == "live")):
            parties.update(p for p in (r.owner, r.lender) if p)
    for root in session.scalars(select(VoucherRoot).where(VoucherRoot.document == commitment)):
        parties.update((root.obligor, root.lender, root.payer))
        for v in session.scalars(select(Voucher).where(Voucher.root_id == root.root_id)):
            parties.update(p for p in (v.holder, v.lienholder, v.discounted_by, v.discount_seller) if p)
    return parties


def authorise_download(session: Session, sha256: str, reader: SessionClaims) -> Document:
    document = session.get(Document, sha256)
    if document is None:
        raise NotFound(f"no document {sha256} in the registry")
    if reader.role in OVERSIGHT_ROLES or reader.address in parties_to(session, document.commitment):
        return document
    raise Forbidden(f"{reader.address} is not a party to {document.subject} {document.subject_id}")

"""The files behind on-chain commitments: stored on disk under their sha256, accepted only when
their keccak256 equals the commitment the chain holds, handed out only to the parties entitled."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from client.models import DocumentOut
from registry.db.models import ChainEventRow, Document, Receipt, Stocktake, Voucher, VoucherRoot
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


# What the registry serves a document as: its own reading of the bytes, never the uploader's word.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
)
OCTET_STREAM = "application/octet-stream"


def sniffed_type(content: bytes) -> str:
    """The media type the bytes show (PDF, PNG, JPEG, TIFF, ZIP), plain UTF-8 text, or octet-stream.

    The uploader's content_type is never served: a file declared text/html (or that a browser would
    sniff as such) is served as application/octet-stream, with nosniff, as an attachment.
    """
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    head = content[:4096]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the 4 KiB boundary
            return OCTET_STREAM
    if b"<" in head or any(b < 0x09 or 0x0D < b < 0x20 for b in head):
        return OCTET_STREAM  # markup or control bytes: nothing a browser should render
    return "text/plain; charset=utf-8"


def safe_filename(filename: str) -> str:
    """The uploader's file name without folders or control characters, at most 255 characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()[:255]


def content_disposition(filename: str) -> str:
    """`attachment` with the filename per RFC 6266 / RFC 5987: an ASCII fallback in `filename`,
    the exact name UTF-8 percent-encoded in `filename*` (any language, never a 500)."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;%' else "_" for c in filename)
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback or 'document'}\"; filename*=UTF-8''{encoded}"


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
        content_type=sniffed_type(content),  # what the bytes are, not what the uploader said
        filename=safe_filename(filename) or sha256,
        uploaded_by=uploader.address,
        uploaded_at=int(time.time()),
    )
    session.add(document)
    return document_out(document)


@dataclass(frozen=True, order=True)
class CommittingRecord:
    """An on-chain record that commits to a document, placed by where the chain first wrote it."""

    block: int
    log_index: int
    subject: str  # receipt, lot or voucher
    subject_id: str  # the receipt id, the lot id or the root id
    by: str  # the warehouse, the inspector or the obligor that wrote the commitment


def _event_position(session: Session, name: str, block: int, **key: object) -> int:
    query = select(ChainEventRow.log_index).where(
        ChainEventRow.name == name, ChainEventRow.block_number == block
    )
    for column, value in key.items():
        query = query.where(getattr(ChainEventRow, column) == value)
    found = session.scalars(query.order_by(ChainEventRow.log_index).limit(1)).first()
    return 0 if found is None else int(found)


def first_record(session: Session, commitment: str) -> CommittingRecord | None:
    """The record the chain first committed `commitment` for (block, then log order).

    Anyone who can write a 32-byte commitment on chain (a warehouse's details, an inspector's
    evidence, a core enterprise's document) can copy another's; only the first one names the
    document's parties, so a copy grants nothing.
    """
    candidates: list[CommittingRecord] = []
    receipt = session.scalars(
        select(Receipt)
        .where(Receipt.details == commitment)
        .order_by(Receipt.minted_block, Receipt.receipt_id)
    ).first()
    if receipt is not None:
        position = _event_position(
            session, "ReceiptMinted", receipt.minted_block, receipt_id=receipt.receipt_id
        )
        candidates.append(
            CommittingRecord(
                receipt.minted_block, position, "receipt", str(receipt.receipt_id), receipt.warehouse
            )
        )
    stocktake = session.scalars(
        select(Stocktake)
        .where(Stocktake.evidence == commitment)
        .order_by(Stocktake.block_number, Stocktake.id)
    ).first()
    if stocktake is not None:
        position = _event_position(
            session, "StocktakeRecorded", stocktake.block_number, lot_id=stocktake.lot_id
        )
        candidates.append(
            CommittingRecord(stocktake.block_number, position, "lot", stocktake.lot_id, stocktake.inspector)
        )
    root = session.scalars(
        select(VoucherRoot).where(VoucherRoot.document == commitment).order_by(VoucherRoot.root_id)
    ).first()
    if root is not None:
        issued = session.scalars(
            select(ChainEventRow)
            .where(ChainEventRow.name == "VoucherIssued", ChainEventRow.root_id == root.root_id)
            .limit(1)
        ).first()
        block, position = (issued.block_number, issued.log_index) if issued else (2**62, 0)
        candidates.append(CommittingRecord(block, position, "voucher", str(root.root_id), root.obligor))
    return min(candidates) if candidates else None


def parties_to(session: Session, commitment: str) -> set[str]:
    """Everyone with a stake in the record the chain first committed `commitment` for."""
    first = first_record(session, commitment)
    if first is None:
        return set()
    parties: set[str] = set()
    if first.subject == "receipt":
        origin = session.get(Receipt, int(first.subject_id))
        assert origin is not None
        # The receipt and the parts split from it: same details, same lot, same warehouse.
        for r in session.scalars(
            select(Receipt).where(
                Receipt.details == commitment,
                Receipt.lot_id == origin.lot_id,
                Receipt.warehouse == origin.warehouse,
            )
        ):
            parties.update(p for p in (r.owner, r.warehouse, r.lender, r.requested_lender) if p)
    elif first.subject == "lot":
        for s in session.scalars(
            select(Stocktake).where(Stocktake.evidence == commitment, Stocktake.lot_id == first.subject_id)
        ):
            parties.update((s.inspector, s.warehouse))
        for r in session.scalars(
            select(Receipt).where(Receipt.lot_id == first.subject_id, Receipt.status == "live")
        ):
            parties.update(p for p in (r.owner, r.lender) if p)
    else:
        root = session.get(VoucherRoot, int(first.subject_id))
        assert root is not None
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

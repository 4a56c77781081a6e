"""Documents behind on-chain commitments: upload (hash must match), download (parties only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from client.models import DocumentOut
from registry.api.deps import db, lot_id, participant, service_state, write_db
from registry.errors import InvalidRequest, PayloadTooLarge
from registry.services import documents as service
from registry.services.documents import document_out
from registry.services.signin import SessionClaims

router = APIRouter(prefix="/documents", tags=["documents"])


@router.post("", operation_id="uploadDocument", response_model=DocumentOut, status_code=201)
async def upload(
    request: Request,
    session: Annotated[Session, Depends(write_db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    subject: Annotated[Literal["receipt", "voucher", "lot"], Form(description="what the chain commits")],
    subject_id: Annotated[
        str, Form(min_length=1, max_length=128, description="receipt id, voucher id or lot")
    ],
    file: Annotated[UploadFile, File(description="the document; keccak256 must equal the commitment")],
) -> DocumentOut:
    """Upload the document behind an on-chain commitment; refused unless its keccak256 matches the chain."""
    state = service_state(request)
    limit = state.settings.max_document_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"documents are limited to {limit} bytes")
    if not content:
        raise InvalidRequest("file: the document is empty", errors=[{"field": "file", "message": "empty"}])
    key = subject_id
    if subject == "lot":
        key = lot_id(subject_id, field="subject_id")
    elif not subject_id.isdigit():
        raise InvalidRequest(
            f"subject_id: {subject} ids are decimal numbers, got {subject_id!r}",
            errors=[{"field": "subject_id", "message": "not a decimal id"}],
        )
    stored = service.upload(
        session,
        state.store,
        subject=subject,
        subject_id=key,
        content=content,
        filename=file.filename or "",
        uploader=claims,
    )
    session.commit()
    return stored


@router.get("/{sha256}/meta", operation_id="getDocumentMeta", response_model=DocumentOut)
def metadata(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
) -> DocumentOut:
    """A stored document's metadata (what it is attached to, size, hashes), for its parties."""
    return document_out(service.authorise_download(session, sha256, claims))


@router.get(
    "/{sha256}",
    operation_id="downloadDocument",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download(
    request: Request,
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
) -> Response:
    """The file, for the owner, lienholder, issuing warehouse, inspector, auditors and regulators."""
    document = service.authorise_download(session, sha256, claims)
    content = service_state(request).store.read(sha256)
    return Response(
        content,
        media_type=service.sniffed_type(
            content
        ),  # re-read: rows stored before sniffing keep the uploader's type
        headers={
            "Content-Disposition": service.content_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{sha256}"',
        },
    )

"""The registry's errors: one root, each with a stable problem type (RFC 9457) and HTTP status."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://ledgerhouse.dev/problems/"


class RegistryError(Exception):
    """Root of every error the registry service answers with a problem document."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


class NotFound(RegistryError):
    status, slug, title = 404, "not-found", "Not found"


class InvalidRequest(RegistryError):
    status, slug, title = 422, "invalid-request", "Invalid request"


class AuthenticationRequired(RegistryError):
    status, slug, title = 401, "authentication-required", "Sign in first"


class SignInRejected(RegistryError):
    status, slug, title = 401, "sign-in-rejected", "Sign-in rejected"


class Forbidden(RegistryError):
    status, slug, title = 403, "forbidden", "Not allowed for this participant"


class CommitmentMismatch(RegistryError):
    status, slug, title = 422, "commitment-mismatch", "Document does not match the on-chain commitment"


class PayloadTooLarge(RegistryError):
    status, slug, title = 413, "payload-too-large", "Document too large"


class TooManyRequests(RegistryError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(RegistryError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"

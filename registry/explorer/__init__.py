"""Read-only HTML explorer over the registry's index: a page per receipt, voucher, lot, participant
and transaction, every fact linked to its transaction. `router` is included by `create_app`."""

from registry.explorer.routes import router

__all__ = ["router"]

"""What of a lien is public: the register's policy, in one place.

Like a secured-transactions register, the registry shows to anyone that a receipt or voucher
piece is pledged (or that a pledge is requested) and to whom. The lien's terms (secured amount,
currency, loan reference, loan maturity) are shown only to the lienholder (or the lender asked),
the owner (or holder) of the pledged item, auditors and regulators, each signed in. Every view
that shows a lien goes through here: the receipt and voucher lists and items, a voucher's tree,
a receipt's history (the pledge events' terms), and the explorer (always anonymous).

/exposure/{borrower} is the one signed-in exception: any lender sees the amounts of every lien on
a borrower (the double-financing check a lender runs before lending), as the borrower does.
"""

from __future__ import annotations

from typing import Any

from registry.services.signin import SessionClaims

OVERSIGHT = ("auditor", "regulator")

# The terms in the pledge events' arguments, and the arguments naming the two parties who see them.
TERM_ARGS = frozenset({"securedAmount", "currency", "loanRef", "loanMaturity", "outstanding", "amount"})
EVENT_PARTIES: dict[str, tuple[str, str]] = {
    "PledgeRequested": ("lender", "owner"),
    "VoucherPledgeRequested": ("lender", "holder"),
    "VoucherPledgeAccepted": ("lienholder", "holder"),
    # A loan against receipts (CollateralMonitor): its amounts are the lien's terms too. Its LTV,
    # price and margin-call state are public, as the register shows that a receipt is pledged.
    "LoanOpened": ("lender", "borrower"),
    "RepaymentRecorded": ("lender", "lender"),
}


def sees_terms(viewer: SessionClaims | None, *parties: str | None) -> bool:
    """Whether the signed-in `viewer` (None: anonymous) may see a lien's terms between `parties`."""
    if viewer is None:
        return False
    return viewer.role in OVERSIGHT or any(p is not None and p == viewer.address for p in parties)


def event_args(event: str, args: dict[str, Any], viewer: SessionClaims | None) -> dict[str, Any]:
    """A chain event's arguments with a pledge's terms left out (and `termsWithheld` said) unless
    `viewer` may see them."""
    parties = EVENT_PARTIES.get(event)
    if parties is None or sees_terms(viewer, *(args.get(p) for p in parties)):
        return args
    kept = {k: v for k, v in args.items() if k not in TERM_ARGS}
    kept["termsWithheld"] = True
    return kept

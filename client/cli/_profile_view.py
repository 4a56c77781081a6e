"""The credit profile and its consents as `ledgerhouse` shows them: rich tables, or one JSON object."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from client.cli._context import CliContext, stdout
from client.errors import InvalidInput
from client.profile_models import ConsentOut, CreditProfile, Figure, ProfileRead
from client.reconcile import registry_url
from client.registry_api import RegistryApi

REGISTRY_HELP = "Registry service URL, e.g. http://127.0.0.1:8000 (or LEDGERHOUSE_REGISTRY_URL)"


def signed_in(c: CliContext, url: str | None) -> RegistryApi:
    """The registry at `url`, signed in with the command's key."""
    if not url:
        raise InvalidInput(
            "this command asks the registry: give --registry URL (or LEDGERHOUSE_REGISTRY_URL)"
        )
    api = RegistryApi(registry_url(url), account=c.account(required=True))
    api.sign_in()
    return api


COUNTS = ("pieces", "receipts", "events", "pledges", "discounts", "deliveries", "stocktakes")


def _fig(f: Figure) -> str:
    if f.value is None:
        return f"— ({f.note})" if f.note else "—"
    if f.unit == "%":
        return f"{f.value}%"
    return str(f.value) if f.unit in COUNTS else f"{f.value} {f.unit}"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def show_profile(c: CliContext, profile: CreditProfile) -> None:
    if c.json_output:
        c.emit(profile.model_dump(mode="json"), "")
        return
    s = profile.score
    stdout.print(
        f"{profile.name} ({profile.role}) {profile.address}\n"
        f"score {s.score} of {s.min_score}-{s.max_score}, grade {s.grade}  ({s.scorecard})\n"
        f"as of block {profile.as_of_block}, {profile.as_of:%Y-%m-%d %H:%M} UTC; "
        f"member since {profile.standing.admitted_at:%Y-%m-%d} ({profile.standing.status})",
        highlight=False,
    )
    factors = _table("score factors", "factor", "value", "band", "points")
    for f in s.factors:
        value = "—" if f.value is None else f"{f.value} {f.unit}"
        factors.add_row(f.name, value, f.band, f"{f.points}/{f.max_points}")
    stdout.print(factors)
    if s.reasons:
        stdout.print("reasons, worst first:", highlight=False)
        for r in s.reasons:
            stdout.print(f"  {r.code}  {r.text} (-{r.points_lost})", highlight=False)
    trade = profile.trade
    inflow = _table("receivables received by month", "month", "obligor", "tier", "pieces", "value")
    for m in trade.monthly:
        inflow.add_row(m.month, m.obligor_name or m.obligor, str(m.tier), _fig(m.pieces), _fig(m.value))
    stdout.print(inflow)
    obligors = _table("obligors' payment record", "obligor", "on time", "late", "overdue", "on-time share")
    for o in trade.obligors:
        obligors.add_row(
            o.obligor_name or o.obligor,
            _fig(o.settled_on_time),
            _fig(o.settled_late),
            _fig(o.overdue),
            _fig(o.on_time_share),
        )
    stdout.print(obligors)
    stdout.print(
        f"largest obligor's share: {_fig(trade.largest_obligor_share)}; months with receivables of the "
        f"last 12: {_fig(trade.months_active_12)}",
        highlight=False,
    )
    goods = _table("goods held", "commodity", "receipts", "quantity", "value")
    for h in profile.goods.holdings:
        goods.add_row(h.commodity, _fig(h.receipts), _fig(h.quantity), _fig(h.value))
    stdout.print(goods)
    g = profile.goods
    stdout.print(
        f"receipts minted to it {_fig(g.receipts_minted_to_member)}, deliveries {_fig(g.deliveries)}, "
        f"mean days to delivery {_fig(g.mean_days_to_delivery)}, shortfalls on its lots {_fig(g.shortfalls)}",
        highlight=False,
    )
    loans = _table("pledges and discounts", "kind", "subject", "lender", "amount", "maturity", "outcome")
    for loan in profile.credit.loans:
        maturity = f"{loan.maturity:%Y-%m-%d}" if loan.maturity else "—"
        loans.add_row(
            loan.kind,
            str(loan.subject_id),
            loan.lender,
            f"{loan.amount} {loan.currency}",
            maturity,
            loan.outcome,
        )
    stdout.print(loans)
    exposure = _table("exposure now", "lender", "exposure", "collateral")
    for e in profile.credit.exposure:
        exposure.add_row(e.lender, _fig(e.exposure), _fig(e.collateral))
    stdout.print(exposure)
    facility = _table(
        f"suggested facility (receivables maturing within {profile.facility.horizon_days} days)",
        "currency",
        "receivables due",
        "advance",
        "goods advance",
        "exposure",
        "grade factor",
        "limit",
    )
    for line in profile.facility.lines:
        facility.add_row(
            line.currency,
            _fig(line.receivables_due),
            _fig(line.receivables_advance),
            _fig(line.collateral_advance),
            _fig(line.exposure),
            str(line.grade_factor),
            _fig(line.limit),
        )
    stdout.print(facility)
    stdout.print(profile.disclaimer, highlight=False)


def show_consent(c: CliContext, consent: ConsentOut, verb: str) -> None:
    c.emit(
        consent.model_dump(mode="json"),
        f"consent {consent.id} {verb}: {consent.lender} may read {consent.supplier}'s credit profile "
        f"until {consent.expires_at:%Y-%m-%d %H:%M} UTC ({consent.status})",
    )


def show_consents(c: CliContext, consents: list[ConsentOut]) -> None:
    if c.json_output:
        c.emit({"consents": [x.model_dump(mode="json") for x in consents]}, "")
        return
    table = _table("consents", "id", "lender", "issued", "expires", "status")
    for x in consents:
        table.add_row(x.id, x.lender, f"{x.issued_at:%Y-%m-%d}", f"{x.expires_at:%Y-%m-%d %H:%M}", x.status)
    stdout.print(table)


def show_reads(c: CliContext, reads: list[ProfileRead]) -> None:
    if c.json_output:
        c.emit({"reads": [r.model_dump(mode="json") for r in reads]}, "")
        return
    table = _table(
        "who read the profile", "when (UTC)", "reader", "role", "basis", "granted", "consent / reason"
    )
    for r in reads:
        detail: Any = r.consent_id or r.reason
        table.add_row(
            f"{r.read_at:%Y-%m-%d %H:%M:%S}",
            r.reader,
            r.reader_role,
            r.basis,
            "yes" if r.granted else "NO",
            detail,
        )
    stdout.print(table)

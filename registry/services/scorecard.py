"""The credit scorecard as data: factors, their bands, the points each band earns and the reason
code a band below the best one gives. Scoring is a table look-up; changing the scorecard is changing
this table (and its version), never the code paths. docs/credit-profile.md explains every factor.

In the style of a bank's application scorecard: points per band, summed, with the reasons that cost
the most points listed first. It is an expert-judgement ranking of what the chain shows, NOT a
probability of default calibrated on observed defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from client.profile_models import FactorOut, ReasonOut, ScoreOut

SCORECARD = "ledgerhouse-supplier-scorecard v1"


@dataclass(frozen=True)
class Band:
    """Values from `low` (inclusive) up to the next band's `low` earn `points`; `reason` is the
    reason code (with its text) when this band is not the factor's best."""

    low: Decimal
    label: str
    points: int
    reason: str = ""


@dataclass(frozen=True)
class Factor:
    code: str
    name: str
    unit: str
    bands: tuple[Band, ...]  # ascending by low
    missing: Band  # when the value cannot be known (no history of that kind)

    @property
    def max_points(self) -> int:
        return max(b.points for b in (*self.bands, self.missing))

    def band_of(self, value: Decimal | None) -> Band:
        if value is None:
            return self.missing
        chosen = self.bands[0]
        for band in self.bands:
            if value >= band.low:
                chosen = band
        return chosen


def _d(text: str) -> Decimal:
    return Decimal(text)


FACTORS: tuple[Factor, ...] = (
    Factor(
        "tenure",
        "Months since admission",
        "months",
        (
            Band(_d("0"), "< 3", 5, "T1: member for under 3 months"),
            Band(_d("3"), "3-6", 15, "T2: member for under 6 months"),
            Band(_d("6"), "6-12", 25, "T3: member for under a year"),
            Band(_d("12"), "12-24", 35, "T4: member for under two years"),
            Band(_d("24"), ">= 24", 45),
        ),
        Band(_d("0"), "unknown", 0, "T0: admission not indexed"),
    ),
    Factor(
        "trade_regularity",
        "Months with receivables received, of the last 12",
        "months",
        (
            Band(_d("0"), "0", 0, "R0: no receivables received in the last 12 months"),
            Band(_d("1"), "1-2", 10, "R1: receivables received in 2 months or fewer of the last 12"),
            Band(_d("3"), "3-5", 25, "R2: receivables received in under half of the last 12 months"),
            Band(_d("6"), "6-8", 40, "R3: receivables received in under 9 of the last 12 months"),
            Band(_d("9"), ">= 9", 50),
        ),
        Band(_d("0"), "none", 0, "R0: no receivables received in the last 12 months"),
    ),
    Factor(
        "concentration",
        "Share of the largest obligor in receivables received",
        "%",
        (
            Band(_d("0"), "< 50%", 35),
            Band(_d("50"), "50-70%", 25, "C1: over half of receivables owed by one obligor"),
            Band(_d("70"), "70-90%", 15, "C2: over 70% of receivables owed by one obligor"),
            Band(_d("90"), ">= 90%", 5, "C3: receivables owed almost entirely by one obligor"),
        ),
        Band(_d("0"), "no trade", 0, "C0: no receivables received"),
    ),
    Factor(
        "obligor_record",
        "Obligors' pieces paid on time (of pieces paid or overdue)",
        "%",
        (
            Band(_d("0"), "< 80%", 0, "O3: obligors pay under 80% of their pieces on time"),
            Band(_d("80"), "80-95%", 20, "O2: obligors pay under 95% of their pieces on time"),
            Band(_d("95"), "95-99%", 35, "O1: obligors pay under 99% of their pieces on time"),
            Band(_d("99"), ">= 99%", 45),
        ),
        Band(_d("0"), "no payments yet", 20, "O0: no obligor payment record yet"),
    ),
    Factor(
        "repayment",
        "Own pledges released or paid on time (of pledges closed or overdue)",
        "%",
        (
            Band(_d("0"), "< 80%", 0, "P3: under 80% of own pledges closed on time"),
            Band(_d("80"), "80-95%", 20, "P2: under 95% of own pledges closed on time"),
            Band(_d("95"), ">= 95%", 45),
        ),
        Band(_d("0"), "no pledges closed", 25, "P0: no closed pledge to judge repayment by"),
    ),
    Factor(
        "overdue_now",
        "Own pledges past their loan maturity and not released",
        "pledges",
        (
            Band(_d("0"), "0", 40),
            Band(_d("1"), ">= 1", 0, "D1: a pledge is past its loan maturity and not released"),
        ),
        Band(_d("0"), "unknown", 0, "D0: unknown"),
    ),
    Factor(
        "foreclosures",
        "Receipts foreclosed by a lender",
        "receipts",
        (
            Band(_d("0"), "0", 40),
            Band(_d("1"), ">= 1", 0, "F1: a lender foreclosed on the member's goods"),
        ),
        Band(_d("0"), "unknown", 0, "F0: unknown"),
    ),
    Factor(
        "standing",
        "Suspensions and revocations of membership",
        "events",
        (
            Band(_d("0"), "0", 30),
            Band(_d("1"), "1", 10, "S1: membership suspended or revoked once"),
            Band(_d("2"), ">= 2", 0, "S2: membership suspended or revoked more than once"),
        ),
        Band(_d("0"), "unknown", 0, "S0: unknown"),
    ),
    Factor(
        "shortfalls",
        "Stock shortfalls on lots the member held",
        "stocktakes",
        (
            Band(_d("0"), "0", 20),
            Band(_d("1"), ">= 1", 5, "G1: a stocktake found less than receipted on a lot the member held"),
        ),
        Band(_d("0"), "unknown", 0, "G0: unknown"),
    ),
    Factor(
        "leverage",
        "Current exposure against receivables held and falling due",
        "%",
        (
            Band(_d("0"), "< 30%", 30),
            Band(_d("30"), "30-60%", 20, "L1: exposure over 30% of receivables held"),
            Band(_d("60"), "60-90%", 10, "L2: exposure over 60% of receivables held"),
            Band(_d("90"), ">= 90%", 0, "L3: exposure at or above 90% of receivables held"),
        ),
        Band(_d("0"), "exposure without receivables", 0, "L4: exposure but no receivables held"),
    ),
)

# Grades by score and the share of the borrowing base a facility may reach under each.
GRADES: tuple[tuple[int, str, Decimal], ...] = (
    (0, "E", Decimal("0")),
    (180, "D", Decimal("0.25")),
    (240, "C", Decimal("0.5")),
    (290, "B", Decimal("0.75")),
    (340, "A", Decimal("1")),
)

MIN_SCORE = sum(min(b.points for b in (*f.bands, f.missing)) for f in FACTORS)
MAX_SCORE = sum(f.max_points for f in FACTORS)
TOP_REASONS = 4


def grade_of(score: int) -> tuple[str, Decimal]:
    grade, factor = GRADES[0][1], GRADES[0][2]
    for low, name, share in GRADES:
        if score >= low:
            grade, factor = name, share
    return grade, factor


def score(values: dict[str, Decimal | None]) -> ScoreOut:
    """The scorecard applied to one value per factor code (None: no history of that kind)."""
    factors: list[FactorOut] = []
    lost: list[tuple[int, int, ReasonOut]] = []
    for order, factor in enumerate(FACTORS):
        value = values[factor.code]
        band = factor.band_of(value)
        factors.append(
            FactorOut(
                code=factor.code,
                name=factor.name,
                value=value,
                unit=factor.unit,
                band=band.label,
                points=band.points,
                max_points=factor.max_points,
            )
        )
        missing = factor.max_points - band.points
        if missing > 0 and band.reason:
            code, _, text = band.reason.partition(": ")
            lost.append((missing, -order, ReasonOut(code=code, text=text, points_lost=missing)))
    total = sum(f.points for f in factors)
    grade, _ = grade_of(total)
    lost.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return ScoreOut(
        scorecard=SCORECARD,
        score=total,
        min_score=MIN_SCORE,
        max_score=MAX_SCORE,
        grade=grade,
        factors=factors,
        reasons=[reason for _, _, reason in lost[:TOP_REASONS]],
    )

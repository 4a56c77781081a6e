"""The scorecard is a table: band edges, missing values, reasons worst first, grades."""

from __future__ import annotations

from decimal import Decimal

from registry.services import scorecard

BEST: dict[str, Decimal | None] = {
    "tenure": Decimal(30),
    "trade_regularity": Decimal(12),
    "concentration": Decimal("20.0"),
    "obligor_record": Decimal("100.0"),
    "repayment": Decimal("100.0"),
    "overdue_now": Decimal(0),
    "foreclosures": Decimal(0),
    "standing": Decimal(0),
    "shortfalls": Decimal(0),
    "leverage": Decimal(0),
}


def test_the_best_profile_scores_the_maximum_with_no_reasons() -> None:
    result = scorecard.score(BEST)
    assert result.score == scorecard.MAX_SCORE == 380
    assert result.grade == "A" and result.reasons == []


def test_band_edges_are_inclusive_below() -> None:
    tenure = next(f for f in scorecard.FACTORS if f.code == "tenure")
    assert tenure.band_of(Decimal("2.9")).points == 5
    assert tenure.band_of(Decimal(3)).points == 15
    assert tenure.band_of(Decimal(24)).points == 45
    assert tenure.band_of(None).label == "unknown"


def test_reasons_are_the_costliest_factors_worst_first() -> None:
    values = {**BEST, "foreclosures": Decimal(1), "concentration": Decimal("95.0"), "tenure": Decimal(7)}
    result = scorecard.score(values)
    assert result.score == 380 - 40 - 30 - 20
    assert [r.code for r in result.reasons] == ["F1", "C3", "T3"]
    assert [r.points_lost for r in result.reasons] == [40, 30, 20]


def test_a_thin_file_is_neither_best_nor_worst() -> None:
    thin = {**BEST, "obligor_record": None, "repayment": None, "trade_regularity": Decimal(0)}
    result = scorecard.score(thin)
    points = {f.code: f.points for f in result.factors}
    assert points["obligor_record"] == 20 and points["repayment"] == 25
    assert {r.code for r in result.reasons} >= {"R0", "O0", "P0"}


def test_grades_follow_the_thresholds() -> None:
    assert [scorecard.grade_of(s)[0] for s in (0, 179, 180, 239, 240, 289, 290, 339, 340)] == [
        "E",
        "E",
        "D",
        "D",
        "C",
        "C",
        "B",
        "B",
        "A",
    ]

"""The registry's LTV and value are the contract's integers (CollateralMonitor._ltvBps and ltv):
rounded in the lender's favour, capped, and 'no collateral' as the contract says it."""

from __future__ import annotations

from registry.indexer.valuation_projection import MAX_LTV_BPS, collateral_value, ltv_bps

TONNE = 10**18  # collateral is normalised to 18 decimals


def test_issue_19_story() -> None:
    assert ltv_bps(21_000_000_000, 5_000 * TONNE, 6_000_000) == 7_000  # 210M / (5,000 t x 60,000.00)
    assert ltv_bps(21_000_000_000, 5_000 * TONNE, 4_800_000) == 8_750  # the price falls 20 %
    assert collateral_value(5_000 * TONNE, 4_800_000) == 24_000_000_000


def test_ltv_rounds_up_and_value_rounds_down() -> None:
    assert ltv_bps(4_200_000_000, 1_200 * TONNE, 4_800_000) == 7_292  # 72.916... % -> up
    assert ltv_bps(1, 10**30, 1) == 1  # the least debt is never 0 bps
    assert collateral_value(1, 999_999) == 0  # a fraction of a minor unit is not value
    assert collateral_value(1_500 * 10**15, 1) == 1  # 1.5 t at 0.01 = 0.015: down to 0.01
    assert collateral_value(1_500 * 10**15, 100) == 150


def test_no_collateral_or_price_is_the_contracts_maximum_and_a_huge_debt_is_capped() -> None:
    assert ltv_bps(1, 0, 6_000_000) == MAX_LTV_BPS
    assert ltv_bps(1, TONNE, 0) == MAX_LTV_BPS
    assert ltv_bps(2**128 - 1, 1, 1) == MAX_LTV_BPS
    assert ltv_bps(0, TONNE, 1) == 0

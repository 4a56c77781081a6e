"""The registry's view of collateral valuation, over real HTTP against the real indexer: prices and
their history, a loan's LTV recomputed when the price moves, margin-call / near-margin /
stale-price alerts, and who may see a loan."""

from __future__ import annotations

from typing import Any

import pytest

from client import Ledgerhouse
from client.deployment import Manifest
from client.devnet import dev_account, dev_labels
from client.registry_api import RegistryRequestFailed
from tests.conftest import increase_time
from tests.registry.conftest import RunningRegistry
from tests.valuation_story import COPPER, DAY, TERMS, addr, copper_feed, one_client_each, pledged_copper


@pytest.fixture(scope="module")
def story(registry_service: RunningRegistry, manifest: Manifest) -> dict[str, Any]:
    """Two copper loans at 60,000 CNY/t, then the price falls 20 % and a keeper checks the first."""
    w3 = registry_service.w3

    def make(name: str) -> Ledgerhouse:
        return Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())

    as_ = one_client_each(make)
    copper_feed(as_, max_age_s=2 * DAY)
    first = pledged_copper(as_, "CU-REG-LOT-1")
    big = (
        as_("bank1")
        .valuation.open_loan([first], amount="210000000.00", currency="CNY", loan_ref="B1-R-1", terms=TERMS)
        .loan_id
    )
    second = pledged_copper(as_, "CU-REG-LOT-2", "1000.000")
    near = (
        as_("bank1")
        .valuation.open_loan([second], amount="36480000.00", currency="CNY", loan_ref="B1-R-2", terms=TERMS)
        .loan_id
    )
    as_("publisher1").prices.post_price(COPPER, "48000.00", source="SHFE-SETTLE")
    as_("auditor1").valuation.check_margin(big)
    registry_service.wait_indexed()
    return {"as_": as_, "big": big, "near": near, "first": first}


def test_prices_and_history(registry_service: RunningRegistry, story: dict[str, Any]) -> None:
    api = registry_service.api()
    price = api.get(f"/prices/{COPPER}")
    assert (price["price"], price["currency"], price["unit"], price["fresh"]) == (
        "48000.00",
        "CNY",
        "t",
        True,
    )
    assert price["publishers"] == [
        {
            **price["publishers"][0],
            "publisher": addr("publisher1"),
            "price": "48000.00",
            "source": "SHFE-SETTLE",
            "pending": False,
            "admitted": True,
        }
    ]
    assert [p["price"] for p in api.get(f"/prices/{COPPER}/history")["items"]] == ["48000.00", "60000.00"]
    assert [p["commodity"] for p in api.get("/prices")] == [COPPER]
    with pytest.raises(RegistryRequestFailed) as missing:
        api.get("/prices/NI-PLATE")
    assert missing.value.status == 404 and "no price feed for commodity NI-PLATE" in str(missing.value)


def test_loan_valuation_recomputed_on_the_price_move(
    registry_service: RunningRegistry, story: dict[str, Any]
) -> None:
    bank = registry_service.signed_in("bank1")
    loan = bank.get(f"/loans/{story['big']}")
    assert (loan["value"], loan["ltv_bps"], loan["ltv_percent"], loan["status"], loan["last_check"]) == (
        "240000000.00",
        8750,
        "87.50",
        "margin-called",
        "margin-called",
    )
    assert loan["receipts"] == [story["first"]] and loan["collateral"] == "5000" and loan["cure_deadline"]
    assert bank.get(f"/receipts/{story['first']}/loan")["loan_id"] == story["big"]
    # The chain says the same.
    on_chain = story["as_"]("bank1").valuation.value(story["big"])
    assert (str(on_chain.value), on_chain.ltv_bps) == (loan["value"], loan["ltv_bps"])
    book = bank.get(f"/liens/{addr('bank1')}/loans")["items"]
    assert [(v["loan_id"], v["ltv_bps"], v["status"]) for v in book] == [
        (story["big"], 8750, "margin-called"),
        (story["near"], 7600, "near-margin"),
    ]
    with pytest.raises(RegistryRequestFailed) as other_bank:
        registry_service.signed_in("bank2").get(f"/loans/{story['big']}")
    assert other_bank.value.status == 403
    with pytest.raises(RegistryRequestFailed) as anonymous:
        registry_service.api().get(f"/loans/{story['big']}")
    assert anonymous.value.status == 401


def test_explorer_shows_prices_ltv_and_the_margin_call_timeline_but_no_amounts(
    registry_service: RunningRegistry, story: dict[str, Any]
) -> None:
    import requests

    def page(path: str) -> str:
        response = requests.get(registry_service.url + "/explorer" + path, timeout=10)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    overview = page("/prices")
    assert "CU-CATH" in overview and "48000.00 CNY/t" in overview and "fresh" in overview
    assert "87.50 %" in overview and "76.00 %" in overview and "margin-called" in overview
    assert f'href="/explorer/loans/{story["big"]}"' in overview
    price = page(f"/prices/{COPPER}")
    assert 'id="price-chart"' in price and "round 2: 48000.00" in price and "SHFE-SETTLE" in price
    loan = page(f"/loans/{story['big']}")
    for shown in (
        "87.50 %",
        "margin-called",
        "MarginCalled",
        "MarginChecked",
        "LoanOpened",
        "5000 t CU-CATH",
    ):
        assert shown in loan, shown
    for amount in ("21000000000", "210000000"):
        assert amount not in loan, amount  # a loan's amounts are lien terms: withheld
    opened = next(
        e
        for e in registry_service.api().get(f"/receipts/{story['first']}/history")
        if e["event"] == "CollateralAdded"
    )
    tx_page = page(f"/tx/{opened['tx_hash']}")
    assert "LoanOpened" in tx_page and "21000000000" not in tx_page
    receipt = page(f"/receipts/{story['first']}")
    assert f'href="/explorer/loans/{story["big"]}"' in receipt and "LTV 87.50 %" in receipt
    assert "margin-called" in receipt
    missing = requests.get(registry_service.url + "/explorer/loans/999", timeout=10)
    assert missing.status_code == 404 and "loan 999 is not in the registry" in missing.text


def test_alerts_show_margin_call_then_cure_then_stale_price(
    registry_service: RunningRegistry, story: dict[str, Any]
) -> None:
    api = registry_service.api()
    margin = api.alerts(kind="margin-call")
    assert [(a.subject, a.parties) for a in margin] == [
        (str(story["big"]), [addr("supplier1"), addr("bank1")])
    ]
    assert "LTV 87.50 % above the margin call at 80.00 %; cure by" in margin[0].detail
    near = api.alerts(kind="near-margin")
    assert [a.subject for a in near] == [str(story["near"])]
    assert "LTV 76.00 % at 48000.00 CNY/t, within 5 points of the margin call at 80.00 %" in near[0].detail
    every = api.alerts()
    assert {"margin-call", "near-margin"} <= {a.kind for a in every}
    assert [a["loan_id"] for a in registry_service.signed_in("auditor1").get("/margin-calls")["items"]] == [
        story["big"]
    ]

    # The borrower repays 30,000,000.00 (recorded by the lender): 75 %, cured; the alert goes.
    story["as_"]("bank1").valuation.repay(story["big"], "30000000.00")
    registry_service.wait_indexed()
    assert api.alerts(kind="margin-call") == []
    cured = registry_service.signed_in("bank1").get(f"/loans/{story['big']}")
    assert (cured["outstanding"], cured["ltv_bps"], cured["status"], cured["cure_deadline"]) == (
        "180000000.00",
        7500,
        "healthy",  # exactly 5 points below the call: near is above 75 %
        None,
    )

    # Two days and more without a post: the price is stale, and the loans cannot be valued.
    increase_time(registry_service.w3, 2 * DAY + 60)
    registry_service.wait_indexed()
    stale = api.alerts(kind="stale-price")
    assert [a.subject for a in stale] == [COPPER] and "2 loan(s) cannot be valued" in stale[0].detail
    assert stale[0].parties == [addr("publisher1")]
    assert api.get(f"/prices/{COPPER}")["fresh"] is False
    assert api.alerts(kind="near-margin") == []  # nothing is near a margin call at no price
    assert registry_service.signed_in("bank1").get(f"/loans/{story['big']}")["status"] == "stale-price"

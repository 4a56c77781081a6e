"""The explorer's HTML pages as a browser sees them: Debian's headless Chromium, driven over the Chrome
DevTools protocol, against a real registry indexing the scripted history on a real chain (SQLite, and
PostgreSQL when LEDGERHOUSE_TEST_POSTGRES_URL is set).

The DevTools protocol needs only `websockets` (already installed with web3) and the browser itself:
no WebDriver, no driver download. A screenshot of each page lands in the test's tmp dir; with
LEDGERHOUSE_UPDATE_SCREENSHOTS=1 the voucher page is also written to docs/explorer-voucher.png.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from websockets.sync.client import ClientConnection, connect

from client._encoding import commitment
from client._types import Role
from client.devnet import dev_account
from client.identifiers import identifier_commitment
from registry.explorer import charts
from registry.explorer.facts import Fact, Links
from registry.explorer.routes import templates
from registry.explorer.settings import ExplorerSettings
from tests.conftest import skip_unless_ci
from tests.registry.conftest import RunningRegistry
from tests.registry.scenario import ALU_LOT, STEEL_LOT

CHROMIUM = Path(os.environ.get("LEDGERHOUSE_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]
WIDTH = 1280


def addr(name: str) -> str:
    return dev_account(name).address


# ---------------------------------------------------------------- a small DevTools client


class Browser:
    """One headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-extensions",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--mute-audio",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",  # Chromium picks a free port and writes it to the profile
                f"--user-data-dir={profile}",
                f"--window-size={WIDTH},900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{CHROMIUM} did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self._closing = ExitStack()
        self.ws: ClientConnection = self._closing.enter_context(
            connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        )
        self._ids = itertools.count(1)
        self._events: deque[dict[str, Any]] = deque()
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Runtime.enable")

    def close(self) -> None:
        if hasattr(self, "_closing"):
            self._closing.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            if "method" in message:
                self._events.append(message)

    def _wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method:
                    del self._events[i]
                    return event
            message = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if "method" in message:
                self._events.append(message)

    def open(self, url: str) -> int:
        """Loads `url` in the tab; returns the HTTP status of the document it shows."""
        self._events.clear()
        navigation = self.call("Page.navigate", url=url)
        assert "errorText" not in navigation, f"{url}: {navigation.get('errorText')}"
        self._wait_for("Page.loadEventFired")
        documents = [
            e["params"]["response"]
            for e in self._events
            if e["method"] == "Network.responseReceived" and e["params"].get("type") == "Document"
        ]
        assert documents, f"no document response seen for {url}"
        self.content_type = str(documents[-1].get("mimeType", ""))
        status: int = documents[-1]["status"]
        return status

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def title(self) -> str:
        return str(self.js("document.title"))

    def text(self, selector: str) -> str:
        # innerText is what a reader sees; SVG elements have only textContent.
        element = f"document.querySelector({json.dumps(selector)})"
        return str(self.js(f"{element}?.innerText ?? {element}?.textContent ?? ''")).strip()

    def count(self, selector: str) -> int:
        return int(self.js(f"document.querySelectorAll({json.dumps(selector)}).length"))

    def facts(self) -> dict[str, str]:
        """The page's fact list (dt -> dd), as rendered text."""
        value = self.js(
            "Object.fromEntries(Array.from(document.querySelectorAll('dl.facts dt'),"
            " dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]))"
        )
        return {str(k): str(v) for k, v in value.items()}

    def rows(self, table_id: str) -> list[list[str]]:
        value = self.js(
            f"Array.from(document.querySelectorAll('#{table_id} tbody tr'),"
            " tr => Array.from(tr.cells, td => td.innerText.trim()))"
        )
        return [[str(c) for c in row] for row in value]

    def hrefs(self, selector: str = "a[href]") -> list[str]:
        """Every link's absolute URL, SVG links included."""
        value = self.js(
            f"Array.from(document.querySelectorAll({json.dumps(selector)}),"
            " a => new URL(a.getAttribute('href'), document.baseURI).href)"
        )
        return [str(v) for v in value]

    def screenshot(self, path: Path, max_height: int = 8_000) -> Path:
        """The whole page (down to `max_height` pixels), not just the window."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        height = min(max(int(size["height"]) + 1, 200), max_height)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        try:
            clip = {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}
            data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)[
                "data"
            ]
        finally:
            self.call("Emulation.clearDeviceMetricsOverride")
        path.write_bytes(base64.b64decode(data))
        return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        skip_unless_ci(
            f"{CHROMIUM} is not installed: `make browser` installs Debian's chromium (as root, with apt-get)"
        )
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return directory


def page(browser: Browser, service: RunningRegistry, path: str, status: int = 200) -> Browser:
    got = browser.open(service.url + path)
    assert got == status, f"{path}: HTTP {got}, expected {status}: {browser.text('main')[:300]}"
    assert browser.content_type == "text/html", browser.content_type
    return browser


# ---------------------------------------------------------------- pages


def test_index_has_search_boxes_alerts_and_lots(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    b = page(browser, registry_service, "/explorer")
    assert b.title() == "Ledgerhouse explorer"
    names = b.js("Array.from(document.querySelectorAll('.search form input'), i => i.name)")
    assert names == ["receipt", "voucher", "lot", "address"]
    alerts = b.rows("alerts")
    kinds = [row[0] for row in alerts]
    assert kinds.count("shortfall") == 1 and kinds.count("overdue") == 2
    shortfall = alerts[kinds.index("shortfall")]
    # Addresses read as the participants' registered names, also inside the service's sentences.
    assert "Qingdao Bonded Logistics Warehouse" in shortfall[2] and "0x7099" not in shortfall[2]
    assert shortfall[3] == "Qingdao Bonded Logistics Warehouse, Bank One Trade Finance"
    assert len(b.rows("lots")) == 2 and len(b.rows("participants")) == 12
    assert b.js("document.scripts.length") == 0  # documents, not an application
    b.screenshot(shots / "index.png")

    # The search boxes are plain GET forms, answered with a redirect to the page they name.
    h = registry_service.history
    b.js(f"document.querySelector('#q-receipt').value = '#{h.receipts['alu_b']}'")
    b.js("document.querySelector('#q-receipt').form.submit()")
    b._wait_for("Page.loadEventFired")
    assert b.js("location.pathname") == f"/explorer/receipts/{h.receipts['alu_b']}"
    lot_facts = page(b, registry_service, f"/explorer/search?lot={ALU_LOT}").facts()
    assert lot_facts["Goods identity"] == ALU_LOT
    assert lot_facts["Canonical form"] == "SHFEAL2026000731"  # what the chain commits to
    respelled = page(b, registry_service, "/explorer/search?lot=shfe+al+2026%2F000731").facts()
    assert (
        respelled["Goods identity"] == "shfe al 2026/000731"
        and respelled["Canonical form"] == "SHFEAL2026000731"
    )
    assert (
        page(b, registry_service, f"/explorer/search?voucher={h.vouchers['tier2']}")
        .title()
        .startswith(f"Voucher {h.vouchers['tier2']}")
    )
    assert page(b, registry_service, f"/explorer/search?address={addr('bank2').lower()}").text("h1") == (
        "Bank Two Supply Chain Finance"
    )


def test_receipt_page_shows_its_state_and_whole_timeline(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    h = registry_service.history.receipts
    api = registry_service.api()
    b = page(browser, registry_service, f"/explorer/receipts/{h['alu_b']}")
    assert b.title().startswith(f"Receipt #{h['alu_b']}")
    facts = b.facts()
    assert facts["Owner"] == "Tier-3 Wire Rod Co"
    assert facts["Warehouse"] == "Qingdao Bonded Logistics Warehouse"
    assert facts["Quantity"] == "100.000 t" and facts["Commodity"] == "AL-A00"
    assert facts["Status"] == "live" and facts["Split from"] == f"#{h['alu']}"
    assert "its lot is frozen by a stock shortfall" in facts["Freezes"]
    assert facts["Lien"] == "none"
    expires_at = api.receipt(h["alu_b"]).expires_at
    assert expires_at is not None and facts["Expires"].startswith(expires_at.isoformat()[:10])
    # The timeline is the API's history, oldest first, a split part's parent life included, each row
    # with its block, UTC time and a link to its transaction.
    history = api.receipt_history(h["alu_b"])
    rows = b.rows("timeline")
    assert [(int(r[0]), r[2]) for r in rows] == [(e.block, e.event) for e in history]
    assert [r[1] for r in rows] == [e.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") for e in history]
    assert b.hrefs("#timeline td:last-child a") == [
        f"{registry_service.url}/explorer/tx/{e.tx_hash}" for e in history
    ]
    assert b.count("#timeline tr.inherited") == 3  # the parent's mint (Transfer, ReceiptMinted) and its split
    delivered = next(r for r in rows if r[2] == "Delivered")
    assert "quantity: 20.000 t" in delivered[3] and "owner: Tier-3 Wire Rod Co" in delivered[3]
    b.screenshot(shots / "receipt.png")

    pledged = page(browser, registry_service, f"/explorer/receipts/{h['alu']}").facts()
    # The explorer is anonymous: the lienholder is public, the lien's terms are not.
    assert pledged["Lien"].startswith(
        "Bank One Trade Finance terms: lienholder, owner, auditors and regulators only"
    )
    assert "900000.00" not in pledged["Lien"]
    assert pledged["Split into"] == f"#{h['alu_b']}, #{h['alu_c']}"


def test_voucher_page_draws_the_split_tree_one_box_per_piece(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    v = registry_service.history.vouchers
    tree = registry_service.api().voucher_tree(v["tier2"])
    b = page(browser, registry_service, f"/explorer/vouchers/{v['tier2']}")
    assert b.title().startswith(f"Voucher {v['tier2']}")
    pieces = tree.pieces
    assert b.count("svg#voucher-tree g.piece") == len(pieces) == 3
    drawn = b.js(
        "Array.from(document.querySelectorAll('svg#voucher-tree g.piece'), g => ["
        "Number(g.dataset.voucherId), Array.from(g.querySelectorAll('text'), t => t.textContent)])"
    )
    names = {addr("supplier1"): "Tier-1 Steel Parts Co", addr("supplier2"): "Tier-2 Fasteners Co"}
    names[addr("bank2")] = "Bank Two Supply Chain Finance"
    for (voucher_id, texts), piece in zip(drawn, pieces, strict=True):
        assert voucher_id == piece.voucher_id
        holder, meta, value, status = texts
        assert names[piece.holder].startswith(holder.rstrip("…"))
        assert meta == f"{piece.voucher_id} · tier {piece.tier}"
        assert value == f"{piece.value} CNY" and status.startswith(piece.status)
    # One edge per split, parent to child; the tiers are the rows.
    edges = b.js(
        "Array.from(document.querySelectorAll('svg#voucher-tree path.edge'),"
        " p => [Number(p.dataset.parent), Number(p.dataset.child)])"
    )
    assert edges == [[p.parent_id, p.voucher_id] for p in pieces if p.parent_id is not None]
    assert b.count("svg#voucher-tree g.tier-row") == 3
    ys = b.js(
        "Array.from(document.querySelectorAll('svg#voucher-tree g.piece'),"
        " g => g.transform.baseVal.getItem(0).matrix.f)"
    )
    assert ys == sorted(ys) and len(set(ys)) == 3  # tier 0 above tier 1 above tier 2
    assert b.count("svg#voucher-tree g.piece.current") == 1
    assert b.count("svg#voucher-tree g.piece.overdue") == 2  # 31 days past maturity, unpaid
    assert "closes" in b.text("figure.tree figcaption")
    assert b.facts()["Tree closes"].startswith("yes")
    assert [r[0] for r in b.rows("pieces")] == [str(p.voucher_id) for p in pieces]
    history = b.rows("history")
    assert [r[2] for r in history][:3] == ["VoucherIssued", "VoucherSplit", "VoucherSplit"]
    assert history[-1][2] == "VoucherSettled"
    b.screenshot(shots / "voucher.png")


def test_lot_chart_has_a_point_per_stocktake_mint_and_delivery(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    api = registry_service.api()
    lot = api.lot(ALU_LOT)
    # What the chart should show, counted from the API: the stocktakes, and each receipt's own mint
    # and deliveries (a split part's history repeats its parent's mint, so count each event once).
    changes = {(s.block, "StocktakeRecorded") for s in lot.stocktakes}
    for r in api.receipts(lot=ALU_LOT):
        for e in api.receipt_history(r["receipt_id"]):
            if e.event in ("ReceiptMinted", "Delivered") and e.args["receiptId"] == r["receipt_id"]:
                changes.add((e.block, e.event))
    assert len(changes) == 4  # stocktake 300 t, mint 300 t, delivery 20 t, stocktake 250 t

    b = page(browser, registry_service, f"/explorer/lots/{ALU_LOT}")
    assert b.title().startswith("Lot 0x" + identifier_commitment(ALU_LOT).hex()[:8])
    assert b.text("h1") == f"Lot {ALU_LOT}"
    assert b.count("svg#lot-chart circle.point.attested") == len(changes)
    assert b.count("svg#lot-chart circle.point.receipted") == len(changes)
    rows = b.rows("changes")
    assert [(int(r[0]), r[2]) for r in rows] == sorted(changes)
    assert (rows[-1][3], rows[-1][4], rows[-1][5]) == ("250.000 t", "280.000 t", "30.000 t")
    assert (rows[-1][3], rows[-1][4]) == (f"{lot.attested} t", f"{lot.receipted} t")
    # The shortfall is marked where it was found, and shaded until now.
    assert b.count("svg#lot-chart g.shortfall-mark") == 1
    assert "shortfall 30.000 t" in b.text("svg#lot-chart g.shortfall-mark")
    assert b.count("svg#lot-chart rect.gap") == 2  # the last change, plus the legend's swatch
    facts = b.facts()
    assert facts["Attested"] == "250.000 t" and facts["Receipted"] == "280.000 t"
    assert facts["Frozen"].startswith("frozen by a stock shortfall")
    live = b.rows("live-receipts")
    h = registry_service.history.receipts
    assert [r[0] for r in live] == [f"#{h['alu']}", f"#{h['alu_b']}"]
    assert b.hrefs("#live-receipts td:first-child a") == [
        f"{registry_service.url}/explorer/receipts/{h[k]}" for k in ("alu", "alu_b")
    ]
    # Every point links to the transaction that made the change.
    tx_links = b.hrefs("svg#lot-chart a")
    assert len(tx_links) == len(changes) and all("/explorer/tx/0x" in u for u in tx_links)
    b.screenshot(shots / "lot.png")

    steel = page(browser, registry_service, "/explorer/lots/0x" + identifier_commitment(STEEL_LOT).hex())
    assert steel.count("svg#lot-chart circle.point.attested") == 2  # stocktake, mint
    assert steel.count("svg#lot-chart g.shortfall-mark") == 0
    assert "Goods identity" not in steel.facts()  # asked for by its 0x id: the identity is not known


def test_participant_pages_show_holdings_issues_and_liens(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    h, v = registry_service.history.receipts, registry_service.history.vouchers
    b = page(browser, registry_service, f"/explorer/participants/{addr('bank1')}")
    assert b.title().startswith("Bank One Trade Finance")
    facts = b.facts()
    assert (facts["Role"], facts["Status"], facts["Address"]) == ("lender", "active", addr("bank1"))
    assert facts["KYC valid until"].endswith("current")
    assert [r[0] for r in b.rows("liens")] == [f"#{h['alu']}", f"#{h['steel']}"]
    assert [r[0] for r in b.rows("voucher-liens")] == [str(v["tier2"])]
    assert b.rows("credit-lines")[0][:2] == ["Bank One Trade Finance", "Core Auto Manufacturing Group"]
    assert b.rows("membership")[0][2] == "MemberAdmitted"
    b.screenshot(shots / "participant-bank1.png")

    b = page(browser, registry_service, f"/explorer/participants/{addr('warehouse1').lower()}")
    assert b.text("h1") == "Qingdao Bonded Logistics Warehouse"
    assert {r[0] for r in b.rows("receipts-issued")} == {f"#{h[k]}" for k in ("alu", "alu_b", "alu_c")}
    assert len(b.rows("lots")) == 1
    assert [r[2] for r in b.rows("membership")] == ["MemberAdmitted", "WarehouseAdmissionRecorded"]

    b = page(browser, registry_service, f"/explorer/participants/{addr('supplier2')}")
    assert [r[0] for r in b.rows("receipts-held")] == [f"#{h['steel']}"]
    assert [r[0] for r in b.rows("vouchers-held")] == [str(v["tier2"])]
    assert b.rows("vouchers-held")[0][5] == "pledged, overdue"

    b = page(browser, registry_service, f"/explorer/participants/{addr('core1')}")
    assert [r[0] for r in b.rows("vouchers-issued")] == [str(v["root"])]
    b = page(browser, registry_service, f"/explorer/participants/{addr('bank2')}")
    assert [r[0] for r in b.rows("discounted")] == [str(v["tier3"])]
    b = page(browser, registry_service, f"/explorer/participants/{addr('inspector1')}")
    assert len(b.rows("stocktakes")) == 3


def test_transaction_page_lists_its_events(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    stocktake = registry_service.api().lot(ALU_LOT).stocktakes[-1]
    b = page(browser, registry_service, f"/explorer/tx/{stocktake.tx_hash.upper().replace('0X', '0x')}")
    assert b.facts()["Block"] == str(stocktake.block)
    rows = b.rows("events")
    assert [(r[2], r[3]) for r in rows] == [
        ("WarehouseReceipts", "StockShortfall"),
        ("WarehouseReceipts", "StocktakeRecorded"),
    ]
    assert "lenders: Bank One Trade Finance" in rows[0][4] and "shortfall: 30.000 t" in rows[0][4]
    b.screenshot(shots / "tx.png")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_in(url: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [urljoin(url, href) for href in parser.hrefs]


def test_every_link_on_every_page_answers_200(registry_service: RunningRegistry, browser: Browser) -> None:
    """Walks the whole explorer from its index, fetching every link of every page; the first page of
    each kind is also opened in the browser, which must see the same links (SVG ones included)."""
    start = registry_service.url + "/explorer"
    origin = urlsplit(start).netloc
    seen = {start}
    queue = deque([start])
    outside: set[str] = set()
    kinds_in_browser: set[str] = set()
    while queue:
        url = queue.popleft()
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        assert response.headers["content-type"].startswith("text/html"), url
        hrefs = links_in(url, response.text)
        kind = [*urlsplit(url).path.split("/"), "", ""][2]
        if kind not in kinds_in_browser:
            kinds_in_browser.add(kind)
            assert browser.open(url) == 200, url
            assert browser.hrefs() == hrefs, url
        for href in hrefs:
            target = href.split("#")[0]
            parts = urlsplit(target)
            assert parts.netloc == origin, f"{url} links off this registry: {href}"
            if not parts.path.startswith("/explorer"):
                outside.add(target)
            elif target not in seen:
                seen.add(target)
                queue.append(target)
    assert kinds_in_browser == {"", "receipts", "vouchers", "lots", "participants", "tx", "prices"}
    h = registry_service.history
    assert len([u for u in seen if "/explorer/receipts/" in u]) == len(h.receipts)
    assert len([u for u in seen if "/explorer/vouchers/" in u]) == len(h.vouchers)
    assert len([u for u in seen if "/explorer/participants/" in u]) == 12
    assert len([u for u in seen if "/explorer/lots/" in u]) == 2
    assert len(seen) > 40
    for target in outside:  # the JSON API's docs
        assert requests.get(target, timeout=10).status_code == 200, target


def test_unknown_ids_are_404_pages_and_malformed_ones_422_pages_naming_the_field(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    b = page(browser, registry_service, "/explorer/receipts/999999", status=404)
    assert b.title().startswith("404")
    assert "receipt 999999 is not in the registry" in b.text("main")
    b.screenshot(shots / "not-found.png")
    for path, field in [
        ("/explorer/receipts/abc", "receipt_id"),
        ("/explorer/receipts/-1", "receipt_id"),
        ("/explorer/vouchers/1e6", "voucher_id"),
        ("/explorer/participants/0x1234", "account"),
        ("/explorer/tx/0x1234", "tx_hash"),
        ("/explorer/search?receipt=12;DROP", "receipt"),
        ("/explorer/search?address=0xnothex", "address"),
        ("/explorer/lots/%20", "lot"),
    ]:
        b = page(browser, registry_service, path, status=422)
        assert b.js(
            "Array.from(document.querySelectorAll('.invalid-fields code.field'), c => c.textContent)"
        ) == [field], path
    for path in [
        "/explorer/vouchers/5",
        "/explorer/vouchers/1000009",  # its root exists, the piece does not
        "/explorer/lots/NO-SUCH-LOT",
        f"/explorer/participants/{'0x' + '00' * 20}",
        f"/explorer/participants/{addr('admin')}",  # the registrar is not a member
        f"/explorer/tx/{'0x' + 'ab' * 32}",
        "/explorer/no/such/page",
    ]:
        response = requests.get(registry_service.url + path, timeout=10)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1" in response.text


def test_pages_escape_what_they_show_and_run_no_script(
    registry_service: RunningRegistry, browser: Browser
) -> None:
    reflected = requests.get(
        registry_service.url + "/explorer/search",
        params={"receipt": "<img src=x onerror=alert(1)>"},
        timeout=10,
    )
    assert reflected.status_code == 422
    assert "<img" not in reflected.text and "&lt;img src=x onerror=alert(1)&gt;" in reflected.text
    assert "script-src" not in reflected.headers["content-security-policy"]  # default-src 'none': no script
    assert reflected.headers["content-security-policy"].startswith("default-src 'none'")
    schema = requests.get(registry_service.url + "/openapi.json", timeout=10).json()
    assert not [p for p in schema["paths"] if p.startswith("/explorer")]


def test_a_member_named_with_markup_is_shown_as_text(
    registry_service: RunningRegistry, browser: Browser
) -> None:
    """Runs last in this module: it admits a member on chain (rolled back with the module's chain)."""
    from client import Ledgerhouse

    name = '<script>alert("x")</script> Bolts & "Nuts" <b>Co</b>'
    account = "0x000000000000000000000000000000000000bEEF"
    admin = Ledgerhouse.connect(
        registry_service.settings.rpc_url,
        account=dev_account("admin"),
        manifest_path=registry_service.settings.deployment,
    )
    admin.participants.admit(
        account, Role.SUPPLIER, name=name, valid_until=(datetime.now(UTC) + timedelta(days=365)).date()
    )
    registry_service.wait_indexed()
    b = page(browser, registry_service, f"/explorer/participants/{account}")
    assert b.text("h1") == name and b.facts()["Name"] == name
    assert b.js("document.scripts.length") == 0 and b.count("main b") == 0
    assert name in b.title()
    index = page(browser, registry_service, "/explorer")
    assert name in [r[0] for r in index.rows("participants")]
    assert index.js("document.scripts.length") == 0


def test_a_wider_split_tree_is_drawn_without_overlaps(
    registry_service: RunningRegistry, browser: Browser, shots: Path
) -> None:
    """Runs last in this module: it issues a second payable (rolled back with the module's chain) and
    splits it into a tree with siblings, a pledge and a discount; this page is the README's picture."""
    from client import Ledgerhouse

    def as_(name: str) -> Ledgerhouse:
        return Ledgerhouse.connect(
            registry_service.settings.rpc_url,
            account=dev_account(name),
            manifest_path=registry_service.settings.deployment,
        )

    maturity = (datetime.now(UTC) + timedelta(days=120)).date()
    _, root = as_("core1").receivables.issue(
        addr("supplier1"),
        amount="2000000.00",
        currency="CNY",
        maturity=maturity,
        document=commitment("INV-2026-0077 Core Auto to Tier-1 Steel Parts"),
    )
    s1, s2 = as_("supplier1").receivables, as_("supplier2").receivables
    _, a = s1.split(root, addr("supplier2"), "800000.00")
    _, b_ = s1.split(root, addr("supplier3"), "300000.00")
    _, c = s2.split(a, addr("supplier3"), "250000.00")
    _, d = s2.split(a, addr("supplier1"), "150000.00")
    as_("supplier3").receivables.offer_discount(b_, addr("bank2"), "290000.00")
    as_("bank2").receivables.accept_discount(b_, "PAY-DISC-0077", "290000.00")
    s2.request_pledge(a, addr("bank1"), amount="300000.00", maturity=maturity, loan_ref="LOAN-B1-0077")
    as_("bank1").receivables.accept_pledge(a)
    registry_service.wait_indexed()

    b = page(browser, registry_service, f"/explorer/vouchers/{a}")
    pieces = registry_service.api().voucher_tree(root).pieces
    assert [p.voucher_id for p in pieces] == [root, a, b_, c, d]
    assert b.count("svg#voucher-tree g.piece") == 5 and b.count("svg#voucher-tree path.edge") == 4
    boxes = b.js(
        "Object.fromEntries(Array.from(document.querySelectorAll('svg#voucher-tree g.piece'), g => {"
        " const r = g.getBoundingClientRect(); return [g.dataset.voucherId, [r.left, r.top, r.right, r.bottom]]; }))"
    )
    rects = {int(k): v for k, v in boxes.items()}
    for (_, one), (_, other) in itertools.combinations(rects.items(), 2):
        assert one[2] <= other[0] or other[2] <= one[0] or one[3] <= other[1] or other[3] <= one[1]
    centre = {k: (v[0] + v[2]) / 2 for k, v in rects.items()}
    assert abs(centre[a] - (centre[c] + centre[d]) / 2) < 1  # a parent sits over its children
    assert rects[root][3] < rects[a][1] and rects[a][3] < rects[c][1]  # tier rows, top down
    assert abs(rects[a][1] - rects[b_][1]) < 1  # siblings share their tier's row
    assert b.rows("pieces")[2][7].startswith("Bank Two Supply Chain Finance for 290000.00 CNY")
    assert b.facts()["Tree closes"].startswith("yes")
    shot = b.screenshot(shots / "voucher-tree.png", max_height=1_060)
    if os.environ.get("LEDGERHOUSE_UPDATE_SCREENSHOTS"):
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / "explorer-voucher.png")


# ---------------------------------------------------------------- no browser needed


def render_fact(fact: Fact) -> str:
    return templates().from_string('{% import "_macros.html" as m %}{{ m.fact(f) }}').render(f=fact)


def test_transaction_links_follow_the_configured_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    tx = "0x" + "ab" * 32
    assert Links(base="/explorer", names={}, tx_url=None).tx(tx).href == f"/explorer/tx/{tx}"
    monkeypatch.setenv("LEDGERHOUSE_REGISTRY_EXPLORER_TX_URL", "http://localhost:5100/tx/{hash}")
    settings = ExplorerSettings()
    otterscan = Links(base="/explorer", names={}, tx_url=settings.explorer_tx_url).tx(tx)
    assert otterscan.href == f"http://localhost:5100/tx/{tx}"
    html = render_fact(otterscan)
    assert f'href="http://localhost:5100/tx/{tx}"' in html and 'rel="external noopener noreferrer"' in html
    monkeypatch.setenv("LEDGERHOUSE_REGISTRY_EXPLORER_TX_URL", "http://localhost:5100/tx/")
    with pytest.raises(ValueError, match=r"\{hash\}"):
        ExplorerSettings()
    monkeypatch.setenv("LEDGERHOUSE_REGISTRY_EXPLORER_TX_URL", "javascript:alert(1)//{hash}")
    with pytest.raises(ValueError, match="http"):
        ExplorerSettings()


def test_facts_are_escaped_by_the_templates() -> None:
    fact = Fact('<a href="x">&', href='/x?"><script>', title="<t>")
    html = render_fact(fact)
    assert (
        html == '<a href="/x?&#34;&gt;&lt;script&gt;" title="&lt;t&gt;">&lt;a href=&#34;x&#34;&gt;&amp;</a>'
    )


def test_tree_layout_centres_parents_and_never_overlaps_boxes() -> None:
    # A root split three ways, its middle child split twice more, and one grandchild split again.
    pieces = [
        charts.TreeInput(100, None, 0),
        charts.TreeInput(101, 100, 1),
        charts.TreeInput(102, 100, 1),
        charts.TreeInput(103, 100, 1),
        charts.TreeInput(104, 102, 2),
        charts.TreeInput(105, 102, 2),
        charts.TreeInput(106, 105, 3),
    ]
    layout = charts.tree_layout(pieces)
    boxes = layout.boxes
    assert len(boxes) == 7 and len(layout.edges) == 6 and [t.tier for t in layout.tiers] == [0, 1, 2, 3]
    assert boxes[100].cx == (boxes[101].cx + boxes[103].cx) // 2
    assert boxes[102].cx == (boxes[104].cx + boxes[105].cx) // 2
    for a, b in itertools.combinations(boxes.values(), 2):
        apart = abs(a.x - b.x) >= charts.BOX_W or abs(a.y - b.y) >= charts.BOX_H
        assert apart, (a, b)
    assert all(b.x >= 0 and b.x + charts.BOX_W <= layout.width for b in boxes.values())
    assert all(b.bottom <= layout.height for b in boxes.values())


def test_step_chart_scales_integers_and_shades_shortfalls() -> None:
    chart = charts.step_chart([(300_000, 0), (300_000, 300_000), (280_000, 280_000), (250_000, 280_000)])
    assert len(chart.points) == 4
    assert [p.x for p in chart.points] == sorted({p.x for p in chart.points})
    assert chart.points[0].y_receipted == chart.bottom  # nothing receipted yet: on the axis
    assert chart.points[1].y_attested == chart.points[1].y_receipted
    assert chart.points[3].y_receipted < chart.points[3].y_attested  # more receipted than attested
    assert [(g.x, g.x + g.width) for g in chart.gaps] == [(chart.points[3].x, chart.right)]
    assert chart.ticks[0].value == 0 and chart.ticks[-1].value == 300_000
    assert chart.attested_path.startswith(f"M{chart.left},") and chart.attested_path.endswith(
        f"H{chart.right}"
    )
    assert charts.step_chart([]).points == []


def test_api_docs_load_offline_from_the_package(registry_service: RunningRegistry, browser: Browser) -> None:
    """/docs draws every operation and the Authorize button with nothing fetched from the internet:
    Swagger UI's assets come from the swagger-ui-bundle package (issue 16 item 14)."""
    assert browser.open(registry_service.url + "/docs") == 200
    deadline = time.monotonic() + 30
    while not browser.js("document.querySelectorAll('.opblock').length"):
        assert time.monotonic() < deadline, (
            "Swagger UI drew no operation within 30 s: "
            f"{browser.js('document.body.innerText')[:500]!r} "
            f"{[e['params'] for e in browser._events if e['method'] == 'Runtime.exceptionThrown'][:2]}"
        )
        time.sleep(0.2)
    spec = requests.get(registry_service.url + "/openapi.json", timeout=10).json()
    operations = sum(len(ops) for ops in spec["paths"].values())
    assert browser.js("document.querySelectorAll('.opblock').length") == operations
    assert browser.js("!!document.querySelector('.btn.authorize')"), "no Authorize button"
    fetched = [
        e["params"]["request"]["url"] for e in browser._events if e["method"] == "Network.requestWillBeSent"
    ]
    assert fetched and all(url.startswith(registry_service.url) for url in fetched), fetched


def test_every_operation_is_described_and_sign_in_is_declared(registry_service: RunningRegistry) -> None:
    spec = requests.get(registry_service.url + "/openapi.json", timeout=10).json()
    assert spec["components"]["securitySchemes"]["session"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The token from POST /auth/session (Sign-In with Ethereum, EIP-4361), valid 15 minutes.",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary") and operation.get("description"), f"{method.upper()} {path}"
    assert spec["paths"]["/exposure/{borrower}"]["get"]["security"] == [{"session": []}]

"""`ledgerhouse demo`: the Ledgerhouse story on a fresh chain, each step checked as it is told.

The frauds the registry exists to stop are attempted for real and must be refused by the chain with
the right error; the demo fails (exit 1) if any step does not behave as narrated, so it doubles as
an end-to-end smoke test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from client import Ledgerhouse
from client._contract_errors import (
    LotAlreadyReceipted,
    LotAtOtherWarehouse,
    LotIsFrozen,
    LotNotAttested,
    ReceiptPledged,
    VoucherNotMatured,
)
from client._encoding import file_commitment
from client.audit import audit_receipt
from client.chain import Signer, connect
from client.deployment import deploy
from client.devnet import (
    DEV_PARTICIPANTS,
    Anvil,
    DevChain,
    admit_dev_participants,
    dev_account,
    dev_labels,
)
from client.errors import LedgerhouseError
from client.seed import ALUMINIUM_LOT, address, attest, cast_of, finance_down_the_chain, pledge

__all__ = [
    "StepFailed",
    "Story",
    "run_demo",
]

LOT = ALUMINIUM_LOT
GHOST_LOT = "GHOST-STEEL-2012-SH"  # the Shanghai pattern: a receipt for goods nobody attested


class StepFailed(LedgerhouseError):
    """A demo step did not behave as the story says."""


@dataclass
class Story:
    console: Console
    lh: Callable[[str], Ledgerhouse]
    passed: list[str] = field(default_factory=list)

    def step(self, title: str, narrative: str) -> None:
        self.console.print()
        self.console.print(Panel(narrative, title=f"[bold]{len(self.passed) + 1}. {title}[/]", expand=False))
        self.passed.append(title)

    def ok(self, text: str) -> None:
        self.console.print(f"  [green]✓[/] {text}", highlight=False)

    def refused(self, attempt: Callable[[], object], error: type[Exception], what: str) -> None:
        """Runs `attempt`, which must be refused with `error`; shows the chain's message."""
        try:
            attempt()
        except error as exc:
            self.console.print(f"  [red]✗ refused[/] {what}", highlight=False)
            self.console.print(f"    {exc}", style="dim", highlight=False, markup=False)
            return
        except LedgerhouseError as exc:
            raise StepFailed(f"{what}: expected {error.__name__}, got {type(exc).__name__}: {exc}") from exc
        raise StepFailed(f"{what}: the chain accepted it")

    def expect(self, condition: bool, text: str) -> None:
        if not condition:
            raise StepFailed(text)
        self.ok(text)


def run_demo(console: Console, *, engine: str = "anvil", nodes: int = 4) -> int:
    """Runs the whole story on a chain of its own (anvil, or `nodes` geth Clique signers); returns the
    number of steps that behaved as told."""
    chain: DevChain
    if engine == "geth":
        from client.geth import GethNetwork

        chain = GethNetwork(nodes=nodes)
    else:
        chain = Anvil()
    chain.start()
    try:
        w3 = connect(",".join(chain.rpc_urls))
        manifest = deploy(Signer(w3, dev_account("admin"), dev_labels()))
        story = Story(console, cast_of(w3, manifest))
        # Only anvil can move its clock to a voucher's maturity; a real chain's cannot be moved.
        _tell(story, w3.provider.make_request if chain.engine == "anvil" else None)
        console.print()
        console.print(f"[bold green]All {len(story.passed)} steps behaved as told.[/]")
        return len(story.passed)
    finally:
        chain.stop()


def _tell(story: Story, rpc: Callable[..., object] | None) -> None:
    lh = story.lh
    today = datetime.now(UTC).date()

    story.step(
        "Admission", "The consortium admin admits each participant in one role, with KYC valid two years."
    )
    admit_dev_participants(lh("admin"))
    members = lh("auditor1").participants.members()
    table = Table("member", "role", "status")
    for m in members:
        table.add_row(m.name, m.role.label, m.status.label)
    story.console.print(table)
    story.expect(len(members) == len(DEV_PARTICIPANTS) - 1, f"{len(members)} members admitted, each active")

    story.step(
        "Stocktake", "An inspector's AI-vision stocktake attests 300.000 t of aluminium ingots at warehouse1."
    )
    report = b"SinoSurvey stocktake: 300.000 t aluminium ingots A00, bay 7"
    attest(lh, "warehouse1", LOT, commodity="AL-A00", quantity="300.000", evidence=file_commitment(report))
    story.expect(lh("bank1").receipts.lot(LOT).attested == 300, "the chain holds the attested 300.000 t")

    story.step("Minting", "warehouse1 issues one receipt for the whole lot to supplier1.")
    receipt = (
        lh("warehouse1")
        .receipts.mint(
            address("supplier1"),
            LOT,
            commodity="AL-A00",
            quantity="300.000",
            expires=today + timedelta(days=180),
        )
        .receipt_id
    )
    story.ok(f"receipt {receipt} minted: 300.000 t AL-A00, owner supplier1")

    story.step(
        "Due diligence and pledge", "bank1 checks the receipt in one call, then takes it as collateral."
    )
    check = lh("bank1").receipts.check(receipt)
    story.expect(
        check.safe_to_lend,
        f"bank1's check: genuine, unpledged, freshly attested ({check.findings or 'no findings'})",
    )
    pledge(
        lh,
        receipt,
        owner="supplier1",
        lender="bank1",
        amount="1500000.00",
        maturity=today + timedelta(days=90),
    )
    story.expect(lh("bank2").receipts.lien(receipt).lender == address("bank1"), "bank1 holds the only lien")

    story.step(
        "Qingdao 2014, attempt 1",
        "The same metal receipted twice: warehouse1 mints again, warehouse2 claims the lot.",
    )
    story.refused(
        lambda: lh("warehouse1").receipts.mint(
            address("supplier2"), LOT, commodity="AL-A00", quantity="300.000"
        ),
        LotAlreadyReceipted,
        "a second receipt on the same 300 t",
    )
    story.refused(
        lambda: lh("warehouse2").receipts.mint(
            address("supplier2"), LOT, commodity="AL-A00", quantity="300", decimals=3
        ),
        LotAtOtherWarehouse,
        "another warehouse receipting the same lot",
    )

    story.step("Qingdao 2014, attempt 2", "The same receipt pledged to a second bank.")
    story.refused(
        lambda: lh("supplier1").receipts.request_pledge(
            receipt, address("bank2"), amount="900000.00", currency="CNY", maturity=today + timedelta(days=90)
        ),
        ReceiptPledged,
        "a second pledge of receipt " + str(receipt),
    )

    story.step("Shanghai 2012", "A warehouse issues a receipt for steel no inspector ever attested.")
    story.refused(
        lambda: lh("warehouse2").receipts.mint(
            address("supplier2"), GHOST_LOT, commodity="HRC-Q235", quantity=100, decimals=0
        ),
        LotNotAttested,
        "a receipt for unattested goods",
    )

    story.step(
        "Stocktake shortfall", "The next stocktake finds 250 t: the lot freezes and the lender is named."
    )
    tx = attest(lh, "warehouse1", LOT, commodity="AL-A00", quantity="250.000")
    shortfall = lh("auditor1").receipts.events_in(tx, "StockShortfall")
    story.expect(
        bool(shortfall) and address("bank1") in shortfall[0]["args"]["lenders"],
        "StockShortfall names bank1 as the exposed lender",
    )
    lh("bank1").receipts.release_pledge(receipt)
    story.ok("bank1 releases its lien after the borrower repays")
    story.refused(
        lambda: lh("supplier1").receipts.transfer(receipt, address("supplier2")),
        LotIsFrozen,
        "selling on a receipt of the frozen lot",
    )

    story.step(
        "Receivables down the chain",
        "core1's payable is split to tier 3, one piece discounted, then settled.",
    )
    root = finance_down_the_chain(
        lh,
        limit="5000000.00",
        face="1000000.00",
        maturity=today + timedelta(days=30),
        document=file_commitment(b"invoice INV-2026-0042"),
        to_tier1="400000.00",
        to_tier2="150000.00",
        discount_price="148000.00",
        discount_ref="DISC-0001",
    ).root
    tree = lh("auditor1").receivables.tree(root)
    story.expect([p.tier for p in tree] == [0, 1, 2], "the credit reached tier 3 (tiers 0, 1, 2)")
    story.expect(sum(p.value for p in tree) == 1_000_000, "the pieces still sum to the face value")
    if rpc is None:  # a real chain: maturity is 30 days away, and nobody may pay before it
        story.refused(
            lambda: lh("core1").receivables.settle(tree[0].voucher_id, "PAY-EARLY"),
            VoucherNotMatured,
            f"settling before maturity (on {today + timedelta(days=30)} core1 pays every holder)",
        )
    else:  # anvil: move its clock to maturity
        rpc("evm_increaseTime", [31 * 86_400])
        rpc("evm_mine", [])
        for piece in tree:
            lh("core1").receivables.settle(piece.voucher_id, f"PAY-{piece.voucher_id}")
        settled = lh("auditor1").receivables.root(root)
        story.expect(
            settled.outstanding == 0,
            "at maturity core1 paid every holder; bank2 was paid for the discounted piece",
        )

    story.step("The auditor's view", "From the chain alone (no registry), the receipt's whole life.")
    audit = audit_receipt(lh("auditor1"), receipt)
    table = Table("block", "event", "by", "detail")
    names_of = dev_labels()
    for entry in audit.history:
        table.add_row(
            str(entry.block), entry.event, names_of.get(entry.by or "", entry.by or ""), entry.detail
        )
    story.console.print(table)
    names = [e.event for e in audit.history]
    story.expect(
        {"ReceiptMinted", "PledgeAccepted", "StockShortfall"} <= set(names),
        "mint, pledge and shortfall are all on the record",
    )

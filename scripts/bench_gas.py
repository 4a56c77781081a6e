"""Gas benchmark: full-transaction gasUsed of every Ledgerhouse operation on a fresh anvil, next to a
bare OpenZeppelin ERC-721 deployed and exercised in the same run (the baseline).

    .venv/bin/python scripts/bench_gas.py [--json FILE]

Figures are receipt `gasUsed` (21,000 base + calldata + execution), as a member pays them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import solcx
from rich.console import Console
from rich.table import Table
from web3 import Web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client import Ledgerhouse  # noqa: E402
from client.chain import Signer, TxResult, connect  # noqa: E402
from client.deployment import deploy  # noqa: E402
from client.devnet import Anvil, admit_dev_participants, dev_account, dev_labels  # noqa: E402
from scripts.compile import SOLC, _settings  # noqa: E402

# Targets from the receipts issue (full-transaction gas).
TARGETS = {
    "receipt mint (new holder, all checks)": 100_000,
    "receipt transfer (existing holder)": 62_000,
    "receipt transfer (new holder)": 62_000,
    "pledge request (first on receipt)": 60_000,
    "pledge request + accept (first)": 90_000,
    "pledge release": 38_000,
    "voucher split": 70_000,
    "voucher settle, root of 1 piece": 45_000,
    "voucher settle, root of 100 pieces": 45_000,
    "voucher settle, root of 5,000 pieces": 45_000,
    "voucher redeem, funded root of 100 pieces": 45_000,
    "voucher redeem, funded root of 5,000 pieces": 45_000,
}


def bare_erc721(w3: Web3, signer: Signer) -> tuple[Any, Signer]:
    source = (ROOT / "scripts" / "benchmarks" / "BareERC721.sol").read_text()
    settings = _settings()
    settings["outputSelection"] = {"*": {"BareERC721": ["abi", "evm.bytecode.object"]}}
    # OpenZeppelin 5's ERC-721 (through utils/Bytes.sol) uses MCOPY, which needs cancun; Ledgerhouse
    # itself ships for paris. The baseline is a reference point run on anvil, so it keeps cancun.
    settings["evmVersion"] = "cancun"
    out = solcx.compile_standard(
        {"language": "Solidity", "sources": {"BareERC721.sol": {"content": source}}, "settings": settings},
        solc_binary=SOLC,
        base_path=str(ROOT),
        allow_paths=[str(ROOT)],
    )
    artifact = out["contracts"]["BareERC721.sol"]["BareERC721"]
    result = signer.wait(signer.submit_deployment("0x" + artifact["evm"]["bytecode"]["object"]))
    return w3.eth.contract(address=result.receipt["contractAddress"], abi=artifact["abi"]), signer


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def record(label: str, result: TxResult | int, baseline: int | None = None) -> int:
        gas = result if isinstance(result, int) else result.gas_used
        target = TARGETS.get(label)
        rows.append({"operation": label, "gas": gas, "target": target, "baseline": baseline})
        return gas

    with Anvil() as node:
        w3 = connect(node.rpc_url)
        manifest = deploy(Signer(w3, dev_account("admin")))
        admit_dev_participants(Ledgerhouse(w3, manifest, account=dev_account("admin"), labels=dev_labels()))

        def as_(name: str) -> Ledgerhouse:
            return Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())

        def addr(name: str) -> str:
            return dev_account(name).address

        # Baseline: OpenZeppelin ERC-721, no checks at all.
        oz, signer = bare_erc721(w3, Signer(w3, dev_account("supplier1")))
        oz_mint = signer.transact(oz.functions.mint(addr("supplier1"), 1)).gas_used
        signer.transact(oz.functions.mint(addr("supplier1"), 2))
        signer.transact(oz.functions.mint(addr("supplier1"), 3))
        oz_transfer_new = signer.transact(
            oz.functions.transferFrom(addr("supplier1"), addr("supplier2"), 1)
        ).gas_used
        oz_transfer_existing = signer.transact(
            oz.functions.transferFrom(addr("supplier1"), addr("supplier2"), 2)
        ).gas_used
        record("OZ ERC-721 mint (new holder) (baseline)", oz_mint)
        record("OZ ERC-721 transfer (new holder) (baseline)", oz_transfer_new)
        record("OZ ERC-721 transfer (existing holder) (baseline)", oz_transfer_existing)

        inspector, warehouse = as_("inspector1").receipts, as_("warehouse1").receipts
        owner, bank = as_("supplier1").receipts, as_("bank1").receipts
        lots = [f"BENCH-LOT-{i}" for i in range(6)]
        stocktakes = [
            inspector.stocktake(addr("warehouse1"), lot, commodity="AL-A00", quantity="1000", unit="t")
            for lot in lots
        ]
        record("stocktake (new lot)", stocktakes[1])
        record(
            "stocktake (existing lot)",
            inspector.stocktake(addr("warehouse1"), lots[0], commodity="AL-A00", quantity="1000", unit="t"),
        )

        def mint(lot: str, to: str) -> tuple[int, TxResult]:
            result = warehouse.mint(addr(to), lot, commodity="AL-A00", quantity="500")
            return result.receipt_id, result.tx

        batch_lots = [f"BENCH-BATCH-{i}" for i in range(10)]
        for lot in batch_lots:
            inspector.stocktake(addr("warehouse1"), lot, commodity="AL-A00", quantity="1000", unit="t")
        from client.chain import calldata

        bundle = [
            bytes.fromhex(
                calldata(warehouse.mint_call(addr("auditor1"), lot, commodity="AL-A00", quantity="5"))[2:]
            )
            for lot in batch_lots
        ]
        batch = warehouse.signer.transact(warehouse.contract.functions.multicall(bundle))
        record("receipt mint in a batch of 10 (per receipt)", batch.gas_used // 10)

        first, tx = mint(lots[0], "supplier1")
        record("receipt mint (new holder, all checks)", tx, oz_mint)
        second, tx = mint(lots[1], "supplier1")
        record("receipt mint (existing holder)", tx)
        third, _ = mint(lots[2], "supplier1")
        fourth, _ = mint(lots[3], "supplier1")
        record("receipt transfer (new holder)", owner.transfer(first, addr("supplier3")), oz_transfer_new)
        record(
            "receipt transfer (existing holder)",
            owner.transfer(second, addr("supplier3")),
            oz_transfer_existing,
        )

        maturity = (datetime.now(UTC) + timedelta(days=90)).date()
        request, seq = owner.request_pledge(
            third, addr("bank1"), amount="100000", currency="CNY", maturity=maturity
        )
        accept = bank.accept_pledge(third, seq)
        record("pledge request (first on receipt)", request)
        record("pledge accept", accept)
        record("pledge request + accept (first)", request.gas_used + accept.gas_used)
        record("pledge release", bank.release_pledge(third))
        again, seq = owner.request_pledge(
            third, addr("bank1"), amount="100000", currency="CNY", maturity=maturity
        )
        record("pledge request (repeat on receipt)", again)
        record("pledge request + accept (repeat)", again.gas_used + bank.accept_pledge(third, seq).gas_used)

        split, parts = owner.split(fourth, ["300", "200"])
        record("receipt split (2 parts)", split)
        record("delivery request", owner.request_delivery(parts[1], "200"))
        record("delivery confirm (whole receipt, burn)", warehouse.confirm_delivery(parts[1]))
        owner.request_delivery(parts[0], "100")
        record("delivery confirm (partial)", warehouse.confirm_delivery(parts[0]))
        run_receivables(as_, addr, record, w3)
    return rows


def run_receivables(
    as_: Callable[[str], Ledgerhouse], addr: Callable[[str], str], record: Callable[..., int], w3: Web3
) -> None:
    from client._encoding import commitment

    maturity = (datetime.now(UTC) + timedelta(days=180)).date()
    lender, core = as_("bank1").receivables, as_("core1").receivables
    record(
        "credit line",
        lender.set_credit_line(
            addr("core1"), limit="100000000", currency="CNY", expires=maturity + timedelta(days=30)
        ),
    )
    roots = {}
    for n in (1, 100, 5000):
        tx, roots[n] = core.issue(
            addr("supplier1"),
            amount="100000.00",
            currency="CNY",
            maturity=maturity,
            document=commitment(f"INV-{n}"),
        )
        record(f"voucher issue{' (first root)' if n == 1 else ''}", tx)
    holder = as_("supplier1").receivables
    split_tx, child = holder.split(roots[1], addr("supplier2"), "400.00")
    record("voucher split", split_tx)
    record("voucher transfer (whole piece)", as_("supplier2").receivables.transfer(child, addr("supplier3")))
    offer = as_("supplier3").receivables.offer_discount(child, addr("bank2"), "390.00")
    accept = as_("bank2").receivables.accept_discount(child, payment_ref="PAY-1")
    record("voucher discount offer", offer)
    record("voucher discount accept", accept)
    pieces: dict[int, list[int]] = {1: [roots[1]]}
    split = holder.contract.functions.split
    for n in (100, 5000):
        calls = [split(roots[n], addr("supplier2"), 1000) for _ in range(n - 1)]
        pieces[n] = []
        for start in range(0, len(calls), 500):
            for result in holder.signer.wait_many(
                holder.signer.submit_many(calls[start : start + 500], gas=120_000)
            ):
                pieces[n].append(int(holder.events_in(result, "VoucherSplit")[0]["args"]["childId"]))
    w3.provider.make_request("evm_increaseTime", [181 * 86_400])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    for n in (1, 100, 5000):
        plural = "s" if n > 1 else ""
        record(f"voucher settle, root of {n:,} piece{plural}", core.settle(pieces[n][-1], f"PAY-{n}"))
    for n in (100, 5000):  # the root-at-once path: fund once, then each piece is redeemed
        record(f"root funded once ({n:,} pieces)", core.fund_root(roots[n], f"FUND-{n}"))
        record(f"voucher redeem, funded root of {n:,} pieces", holder.redeem(pieces[n][0]))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rows = run()
    table = Table(title="Ledgerhouse gas, full transaction (anvil, same run as the OZ baseline)")
    for column in ("operation", "gasUsed", "target", "vs OZ baseline"):
        table.add_column(column, justify="right" if column != "operation" else "left")
    for row in rows:
        target = row["target"]
        verdict = "" if target is None else (f"≤ {target:,} ✓" if row["gas"] <= target else f"≤ {target:,} ✗")
        baseline = f"{row['gas'] - row['baseline']:+,}" if row["baseline"] else ""
        table.add_row(row["operation"], f"{row['gas']:,}", verdict, baseline)
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

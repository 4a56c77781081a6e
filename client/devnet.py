"""A local permissioned chain for development: anvil, the contracts, and named dev participants.

Dev keys come from anvil's well-known test mnemonic: they are public, never use them on a real chain.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Protocol, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount

from client._types import Role
from client.errors import ChainUnavailable, ConfigurationError

__all__ = [
    "DEVNET_CHAIN_ID",
    "DEV_PARTICIPANTS",
    "Anvil",
    "DevChain",
    "DevParticipant",
    "admit_dev_participants",
    "dev_account",
    "dev_labels",
    "find_anvil",
    "free_port",
]

log = logging.getLogger(__name__)

DEVNET_CHAIN_ID = 31337
DEVNET_GAS_LIMIT = 100_000_000  # per block: room for bulk mints (a 10-receipt multicall reserves 1.5M)
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_KYC_VALIDITY = timedelta(days=2 * 365)


@dataclass(frozen=True)
class DevParticipant:
    name: str
    index: int  # HD index under anvil's mnemonic
    role: Role | None  # None: the consortium admin, who is registrar rather than member
    display_name: str
    entity_id: str = ""


DEV_PARTICIPANTS: tuple[DevParticipant, ...] = (
    DevParticipant("admin", 0, None, "Ledgerhouse Consortium Admin"),
    DevParticipant(
        "warehouse1", 1, Role.WAREHOUSE, "Qingdao Bonded Logistics Warehouse", "913702001234567891"
    ),
    DevParticipant("warehouse2", 2, Role.WAREHOUSE, "Shanghai Baoshan Steel Storage", "913101131234567892"),
    DevParticipant(
        "inspector1", 3, Role.INSPECTOR, "SinoSurvey Inspection (IoT stocktake)", "911100001234567893"
    ),
    DevParticipant("bank1", 4, Role.LENDER, "Bank One Trade Finance", "911100001234567894"),
    DevParticipant("bank2", 5, Role.LENDER, "Bank Two Supply Chain Finance", "911100001234567895"),
    DevParticipant("core1", 6, Role.CORE_ENTERPRISE, "Core Auto Manufacturing Group", "914403001234567896"),
    DevParticipant("supplier1", 7, Role.SUPPLIER, "Tier-1 Steel Parts Co", "913205001234567897"),
    DevParticipant("supplier2", 8, Role.SUPPLIER, "Tier-2 Fasteners Co", "913205001234567898"),
    DevParticipant("supplier3", 9, Role.SUPPLIER, "Tier-3 Wire Rod Co", "913205001234567899"),
    DevParticipant("auditor1", 10, Role.AUDITOR, "Consortium Audit Office", "911100001234567800"),
    DevParticipant("regulator1", 11, Role.REGULATOR, "Local Financial Regulator", "111100001234567801"),
    DevParticipant(
        "publisher1", 12, Role.PRICE_PUBLISHER, "Consortium Valuation Agent (prices)", "911100001234567802"
    ),
)
DEV_ACCOUNT_COUNT = len(DEV_PARTICIPANTS)

# Dev warehouses meet the seed's admission standards with room to spare.
DEV_WAREHOUSE_ADMISSION = {"years_in_operation": 12, "rated_capacity_tonnes": 500_000}

Account.enable_unaudited_hdwallet_features()


@functools.cache  # deriving from the mnemonic costs ~2 ms (PBKDF2): bulk scripts ask thousands of times
def dev_account(name: str) -> LocalAccount:
    for participant in DEV_PARTICIPANTS:
        if participant.name == name:
            path = f"m/44'/60'/0'/0/{participant.index}"
            return cast(LocalAccount, Account.from_mnemonic(DEV_MNEMONIC, account_path=path))
    names = ", ".join(p.name for p in DEV_PARTICIPANTS)
    raise ConfigurationError(f"no dev participant named {name!r}; known: {names}")


def dev_labels() -> dict[str, str]:
    """Lower-case address -> dev participant name, for readable errors and listings."""
    return {dev_account(p.name).address.lower(): p.name for p in DEV_PARTICIPANTS}


def find_anvil() -> Path:
    """The anvil binary from the pinned npm platform package (not its node shim, so killing it kills it)."""
    if os.environ.get("LEDGERHOUSE_ANVIL"):
        return Path(os.environ["LEDGERHOUSE_ANVIL"])
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower()
    )
    package = f"anvil-{platform.system().lower()}-{arch}"
    for root in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = root / "node_modules" / "@foundry-rs" / package / "bin" / "anvil"
        if candidate.is_file():
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ConfigurationError(
        f"anvil not found: run `npm ci` in the project (it pins @foundry-rs/{package}) "
        "or set LEDGERHOUSE_ANVIL"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in the child before exec: Linux sends anvil SIGTERM if its parent dies, so none is orphaned."""
    with_libc = ctypes.CDLL("libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    with_libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class DevChain(Protocol):
    """What `ledgerhouse devnet up` and the tests need of a local chain, whatever runs it: one anvil
    process (the default), or a network of geth Clique signers (client.geth.GethNetwork)."""

    engine: str
    # What a reader of this chain should allow for: how many of the newest blocks may still be
    # abandoned (the registry indexes that far behind the head), and after how many seconds without a
    # block the chain has halted (0: it mines only when sent something, so silence means nothing).
    confirmations: int
    stall_after_s: float

    @property
    def rpc_url(self) -> str:
        """The JSON-RPC endpoint to use by default (the first node's)."""
        ...

    @property
    def rpc_urls(self) -> list[str]:
        """Every node's JSON-RPC endpoint."""
        ...

    def start(self, *, timeout: float = ...) -> DevChain:
        """Starts the chain; returns once it answers JSON-RPC and seals blocks."""
        ...

    def wait(self) -> int:
        """Blocks until the chain has stopped (anvil: its process exited; a network: every node);
        returns the exit code."""
        ...

    def stop(self) -> None:
        """Stops every process of the chain, gracefully first."""
        ...


class Anvil:
    """One anvil process. Ready when it answers JSON-RPC; stopped gracefully (state dumped), then killed."""

    engine = "anvil"
    confirmations = 0  # one node: a block, once mined, stays
    stall_after_s = 0.0

    def __init__(
        self,
        *,
        port: int | None = None,
        state: Path | None = None,
        block_time: float | None = None,
        chain_id: int = DEVNET_CHAIN_ID,
        accounts: int = DEV_ACCOUNT_COUNT,
        log_file: Path | None = None,
        host: str = "127.0.0.1",
        gas_limit: int = DEVNET_GAS_LIMIT,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.host = host
        self.state = state
        self.block_time = block_time
        self.chain_id = chain_id
        self.accounts = accounts
        self.log_file = log_file
        self.gas_limit = gas_limit
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def rpc_urls(self) -> list[str]:
        return [self.rpc_url]

    def wait(self) -> int:
        assert self.process is not None, "anvil was not started"
        return self.process.wait()

    def command(self) -> list[str]:
        cmd = [
            str(find_anvil()),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--mnemonic",
            DEV_MNEMONIC,
            "--gas-limit",
            str(self.gas_limit),
        ]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        if self.state is not None:
            # Dump periodically too, so that a crash loses seconds, not the session.
            cmd += ["--state", str(self.state), "--state-interval", "5"]
        return cmd + list(self.extra_args)

    def start(self, *, timeout: float = 20.0) -> Anvil:
        if _port_in_use(self.host, self.port):
            raise ChainUnavailable(f"port {self.port} is already in use; pick another with --port")
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=subprocess.STDOUT,
            # Own session: a Ctrl-C in the terminal reaches only us, and we stop anvil once, cleanly.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self._wait_ready(timeout)
        log.info("anvil ready", extra={"rpc_url": self.rpc_url, "pid": self.process.pid})
        return self

    def _wait_ready(self, timeout: float) -> None:
        import json
        import urllib.request

        deadline = time.monotonic() + timeout
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
        delay = 0.02
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ChainUnavailable(f"anvil exited with code {self.process.returncode} while starting")
            try:
                request = urllib.request.Request(  # noqa: S310 -- our own loopback node
                    self.rpc_url, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                    if json.loads(response.read()).get("result"):
                        return
            except OSError:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        self.stop()
        raise ChainUnavailable(f"anvil did not answer on {self.rpc_url} within {timeout:.0f} s")

    def stop(self, *, grace: float = 10.0) -> None:
        """SIGINT first (anvil dumps --state on it), SIGKILL if it does not exit within `grace`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0


def admit_dev_participants(lh: object, *, progress: Callable[[str], None] | None = None) -> None:
    """Admits every dev participant that is not yet a member, pipelined from the admin key."""
    from client import Ledgerhouse  # the facade; imported here to avoid an import cycle

    assert isinstance(lh, Ledgerhouse)
    participants = lh.participants
    signer = lh.signer
    if signer is None:
        raise ConfigurationError("admitting dev participants needs the admin's key")
    valid_until = (datetime.now(UTC) + DEV_KYC_VALIDITY).date()
    pending = []
    for p in DEV_PARTICIPANTS:
        if p.role is None:
            continue
        address = dev_account(p.name).address
        if participants.member(address) is not None:
            continue
        if p.role is Role.WAREHOUSE:
            call = participants.admit_warehouse_call(
                address,
                name=p.display_name,
                valid_until=valid_until,
                licence=f"WH-LICENCE-{p.name.upper()}",
                entity_id=p.entity_id,
                **DEV_WAREHOUSE_ADMISSION,
            )
        else:
            call = participants.admit_call(
                address, p.role, name=p.display_name, valid_until=valid_until, entity_id=p.entity_id
            )
        pending.append((p, signer.submit(call)))
    for p, tx in pending:
        signer.wait(tx)
        if progress:
            progress(f"admitted {p.name} as {p.role.label if p.role else 'admin'}")

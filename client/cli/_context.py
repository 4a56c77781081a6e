"""What every `ledgerhouse` command shares: global options, key resolution and output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from client.errors import ConfigurationError, MissingKey

if TYPE_CHECKING:  # web3 and eth_account load when a command needs the chain, not for --help
    from eth_account.signers.local import LocalAccount

    from client import Ledgerhouse
    from client.chain import TxResult

KEY_ENV = "LEDGERHOUSE_PRIVATE_KEY"
KEYSTORE_PASSWORD_ENV = "LEDGERHOUSE_KEYSTORE_PASSWORD"  # noqa: S105 -- a variable name, not a secret

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


@dataclass
class CliContext:
    rpc: str
    deployment: Path | None
    keystore: Path | None
    as_name: str | None
    json_output: bool
    _lh: Ledgerhouse | None = field(default=None, repr=False)

    def account(self, *, required: bool) -> LocalAccount | None:
        """The signing key: --as NAME (devnet), else --keystore FILE, else LEDGERHOUSE_PRIVATE_KEY."""
        from client.chain import account_from_key
        from client.devnet import dev_account

        if self.as_name:
            return dev_account(self.as_name)
        if self.keystore:
            return _decrypt_keystore(self.keystore)
        if os.environ.get(KEY_ENV):
            return account_from_key(os.environ[KEY_ENV])
        if required:
            raise MissingKey()
        return None

    def ledgerhouse(self, *, signer: bool) -> Ledgerhouse:
        """Connects once per command; `signer=True` demands a key."""
        from client import Ledgerhouse
        from client.chain import connect
        from client.deployment import find_manifest
        from client.devnet import DEVNET_CHAIN_ID, dev_labels

        if self._lh is None:
            w3 = connect(self.rpc)
            chain_id = w3.eth.chain_id
            if self.as_name and chain_id != DEVNET_CHAIN_ID:
                raise ConfigurationError(
                    f"--as is for the devnet (chain {DEVNET_CHAIN_ID}) only; {self.rpc} is chain {chain_id}"
                )
            account = self.account(required=signer)
            labels = dev_labels() if chain_id == DEVNET_CHAIN_ID else {}
            self._lh = Ledgerhouse(
                w3, find_manifest(chain_id, self.deployment), account=account, labels=labels
            )
        elif signer and self._lh.signer is None:
            raise MissingKey()
        return self._lh

    def emit(self, data: dict[str, Any], human: str) -> None:
        """One JSON object on stdout with --json, else the human line."""
        if self.json_output:
            print(json.dumps(data, default=str))
        else:
            stdout.print(human, highlight=False)

    def sent(self, tx: TxResult, human: str, **data: Any) -> None:
        """Reports a transaction the command sent: `data` and its `tx_hash` as one JSON object with
        --json, else the human line followed by `— tx 0x…` (what every state-changing command prints)."""
        self.emit({**data, "tx_hash": tx.tx_hash}, f"{human} — tx {tx.tx_hash}")


def _decrypt_keystore(path: Path) -> LocalAccount:
    from eth_account import Account

    from client.chain import account_from_key

    try:
        keystore = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(f"keystore {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigurationError(f"keystore {path} is not a JSON keystore file") from None
    password = os.environ.get(KEYSTORE_PASSWORD_ENV)
    if password is None:
        password = typer.prompt(f"Password for {path}", hide_input=True)
    try:
        key = Account.decrypt(keystore, password)
    except ValueError as exc:
        raise ConfigurationError(f"cannot decrypt keystore {path}: {exc}") from None
    return account_from_key("0x" + bytes(key).hex())


def cli(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj

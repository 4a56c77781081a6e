"""Connection, signing and transaction submission.

`Signer.transact` is the one path every state change takes: it simulates the call first (so a
refusal surfaces as a typed `ContractRevert` and consumes no nonce), takes a nonce from the
per-key allocator, signs once, submits, and waits for the receipt. Resubmitting a signed
transaction re-sends the same bytes, so a retry can never create a second transaction.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.address import is_hex_address, to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint, RPCResponse, TxParams, TxReceipt

from client import errors
from client._signing import FastSigner
from client.reader import RETRY_DELAYS_S, ChainReader, calldata, cause_of, decode_revert

__all__ = [
    "GAS_MARGIN",
    "RECEIPT_TIMEOUT_S",
    "RETRY_DELAYS_S",
    "STALL_AFTER_S",
    "NonceAllocator",
    "PendingTx",
    "Signer",
    "TxResult",
    "account_from_key",
    "calldata",
    "checksum",
    "connect",
    "decode_revert",
    "rpc_endpoints",
]

_log = logging.getLogger(__name__)
GAS_MARGIN = 1.25
RECEIPT_TIMEOUT_S = 120.0
# A wait for a receipt gives up with ChainStalled ("no new block for N s") once the node's head has
# not moved for this long: a consortium chain seals every second or two, so a minute of nothing means
# it has halted (too few validators up), and saying so beats waiting out RECEIPT_TIMEOUT_S in silence.
STALL_AFTER_S = float(os.environ.get("LEDGERHOUSE_STALL_S", "60"))
# Receipts asked for in one JSON-RPC batch by wait_many (geth refuses batches over 1,000 calls).
RECEIPT_BATCH = 500


class _StallWatch:
    """Tracks the node's head while a caller waits; `check` raises ChainStalled when it has not moved
    for `after` seconds. Reads eth_blockNumber at most twice a second."""

    def __init__(self, w3: Web3, after: float) -> None:
        self.w3, self.after = w3, after
        self.head: int | None = None
        self.moved = self.read_at = time.monotonic()

    def check(self, waiting_for: str) -> None:
        now = time.monotonic()
        if now - self.read_at < 0.5:
            return
        self.read_at = now
        try:
            head = int(self.w3.eth.block_number)
        except (OSError, Web3Exception):
            return  # the node is away: the caller's own retries report that
        if head != self.head:
            self.head, self.moved = head, now
        elif now - self.moved >= self.after:
            raise errors.ChainStalled(
                f"no new block for {now - self.moved:.0f} s from the JSON-RPC node at "
                f"{getattr(self.w3.provider, 'endpoint_uri', '?')} (head #{head}): the chain has stopped "
                f"sealing (a proof-of-authority chain halts while half or more of its validators are "
                f"down); {waiting_for} was sent and lands once blocks resume"
            )


class _NodeProvider(HTTPProvider):
    """web3's HTTP provider over one or more JSON-RPC endpoints of the same chain (several nodes of a
    consortium). A transport failure, once web3's own retries are spent, moves to the next endpoint
    and sends the same request there; when none answers, ChainUnavailable names them and the method,
    so every read in the SDK fails the same documented way instead of with a `requests` exception.

    Failing over is safe for every request the SDK sends: reads, and raw transactions whose signed
    bytes a node dedupes by hash, so a transaction re-sent to a second node is the same transaction."""

    def __init__(self, endpoints: Sequence[str], **kwargs: Any) -> None:
        super().__init__(endpoints[0], **kwargs)
        self.endpoints = list(endpoints)
        self.failovers = 0

    def _fail_over(self, failed: str, exc: requests.RequestException, what: str) -> None:
        if len(self.endpoints) == 1:
            raise errors.ChainUnavailable(
                f"the JSON-RPC node at {failed} did not answer {what}: {cause_of(exc)}"
            ) from exc
        with _FAILOVER_LOCK:
            if str(self.endpoint_uri) == failed:  # another thread may have moved on already
                nxt = self.endpoints[(self.endpoints.index(failed) + 1) % len(self.endpoints)]
                self.endpoint_uri = nxt  # type: ignore[assignment]
                self.failovers += 1
                _log.warning("JSON-RPC node %s did not answer %s; failing over to %s", failed, what, nxt)

    def _each_endpoint(self, what: str, send: Any) -> Any:
        tried: list[str] = []
        while True:
            current = str(self.endpoint_uri)
            try:
                return send()
            except requests.RequestException as exc:
                tried.append(current)
                if len(set(tried)) >= len(self.endpoints):
                    names = ", ".join(self.endpoints)
                    raise errors.ChainUnavailable(
                        f"no JSON-RPC node answered {what} (tried {names}): {cause_of(exc)}"
                        if len(self.endpoints) > 1
                        else f"the JSON-RPC node at {current} did not answer {what}: {cause_of(exc)}"
                    ) from exc
                self._fail_over(current, exc, what)

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        return cast(
            RPCResponse,
            self._each_endpoint(method, lambda: super(_NodeProvider, self).make_request(method, params)),
        )

    def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        methods = sorted({str(method) for method, _ in batch_requests})
        what = f"a batch of {len(batch_requests)} ({', '.join(methods)})"
        send = super().make_batch_request
        return cast(list[RPCResponse] | RPCResponse, self._each_endpoint(what, lambda: send(batch_requests)))


_FAILOVER_LOCK = threading.Lock()


def rpc_endpoints(rpc_url: str) -> list[str]:
    """The endpoints of `--rpc` / LEDGERHOUSE_RPC: one URL, or several separated by commas."""
    endpoints = [part.strip() for part in rpc_url.split(",") if part.strip()]
    if not endpoints:
        raise errors.ConfigurationError(f"no JSON-RPC endpoint in {rpc_url!r}")
    return endpoints


def connect(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A Web3 for `rpc_url` that understands PoA (Besu QBFT, Clique) blocks; raises ChainUnavailable.

    `rpc_url` may list several nodes of one chain, separated by commas ("http://a:8545,http://b:8545"):
    requests go to the first that answers and move to the next when it stops answering."""
    endpoints = rpc_endpoints(rpc_url)
    # web3 retries idempotent methods (reads, and re-sends of signed bytes) on HTTP errors and
    # timeouts; a dropped connection raises requests' ConnectionError, which is not the builtin one.
    # With other nodes to turn to, one retry is enough before failing over.
    retry = ExceptionRetryConfiguration(
        errors=(ConnectionError, requests.ConnectionError, requests.HTTPError, requests.Timeout),
        retries=5 if len(endpoints) == 1 else 1,
        backoff_factor=0.125,
    )
    provider = _NodeProvider(
        endpoints,
        request_kwargs={"timeout": timeout if len(endpoints) == 1 else min(timeout, 5.0)},
        exception_retry_configuration=retry,
    )
    w3 = Web3(provider)
    # QBFT and Clique put validator data in extraData (> 32 bytes); this middleware makes such blocks parse.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    try:
        w3.eth.chain_id  # noqa: B018 -- the cheapest call that proves the endpoint answers
    except Exception as exc:
        raise errors.ChainUnavailable(f"cannot reach a JSON-RPC node at {rpc_url}: {cause_of(exc)}") from exc
    return w3


def checksum(address: str, *, what: str = "address") -> str:
    """`address` in checksum form; InvalidInput naming the value when it is not an address."""
    if not isinstance(address, str) or not is_hex_address(address):
        raise errors.InvalidInput(
            f"{what} {address!r} is not a 20-byte hex address (0x followed by 40 hex digits)"
        )
    return to_checksum_address(address)


_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def account_from_key(private_key: str) -> LocalAccount:
    """The account of a hex private key; ConfigurationError saying what is wrong (never the key)."""
    text = private_key.strip().removeprefix("0x").removeprefix("0X")
    problem = None
    if not text or any(c not in "0123456789abcdefABCDEF" for c in text):
        problem = "it is not hexadecimal"
    elif len(text) != 64:
        problem = f"it must be 32 bytes (64 hex digits), not {len(text)} hex digits"
    elif not 0 < int(text, 16) < _CURVE_ORDER:
        problem = "it is zero or not below the curve order"
    if problem is not None:
        raise errors.ConfigurationError(f"the private key is not a valid secp256k1 key: {problem}")
    try:
        return cast(LocalAccount, Account.from_key("0x" + text))
    except Exception as exc:
        raise errors.ConfigurationError(
            f"the private key is not a valid secp256k1 key: {cause_of(exc)}"
        ) from None


class NonceAllocator:
    """Hands out consecutive nonces for one key across threads without asking the node each time.

    The first nonce comes from the node's pending count; after a submission that did not reach the
    node the allocator resynchronises, so a gap is never left behind.
    """

    def __init__(self, w3: Web3, address: str) -> None:
        self._w3 = w3
        self._address = address
        self._lock = threading.Lock()
        self._next: int | None = None

    def reserve(self) -> int:
        with self._lock:
            if self._next is None:
                try:
                    self._next = self._w3.eth.get_transaction_count(self._address, "pending")  # type: ignore[arg-type]
                except OSError as exc:
                    raise errors.ChainUnavailable(f"cannot read the next nonce: {cause_of(exc)}") from exc
            nonce = self._next
            self._next += 1
            return nonce

    def resync(self) -> None:
        with self._lock:
            self._next = None


@dataclass(frozen=True)
class TxResult:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    receipt: TxReceipt = field(repr=False)


@dataclass(frozen=True)
class PendingTx:
    """A signed, submitted transaction; `raw` lets a retry re-send exactly the same bytes."""

    tx_hash: str
    raw: bytes
    params: TxParams = field(repr=False)


class Signer:
    """Signs and submits transactions for one key; safe to share between threads."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        labels: Mapping[str, str] | None = None,
        *,
        stall_after: float = STALL_AFTER_S,
    ) -> None:
        self.w3 = w3
        self.stall_after = stall_after
        self.account = account
        self.address: ChecksumAddress = account.address
        self.labels: Mapping[str, str] = labels or {}
        self.nonces = NonceAllocator(w3, account.address)
        self._fast = FastSigner(bytes(account.key))
        self._chain_id = w3.eth.chain_id
        self._fee_params = self._fees()
        # One batch per call: a pipeline's raw transactions go out together, in nonce order.
        self._reader = ChainReader(w3, labels=self.labels, batch_size=1_000_000)

    def _fees(self) -> dict[str, int]:
        latest = self.w3.eth.get_block("latest")
        base_fee = latest.get("baseFeePerGas")
        if base_fee is None:  # pre-London or a free-gas Besu network: legacy pricing
            return {"gasPrice": int(self.w3.eth.gas_price)}
        # Generous head-room: a consortium chain's base fee is zero or flat; anvil's decays.
        tip = int(self.w3.eth.max_priority_fee) if base_fee else 0
        return {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}

    def simulate(self, call: ContractFunction) -> int:
        """Estimates gas for `call` from this key; raises the decoded revert if it would fail."""
        return self._estimate(call.address, calldata(call))

    def _estimate(self, to: ChecksumAddress | None, data: HexStr) -> int:
        params: TxParams = {"from": self.address, "data": data}
        if to is not None:
            params["to"] = to
        try:
            return int(self.w3.eth.estimate_gas(params))
        except ContractLogicError as exc:
            raise decode_revert(exc.data, self.labels) from None
        except Web3Exception as exc:
            raise errors.TransactionFailed(f"the node refused to estimate the call: {cause_of(exc)}") from exc
        except OSError as exc:  # web3 already retried: the node is away
            raise errors.ChainUnavailable(
                f"lost the JSON-RPC node while estimating: {cause_of(exc)}"
            ) from exc

    def submit(self, call: ContractFunction, *, gas: int | None = None) -> PendingTx:
        """Simulates, signs and sends `call`; returns without waiting for it to be mined."""
        return self._submit_data(
            call.address, calldata(call), gas=gas or self._with_margin(self.simulate(call))
        )

    def submit_deployment(self, data: HexStr) -> PendingTx:
        """Simulates and sends a contract creation."""
        return self._submit_data(None, data, gas=self._with_margin(self._estimate(None, data)))

    def _with_margin(self, gas: int) -> int:
        return int(gas * GAS_MARGIN) + 10_000

    def _submit_data(self, to: ChecksumAddress | None, data: HexStr, *, gas: int) -> PendingTx:
        pending = self._sign(to, data, gas)
        self.resend(pending)
        return pending

    def resend(self, pending: PendingTx) -> None:
        """(Re)submits the signed bytes; the node dedupes by hash, so this is idempotent.

        A lost answer ("did it go through?") is settled by asking for the transaction by its hash,
        then by re-sending the same bytes, never by signing anew.
        """
        for delay in (*RETRY_DELAYS_S, None):
            try:
                self.w3.eth.send_raw_transaction(pending.raw)
                return
            except Web3Exception as exc:
                message = str(exc).lower()
                if _is_already_sent_message(message) or self._is_known(pending):
                    return  # the node has (or has mined) exactly this transaction: a retry, not a new one
                self.nonces.resync()
                raise errors.TransactionFailed(f"the node rejected the transaction: {cause_of(exc)}") from exc
            except OSError as exc:
                if self._is_known(pending):
                    return
                if delay is None:
                    self.nonces.resync()  # the node never saw it: its nonce must not leave a gap
                    raise errors.ChainUnavailable(
                        f"lost the JSON-RPC node while submitting {pending.tx_hash}: {cause_of(exc)}"
                    ) from exc
                time.sleep(delay)

    def _is_known(self, pending: PendingTx) -> bool:
        try:
            self.w3.eth.get_transaction(HexBytes(pending.tx_hash))
        except Exception:  # TransactionNotFound, or the node cannot tell: treat as unknown
            return False
        return True

    def wait(self, pending: PendingTx, *, timeout: float = RECEIPT_TIMEOUT_S) -> TxResult:
        """Waits for `pending` to be mined; raises the decoded revert if it failed on chain."""
        deadline = time.monotonic() + timeout
        unreachable = 0
        stall = _StallWatch(self.w3, self.stall_after)
        while True:
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    HexBytes(pending.tx_hash),
                    timeout=max(0.1, min(1.0, deadline - time.monotonic())),
                    poll_latency=0.05,
                )
                break
            except TimeExhausted:
                if time.monotonic() >= deadline:
                    raise errors.TransactionFailed(
                        f"transaction {pending.tx_hash} was not mined within {timeout:.0f} s"
                    ) from None
            except OSError as exc:  # web3 already retried the poll: the node is away a while
                if unreachable >= len(RETRY_DELAYS_S) or time.monotonic() > deadline:
                    raise errors.ChainUnavailable(
                        f"lost the JSON-RPC node while waiting for {pending.tx_hash}: {cause_of(exc)}"
                    ) from exc
                time.sleep(RETRY_DELAYS_S[unreachable])
                unreachable += 1
                continue
            stall.check(f"transaction {pending.tx_hash}")
        if receipt["status"] != 1:
            raise self._explain_failure(pending, receipt)
        return TxResult(
            tx_hash=pending.tx_hash,
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            receipt=receipt,
        )

    def transact(self, call: ContractFunction, *, gas: int | None = None) -> TxResult:
        """Simulate, submit and wait: the common case."""
        return self.wait(self.submit(call, gas=gas))

    # ------------------------------------------------------------ pipelined submission

    def submit_many(self, calls: Sequence[ContractFunction], *, gas: int | None = None) -> list[PendingTx]:
        """Simulates, signs and sends `calls` in order with three JSON-RPC batch requests in all.

        Every call is estimated first (one batch); if any would revert, its decoded error is raised
        and nothing is sent. Nonces are consecutive and the raw transactions go out in nonce order
        in one batch, so the node never sees a gap (no stuck transactions, with or without
        interval mining). Calls are estimated against the latest block, so they must not depend
        on one another; `gas` skips estimation for callers that know their gas profile.
        """
        if not calls:
            return []
        datas = [calldata(call) for call in calls]
        if gas is None:
            requests = [
                # Against "latest": estimating against "pending" makes the node replay its whole
                # pool for every call (quadratic), and the calls of one pipeline are independent.
                (
                    RPCEndpoint("eth_estimateGas"),
                    [{"from": self.address, "to": call.address, "data": data}, "latest"],
                )
                for call, data in zip(calls, datas, strict=True)
            ]
            gases = [self._with_margin(int(str(result), 16)) for result in self._batch(requests)]
        else:
            gases = [gas] * len(calls)
        pendings = [
            self._sign(call.address, data, g) for call, data, g in zip(calls, datas, gases, strict=True)
        ]
        sends = [(RPCEndpoint("eth_sendRawTransaction"), ["0x" + p.raw.hex()]) for p in pendings]
        try:
            try:
                self._batch(sends, retry=False)
            except errors.ChainUnavailable:
                # The batch may have reached the node and only its answer been lost: settle each
                # transaction by hash and the same signed bytes (in nonce order), never new nonces.
                for pending in pendings:
                    self.resend(pending)
        except errors.LedgerhouseError:
            self.nonces.resync()
            raise
        return pendings

    def wait_many(
        self, pendings: Sequence[PendingTx], *, timeout: float = RECEIPT_TIMEOUT_S
    ) -> list[TxResult]:
        """Waits for all `pendings` with batched receipt polls; raises the first failure's decoded error."""
        results: dict[str, TxReceipt] = {}
        deadline = time.monotonic() + timeout
        delay = 0.01
        # One key's transactions are mined in nonce order: poll the highest nonce of each key
        # until it lands, then fetch everything in one batch, instead of polling thousands.
        last: dict[str, PendingTx] = {}
        for pending in pendings:
            sender = str(pending.params.get("from"))
            if sender not in last or int(pending.params.get("nonce", 0)) > int(
                last[sender].params.get("nonce", 0)
            ):
                last[sender] = pending
        self._wait_for(list(last.values()), deadline, timeout)
        while len(results) < len(pendings):
            # At most RECEIPT_BATCH a request: nodes cap a JSON-RPC batch (geth at 1,000 calls).
            missing = [p for p in pendings if p.tx_hash not in results][:RECEIPT_BATCH]
            answers = self._batch(
                [(RPCEndpoint("eth_getTransactionReceipt"), [p.tx_hash]) for p in missing], allow_null=True
            )
            for pending, answer in zip(missing, answers, strict=True):
                if answer is not None:
                    results[pending.tx_hash] = cast(TxReceipt, answer)
            if len(results) < len(pendings) and None in answers:
                if time.monotonic() > deadline:
                    raise errors.TransactionFailed(
                        f"{len(pendings) - len(results)} of {len(pendings)} transactions "
                        f"not mined within {timeout:.0f} s"
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        out = []
        for pending in pendings:
            receipt = results[pending.tx_hash]
            status = (
                int(str(receipt["status"]), 16) if isinstance(receipt["status"], str) else receipt["status"]
            )
            if status != 1:
                full = self.w3.eth.get_transaction_receipt(HexBytes(pending.tx_hash))
                raise self._explain_failure(pending, full)
            out.append(
                TxResult(
                    tx_hash=pending.tx_hash,
                    block_number=_int(receipt["blockNumber"]),
                    gas_used=_int(receipt["gasUsed"]),
                    receipt=receipt,
                )
            )
        return out

    def _wait_for(self, pendings: list[PendingTx], deadline: float, timeout: float) -> None:
        delay = 0.01
        stall = _StallWatch(self.w3, self.stall_after)
        while True:
            answers = self._batch(
                [(RPCEndpoint("eth_getTransactionReceipt"), [p.tx_hash]) for p in pendings], allow_null=True
            )
            if all(answer is not None for answer in answers):
                return
            if time.monotonic() > deadline:
                raise errors.TransactionFailed(f"transactions not mined within {timeout:.0f} s")
            stall.check(f"{len(pendings)} transaction(s) ending with {pendings[-1].tx_hash}")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _sign(self, to: ChecksumAddress | None, data: HexStr, gas: int) -> PendingTx:
        params: dict[str, Any] = {
            "from": self.address,
            "data": data,
            "gas": gas,
            "chainId": self._chain_id,
            "nonce": self.nonces.reserve(),
            **self._fee_params,
        }
        if to is not None:
            params["to"] = to
        raw, tx_hash = self._fast.sign(params)
        return PendingTx(tx_hash="0x" + tx_hash.hex(), raw=raw, params=cast(TxParams, params))

    def _batch(
        self, requests: list[tuple[RPCEndpoint, Any]], *, allow_null: bool = False, retry: bool = True
    ) -> list[Any]:
        """One JSON-RPC batch through the SDK's reader (its transport retry and mid-read-block
        retry when `retry`: the batch is idempotent, i.e. reads, or re-sends of signed bytes); a
        failed entry raises its decoded revert (or the node's message)."""
        responses = self._reader.batch(requests, retry=retry)
        results: list[Any] = []
        for (method, _), response in zip(requests, responses, strict=True):
            if response.get("error") and method == "eth_sendRawTransaction" and _already_sent(response):
                results.append(None)  # the same signed bytes again (a re-sent batch): a retry, not new
                continue
            if response.get("error"):
                error = response["error"]
                data = error.get("data") if isinstance(error, dict) else None
                if data:
                    raise decode_revert(data, self.labels)
                raise errors.TransactionFailed(
                    f"the node refused a batched request: {error.get('message', error)}"
                )
            if response.get("result") is None and not allow_null:
                raise errors.TransactionFailed("the node answered a batched request with nothing")
            results.append(response.get("result"))
        return results

    def _explain_failure(self, pending: PendingTx, receipt: TxReceipt) -> errors.LedgerhouseError:
        """The typed error of a mined, failed transaction, as a simulation would have raised it.

        The revert data comes from the node's trace of the transaction itself, which is exact
        whatever ran before it in the block (a holder's split ordered first, say). A node without
        a tracer is asked to replay the call instead: at the state before the block (the cause was
        already there), then at the state after it (an earlier transaction of the same block
        caused it). Only when neither says why is it a bare TransactionFailed.
        """
        data = self._traced_revert_data(pending.tx_hash)
        if data is not None:
            return decode_revert(data, self.labels)
        replay = {k: v for k, v in pending.params.items() if k in ("from", "to", "data", "gas")}
        block = int(receipt["blockNumber"])
        for at in (block - 1, block):
            try:
                self.w3.eth.call(cast(TxParams, replay), block_identifier=at)
            except ContractLogicError as exc:
                return decode_revert(exc.data, self.labels)
            except Web3Exception:
                continue
            except OSError:
                break
        return errors.TransactionFailed(
            f"transaction {pending.tx_hash} failed in block {receipt['blockNumber']} "
            f"(gas used {receipt['gasUsed']} of {pending.params.get('gas')})"
        )

    def _traced_revert_data(self, tx_hash: str) -> str | None:
        """The revert data of a mined transaction from `debug_traceTransaction` (call tracer), or
        None when the node has no tracer or the transaction left none (out of gas)."""
        try:
            response = self.w3.provider.make_request(
                RPCEndpoint("debug_traceTransaction"),
                [tx_hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": True}}],
            )
        except (OSError, Web3Exception, ValueError):
            return None
        result = response.get("result") if isinstance(response, dict) else None
        if not isinstance(result, dict):
            return None
        output = result.get("output")
        if isinstance(output, str) and len(output) >= 10 and result.get("error"):
            return output
        return None


def _is_already_sent_message(message: str) -> bool:
    """Whether a node's refusal of eth_sendRawTransaction says it already has exactly those bytes."""
    lowered = message.lower()
    return "already known" in lowered or "already imported" in lowered


def _already_sent(response: Any) -> bool:
    error = response.get("error")
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    return _is_already_sent_message(str(message))


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)

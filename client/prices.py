"""Commodity reference prices on chain (the `PriceFeed` contract): publishers post, everyone reads.

Prices are `Decimal` per whole unit of the lots' unit (e.g. 68500.00 CNY per t) and integers on
chain in the feed's decimals (the currency's minor units). A reference price older than its feed's
staleness bound is no price: `latest` refuses it (`StalePrice`, naming the age); `show` reports it
as stale without refusing, for a person deciding what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from web3.contract.contract import ContractFunction

from client._contract import ContractClient
from client._encoding import decode_code, from_base_units, json_value, short_code, timestamp
from client.chain import TxResult, checksum
from client.errors import InvalidInput

__all__ = [
    "DEFAULT_MAX_AGE_S",
    "MAX_BATCH",
    "MAX_PRICE",
    "FeedView",
    "PostResult",
    "PostView",
    "PriceView",
    "Prices",
    "Quote",
    "parse_as_of",
    "price_units",
]

MAX_BATCH = 32  # PriceFeed.MAX_BATCH: prices per transaction
MAX_PRICE = 2**64 - 1  # posts are stored as uint64
DEFAULT_MAX_AGE_S = 3 * 86_400  # a daily settlement price, with a weekend's slack
SOURCE_BYTES = 12

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FeedView:
    commodity: str
    unit: str
    currency: str
    decimals: int
    max_age_s: int
    max_deviation_bps: int
    publishers: int
    aggregator: str

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class PostView:
    """One publisher's latest post for a commodity."""

    publisher: str
    price: Decimal | None
    as_of: datetime | None
    posted_at: datetime | None
    age_s: int | None
    pending: bool
    source: str

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class PriceView:
    """A commodity's reference price as the chain holds it now, fresh or not, with every post."""

    commodity: str
    unit: str
    currency: str
    price: Decimal | None  # None: never priced
    as_of: datetime | None
    age_s: int | None
    fresh: bool
    max_age_s: int
    round_id: int
    contributors: int
    posts: list[PostView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class Quote:
    """A price to post. `unit` and `currency`, when given, must be the feed's (they are checked)."""

    commodity: str
    price: Decimal | int | str
    as_of: datetime | int | None = None  # default: the chain's current time
    source: str = ""
    unit: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PostResult:
    posted: int
    txs: list[TxResult]

    def to_json(self) -> dict[str, Any]:
        return {"posted": self.posted, "tx_hashes": [t.tx_hash for t in self.txs]}


def price_units(value: Decimal | int | str, decimals: int, *, commodity: str) -> int:
    """A price typed by a person (68500.00) as the feed's integer; refused in the person's terms."""
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        hint = " (write it without thousands separators, e.g. 68500.00)" if "," in text else ""
        raise InvalidInput(f"price {text!r} for {commodity} is not a number{hint}") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"price {text} for {commodity} must be positive")
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"price {text} for {commodity} has more than {decimals} decimal places")
    if scaled > MAX_PRICE:
        raise InvalidInput(
            f"price {text} for {commodity} is too large: at most {from_base_units(MAX_PRICE, decimals)}"
        )
    return int(scaled)


def _when(value: int) -> datetime | None:
    return timestamp(value) if value else None


class Prices(ContractClient):
    """The price feed: publishers post batches, the consortium admin creates feeds and admits
    publishers, anyone reads."""

    ARTIFACT = "PriceFeed"

    # ------------------------------------------------------------ reads

    def commodities(self) -> list[str]:
        return [decode_code(c) for c in self.contract.functions.commodities().call()]

    def feed(self, commodity: str) -> FeedView:
        """The feed of `commodity`; `FeedNotFound` if the consortium created none."""
        code = short_code(commodity, 16, what="commodity")
        unit, currency, decimals, max_age, deviation, publishers, aggregator = self.contract.functions.feed(
            code
        ).call()
        return FeedView(
            commodity=commodity.strip(),
            unit=decode_code(unit),
            currency=decode_code(currency),
            decimals=int(decimals),
            max_age_s=int(max_age),
            max_deviation_bps=int(deviation),
            publishers=int(publishers),
            aggregator=str(aggregator),
        )

    def show(self, commodity: str) -> PriceView:
        """The reference price (median), its age and freshness, and each publisher's post."""
        f = self.feed(commodity)
        code = short_code(commodity, 16, what="commodity")
        now = self._now()
        price, as_of, _fresh = self.contract.functions.peekPrice(code).call()
        ref = self.contract.functions.referencePrice(code).call()
        posts = []
        for publisher, p_price, p_as_of, posted_at, pending, source in self.contract.functions.posts(
            code
        ).call():
            posts.append(
                PostView(
                    publisher=str(publisher),
                    price=from_base_units(int(p_price), f.decimals) if p_price else None,
                    as_of=_when(int(p_as_of)),
                    posted_at=_when(int(posted_at)),
                    age_s=now - int(p_as_of) if p_as_of else None,
                    pending=bool(pending),
                    source=decode_code(source),
                )
            )
        priced = int(price) > 0
        age = now - int(as_of) if priced else None
        return PriceView(
            commodity=f.commodity,
            unit=f.unit,
            currency=f.currency,
            price=from_base_units(int(price), f.decimals) if priced else None,
            as_of=_when(int(as_of)) if priced else None,
            age_s=age,
            # Judged against this block's time, as the contract does on the next call.
            fresh=priced and age is not None and age <= f.max_age_s,
            max_age_s=f.max_age_s,
            round_id=int(ref[2]),
            contributors=int(ref[4]),
            posts=posts,
        )

    def latest(self, commodity: str) -> tuple[Decimal, datetime]:
        """The fresh reference price and its as-of time; `StalePrice` or `NoPrice` otherwise."""
        f = self.feed(commodity)
        price, as_of, _round = self.contract.functions.latestPrice(
            short_code(commodity, 16, what="commodity")
        ).call()
        return from_base_units(int(price), f.decimals), timestamp(int(as_of))

    def is_publisher(self, commodity: str, publisher: str) -> bool:
        code = short_code(commodity, 16, what="commodity")
        return bool(self.contract.functions.isPublisher(code, checksum(publisher, what="publisher")).call())

    # ------------------------------------------------------------ publisher

    def post_calls(self, quotes: Sequence[Quote], *, names: Sequence[str] = ()) -> list[ContractFunction]:
        """The validated `post` calls for `quotes`, MAX_BATCH prices each. Every quote is checked
        against the chain first, in the quoter's terms (the price as typed, the feed's unit and
        currency, the as-of time against the chain's clock and the publisher's current post); the
        first bad one is refused, named by `names` (e.g. a CSV line) or its position, and nothing is sent."""
        if not quotes:
            raise InvalidInput("no prices to post")
        now = self._now()
        publisher = self.signer.address
        feeds: dict[str, FeedView] = {}
        current: dict[str, dict[str, int]] = {}
        tuples = []
        for n, q in enumerate(quotes, start=1):
            where = f" ({names[n - 1]})" if names else (f" (price {n})" if len(quotes) > 1 else "")
            commodity = q.commodity.strip()
            code = short_code(commodity, 16, what="commodity")
            if commodity not in feeds:
                feeds[commodity] = self.feed(commodity)
            f = feeds[commodity]
            if q.unit is not None and q.unit.strip() != f.unit:
                raise InvalidInput(f"{commodity} is priced per {f.unit}, not per {q.unit.strip()}{where}")
            if q.currency is not None and q.currency.strip().upper() != f.currency:
                raise InvalidInput(
                    f"{commodity} is priced in {f.currency}, not in {q.currency.strip()}{where}"
                )
            price = price_units(q.price, f.decimals, commodity=commodity)
            as_of = _as_of_seconds(q.as_of, now)
            if as_of > now:
                raise InvalidInput(
                    f"a price for {commodity} as of {_utc(as_of)} is in the future "
                    f"(the chain's time is {_utc(now)}){where}"
                )
            if commodity not in current:
                current[commodity] = {
                    str(p[0]).lower(): int(p[2]) for p in self.contract.functions.posts(code).call()
                }
            mine = current[commodity]
            if publisher.lower() not in mine:
                raise InvalidInput(f"{publisher} is not admitted to post prices for {commodity}{where}")
            if as_of < mine[publisher.lower()]:
                raise InvalidInput(
                    f"a price for {commodity} as of {_utc(as_of)} is older than your current post, "
                    f"as of {_utc(mine[publisher.lower()])}{where}"
                )
            mine[publisher.lower()] = as_of  # a series of one commodity in one batch: oldest first
            source = q.source.strip()
            if not source.isascii() or len(source) > SOURCE_BYTES:
                raise InvalidInput(
                    f"source {q.source!r} must be at most {SOURCE_BYTES} ASCII characters{where}"
                )
            tuples.append(
                (
                    code,
                    short_code(f.unit, 8, what="unit"),
                    short_code(f.currency, 3, what="currency"),
                    price,
                    as_of,
                    source.encode().ljust(SOURCE_BYTES, b"\0"),
                )
            )
        return [
            self.contract.functions.post(tuples[i : i + MAX_BATCH]) for i in range(0, len(tuples), MAX_BATCH)
        ]

    def post(
        self, quotes: Sequence[Quote], *, names: Sequence[str] = (), progress: Progress | None = None
    ) -> PostResult:
        """Posts `quotes` (an admitted PRICE_PUBLISHER), MAX_BATCH to a transaction, after checking all."""
        calls = self.post_calls(quotes, names=names)
        txs = []
        for i, call in enumerate(calls):
            txs.append(self._send(call))
            if progress:
                progress(min((i + 1) * MAX_BATCH, len(quotes)), len(quotes))
        return PostResult(posted=len(quotes), txs=txs)

    def post_price(
        self,
        commodity: str,
        price: Decimal | int | str,
        *,
        as_of: datetime | int | None = None,
        source: str = "",
        unit: str | None = None,
        currency: str | None = None,
    ) -> TxResult:
        """Posts one price; see `post`."""
        quote = Quote(commodity, price, as_of=as_of, source=source, unit=unit, currency=currency)
        return self.post([quote]).txs[0]

    # ------------------------------------------------------------ consortium admin

    def create_feed(
        self,
        commodity: str,
        *,
        unit: str,
        currency: str,
        decimals: int = 2,
        max_age_s: int = DEFAULT_MAX_AGE_S,
        max_deviation_bps: int = 0,
    ) -> TxResult:
        """Creates the feed of `commodity` and its Chainlink aggregator (consortium admin)."""
        if not 0 <= decimals <= 18:
            raise InvalidInput(f"decimals {decimals} must be between 0 and 18")
        if not 1 <= max_age_s <= 400 * 86_400:
            raise InvalidInput(f"staleness bound {max_age_s} s must be between 1 s and 400 days")
        if not 0 <= max_deviation_bps <= 10_000:
            raise InvalidInput(f"deviation bound {max_deviation_bps} bps must be between 0 and 10000")
        return self._send(
            self.contract.functions.createFeed(
                short_code(commodity, 16, what="commodity"),
                short_code(unit, 8, what="unit"),
                short_code(currency.upper(), 3, what="currency"),
                decimals,
                max_age_s,
                max_deviation_bps,
            )
        )

    def set_feed_parameters(self, commodity: str, *, max_age_s: int, max_deviation_bps: int) -> TxResult:
        code = short_code(commodity, 16, what="commodity")
        return self._send(self.contract.functions.setFeedParameters(code, max_age_s, max_deviation_bps))

    def admit_publisher(self, commodity: str, publisher: str) -> TxResult:
        """Admits an active PRICE_PUBLISHER member to post for `commodity` (consortium admin)."""
        code = short_code(commodity, 16, what="commodity")
        return self._send(self.contract.functions.admitPublisher(code, checksum(publisher, what="publisher")))

    def remove_publisher(self, commodity: str, publisher: str) -> TxResult:
        code = short_code(commodity, 16, what="commodity")
        return self._send(
            self.contract.functions.removePublisher(code, checksum(publisher, what="publisher"))
        )


def parse_as_of(text: str) -> datetime:
    """An as-of time as typed: ISO 8601 with a time ('2026-12-03T15:00:00Z', '2026-12-03 15:00');
    without a zone it is UTC. A bare date is refused: a price is as of a moment, not a day."""
    raw = text.strip()
    if len(raw) == 10:
        raise InvalidInput(f"as-of {text!r} needs a time as well as a date, e.g. {raw}T15:00:00Z")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"as-of {text!r} is not a time (write e.g. 2026-12-03T15:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc(seconds: int) -> str:
    return f"{timestamp(seconds):%Y-%m-%d %H:%M:%S} UTC"


def _as_of_seconds(value: datetime | int | None, now: int) -> int:
    if value is None:
        return now
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(
                f"as-of time {value.isoformat()} has no time zone (write it in UTC, e.g. ...Z)"
            )
        return int(value.timestamp())
    return int(value)

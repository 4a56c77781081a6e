"""Identifiers people type (lot numbers, item serials, invoice numbers, entity ids): one canonical form.

The chain stores a keccak256 commitment to an identifier, so two spellings of one identifier would
be two lots, two serials or two invoices, and the same copper or the same invoice could be financed
twice. Every identifier a person types therefore passes through `canonical_identifier` before it is
committed to or looked up, and nothing else in the SDK or the registry hashes such text itself.

The rule: what a person reads as the same identifier is the same.

1. Unicode NFKC: full-width and other compatibility forms become their plain letters and digits
   (full-width ``LOT-001`` typed on a Chinese keyboard is ``LOT-001``), ligatures are split.
2. Letter case does not matter (Unicode case folding, then shown in capitals).
3. Cyrillic and Greek letters that look exactly like Latin letters (Cyrillic A, Ve, Ie, Ka, Em,
   En, O, Er, Es, Te, Ha, U, Dze, I, Je; Greek Alpha, Beta, Epsilon, Zeta, Eta, Iota, Kappa, Mu,
   Nu, Omicron, Rho, Tau, Upsilon, Chi; and their lower-case forms, after Unicode's UTS #39
   confusables) are read as those Latin letters: in the fonts people read them in they are the
   same glyph, so mixing them in is an attack, not a different identifier.
4. Separators are formatting, not identity: whitespace, every dash and hyphen (Unicode Pd, the
   minus sign), underscores, dots, slashes and backslashes are dropped, as ISO 13616 drops the
   spaces of an IBAN and ISO 6346 those of a container number. ``INV-2026-118``,
   ``inv 2026/118`` and ``INV_2026.118`` are one invoice number.
5. Invisible format characters (zero-width spaces and joiners, soft hyphens, byte-order marks) are
   dropped; other control characters are refused.

Deliberately not folded: the digit zero and the letter O, the digit one and the letters I and L.
Their glyphs differ in the fonts documents are printed in, identifier schemes mix them by design
(``O1`` and ``01`` are different batch codes), and folding them would merge identifiers that are
really different and turn every ``LOT`` into ``L0T``. Leading zeros are kept (``118`` and
``0118`` may be different numbers); the registry's near-duplicate check for invoices looks
further than this rule.

The canonical form is what is hashed and what the registry and explorer show beside the text as
entered; it is not a spelling anyone has to type.
"""

from __future__ import annotations

import unicodedata

from eth_utils.crypto import keccak

from client.errors import InvalidInput

__all__ = [
    "canonical_identifier",
    "identifier_commitment",
    "is_commitment_hex",
]

# Lower-case forms (the rule folds case first): Cyrillic and Greek letters whose glyph is a Latin
# letter's, from Unicode's confusables.txt (UTS #39) restricted to exact look-alikes.
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic: a ve ie ka em en o er es te ha u dze i je qa we straight-u shha palochka
        "\u0430": "a", "\u0432": "b", "\u0435": "e", "\u043a": "k", "\u043c": "m", "\u043d": "h",
        "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0442": "t", "\u0445": "x", "\u0443": "y",
        "\u0455": "s", "\u0456": "i", "\u0458": "j", "\u051b": "q", "\u051d": "w", "\u04af": "y",
        "\u04bb": "h", "\u04cf": "i",
        # Greek: alpha beta epsilon zeta eta iota kappa mu nu omicron rho tau upsilon chi, lunate sigma, yot
        "\u03b1": "a", "\u03b2": "b", "\u03b5": "e", "\u03b6": "z", "\u03b7": "h", "\u03b9": "i",
        "\u03ba": "k", "\u03bc": "m", "\u03bd": "n", "\u03bf": "o", "\u03c1": "p", "\u03c4": "t",
        "\u03c5": "y", "\u03c7": "x", "\u03f2": "c", "\u03f3": "j",
    }
)  # fmt: skip
# _ . / \ and the minus sign, fraction slash, division slash and big reverse solidus
_SEPARATOR_PUNCTUATION = frozenset("_./\\\u2212\u2044\u2215\u29f8")


def _is_separator(char: str) -> bool:
    return char.isspace() or char in _SEPARATOR_PUNCTUATION or unicodedata.category(char) == "Pd"


def canonical_identifier(text: str, *, what: str = "identifier") -> str:
    """The canonical form of a typed identifier (see the module docstring for the rule).

    >>> canonical_identifier("lot \u2013 2026_001")  # an en dash
    'LOT2026001'

    Raises InvalidInput, naming `what` and the text as typed, if nothing identifying is left
    or the text holds a control character.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    kept = []
    for char in folded.translate(_LOOK_ALIKES):
        if _is_separator(char):
            continue
        category = unicodedata.category(char)
        if category == "Cf":
            continue  # zero-width space, joiner, soft hyphen, BOM: invisible, never identity
        if category in ("Cc", "Cs"):
            raise InvalidInput(f"{what} {text!r} contains a control character")
        kept.append(char)
    canonical = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", "".join(kept)).upper())
    if not canonical:
        raise InvalidInput(f"{what} {text!r} has no letters or digits")
    return canonical


def is_commitment_hex(text: str) -> bool:
    """Whether `text` is already a 32-byte commitment written as 0x + 64 hex digits."""
    value = text.strip()
    if len(value) != 66 or not value.startswith("0x"):
        return False
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        return False
    return True


def identifier_commitment(text: str, *, what: str = "identifier") -> bytes:
    """The 32-byte on-chain commitment to a typed identifier: keccak256 of its canonical form.

    A value that is already a commitment (0x + 64 hex, e.g. a lot id copied from the explorer)
    is taken as it is.
    """
    if is_commitment_hex(text):
        return bytes.fromhex(text.strip()[2:])
    return keccak(text=canonical_identifier(text, what=what))

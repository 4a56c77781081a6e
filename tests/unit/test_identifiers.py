"""The canonical form of typed identifiers (client.identifiers), property by property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from client import InvalidInput, canonical_identifier, identifier_commitment
from client.identifiers import is_commitment_hex

# Identifiers as issuers write them: letters, digits and separators.
ALNUM = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12
)
SEPARATORS = [" ", "-", "_", ".", "/", "\\", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212",
              "\u3000", "\u00a0", "\t", "\u30a0", "\ufe63", "\uff0d"]  # fmt: skip
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u00ad", "\ufeff", "\u2060"]
LATIN_TO_LOOK_ALIKE = {
    "A": ["\u0410", "\u0391"], "B": ["\u0412", "\u0392"], "C": ["\u0421"], "E": ["\u0415", "\u0395"],
    "H": ["\u041d", "\u0397"], "I": ["\u0406", "\u0399"], "J": ["\u0408"], "K": ["\u041a", "\u039a"],
    "M": ["\u041c", "\u039c"], "N": ["\u039d"], "O": ["\u041e", "\u039f"], "P": ["\u0420", "\u03a1"],
    "S": ["\u0405"], "T": ["\u0422", "\u03a4"], "X": ["\u0425", "\u03a7"], "Y": ["\u03a5"], "Z": ["\u0396"],
    "a": ["\u0430"], "c": ["\u0441"], "e": ["\u0435"], "o": ["\u043e", "\u03bf"], "p": ["\u0440"],
    "x": ["\u0445"], "y": ["\u0443"],
}  # fmt: skip


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def respelled(draw: st.DrawFn, parts: list[str]) -> str:
    """The identifier `parts` joined by separators, written another way a person reads as the same."""
    out = []
    for i, part in enumerate(parts):
        chars = []
        for c in part:
            choice = draw(st.integers(0, 4))
            if choice == 1:
                c = c.swapcase()
            elif choice == 2:
                c = full_width(c)
            elif choice == 3 and c in LATIN_TO_LOOK_ALIKE:
                c = draw(st.sampled_from(LATIN_TO_LOOK_ALIKE[c]))
            chars.append(c)
            if draw(st.integers(0, 9)) == 0:
                chars.append(draw(st.sampled_from(INVISIBLE)))
        out.append("".join(chars))
        if i < len(parts) - 1:
            out.append("".join(draw(st.lists(st.sampled_from(SEPARATORS), min_size=0, max_size=3))))
    pad = draw(st.sampled_from(["", " ", "\t", "\u3000"]))
    return pad + "".join(out) + pad


@given(st.text(min_size=1, max_size=40))
@settings(max_examples=1_000)
def test_canonical_form_is_idempotent(text: str) -> None:
    try:
        once = canonical_identifier(text)
    except InvalidInput:
        return  # nothing identifying, or a control character: refused, never silently hashed
    assert canonical_identifier(once) == once
    assert identifier_commitment(once) == identifier_commitment(text)


@given(st.lists(ALNUM, min_size=1, max_size=4), st.data())
@settings(max_examples=1_000)
def test_spellings_a_person_reads_as_the_same_collide(parts: list[str], data: st.DataObject) -> None:
    plain = "-".join(parts)
    other = data.draw(respelled(parts))
    assert canonical_identifier(other) == canonical_identifier(plain)
    assert identifier_commitment(other) == identifier_commitment(plain)


@given(ALNUM, ALNUM)
def test_identifiers_with_different_letters_or_digits_do_not_collide(a: str, b: str) -> None:
    if a.upper() != b.upper():
        assert identifier_commitment(a) != identifier_commitment(b)


@given(ALNUM, st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), st.integers(0, 12))
def test_changing_one_character_changes_the_identifier(text: str, replacement: str, at: int) -> None:
    at = at % len(text)
    changed = text[:at] + replacement + text[at + 1 :]
    if changed.upper() != text.upper():
        assert canonical_identifier(changed) != canonical_identifier(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("INV-2026-118", "INV-2026-0118"),  # leading zeros may be a different number
        ("LOT-O1", "LOT-01"),  # letter O and digit zero are not folded (documented)
        ("SN-I1", "SN-11"),
        ("SN-L1", "SN-11"),
        ("LOT-2026-001", "LOT-2026-002"),
        ("\u94dd\u9526-001", "\u94dc\u9526-001"),  # Chinese: different characters stay different
        ("CU-\u00c9", "CU-E"),  # an accent is a letter of its own
    ],
)
def test_distinct_identifiers_stay_distinct(a: str, b: str) -> None:
    assert canonical_identifier(a) != canonical_identifier(b)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("INV-2026-118", "INV2026118"),
        ("inv 2026/118", "INV2026118"),
        ("INV_2026.118", "INV2026118"),
        (
            "\uff29\uff2e\uff36\uff0d\uff12\uff10\uff12\uff16\uff0d\uff11\uff11\uff18",
            "INV2026118",
        ),  # full-width
        ("\u0406NV\u20142026\u2013118", "INV2026118"),  # Cyrillic I, em and en dashes
        ("SHFE-AL-2026\u200b-000731", "SHFEAL2026000731"),  # zero-width space
        ("\u94dd\u9526 \u6279\u6b21-7", "\u94dd\u9526\u6279\u6b217"),  # Chinese text keeps its characters
        ("stra\u00dfe-1", "STRASSE1"),  # case folding, not just lower()
    ],
)
def test_examples_from_the_readme(typed: str, canonical: str) -> None:
    assert canonical_identifier(typed) == canonical


@pytest.mark.parametrize("text", ["", "   ", "--//__", "\u200b", "\t-\u3000"])
def test_an_identifier_with_nothing_identifying_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="has no letters or digits"):
        canonical_identifier(text, what="lot")


def test_a_control_character_is_refused_naming_the_text() -> None:
    with pytest.raises(InvalidInput, match=r"lot 'LOT\\x07-1' contains a control"):
        canonical_identifier("LOT\x07-1", what="lot")


def test_a_hex_commitment_is_taken_as_it_is() -> None:
    lot_id = identifier_commitment("SHFE-AL-2026-000731")
    written = "0x" + lot_id.hex()
    assert is_commitment_hex(written) and identifier_commitment(written) == lot_id
    assert identifier_commitment(" " + written.upper().replace("0X", "0x") + " ") == lot_id

"""docs/testing.md lists every test card: its number and token must appear, so the table cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flint_core.processors import cards
from flint_core.processors.cards import TEST_CARDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def _table_rows() -> dict[str, str]:
    """The test-card table of docs/testing.md: number -> its whole row."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(\d{12,19})` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


@pytest.mark.parametrize("card", TEST_CARDS, ids=lambda card: card.token)
def test_every_test_card_is_in_the_table(card: cards.TestCard) -> None:
    rows = _table_rows()
    assert card.number in rows, f"{card.number} ({card.token}) is missing from the table in docs/testing.md"
    row = rows[card.number]
    assert f"`{card.token}`" in row, f"{card.token} is not on the row of {card.number} in docs/testing.md"
    assert f"| {card.brand} |" in row, f"the row of {card.number} does not say brand {card.brand}"


def test_every_number_and_token_appears_in_the_page() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [value for card in TEST_CARDS for value in (card.number, card.token) if value not in text]
    assert not missing, f"missing from docs/testing.md: {missing}"


def test_the_table_lists_no_card_that_does_not_exist() -> None:
    known = {card.number for card in TEST_CARDS}
    assert set(_table_rows()) <= known, set(_table_rows()) - known

"""The event catalog (flint_core.platform.outbox.EVENT_TYPES) and the page generated from it, docs/events.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from flint_core.agent_docs.catalogs import CATALOG_BEGIN, CATALOG_END, events_catalog, events_page
from flint_core.platform import outbox
from flint_core.platform.outbox import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "events.md"


def test_committed_page_is_current() -> None:
    """Regenerate with `python -m flint_core.agent_docs events` (rewrites the catalog section of docs/events.md)."""
    text = PAGE.read_text(encoding="utf-8")
    assert events_page(text) == text
    assert subprocess.run([sys.executable, "-m", "flint_core.platform.outbox", "--check"], cwd=ROOT).returncode == 0


def test_every_type_has_its_section_and_row() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name, spec in EVENT_TYPES.items():
        assert f'<a id="{name}"></a>\n#### `{name}`' in text
        assert f"| [`{name}`](#{name}) | {spec.object_type} | {spec.summary} |" in text
    assert len(re.findall(r"^#### `", text, re.M)) == len(EVENT_TYPES)


def test_catalog_is_well_formed() -> None:
    for name, spec in EVENT_TYPES.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", name) and spec.name == name
        assert name.split(".")[0] in (spec.object_type, "payment")  # payment.* are about payment intents
        assert spec.trigger.endswith(".") and spec.previous and len(spec.summary) <= 100
        assert spec.with_order == (spec.object_type in ("payment_intent", "refund", "checkout_session"))
    created = [name for name, spec in EVENT_TYPES.items() if spec.previous == outbox.CREATED]
    assert created == ["order.created", "refund.created", "item.created"]


def test_page_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks the markers"):
        events_page("# Events\n")
    replaced = events_page(f"intro\n{CATALOG_BEGIN}\nold\n{CATALOG_END}\noutro\n")
    assert replaced == f"intro\n{events_catalog()}\noutro\n"


@pytest.mark.parametrize("event_type,extra", [("payment.succeeded", None), ("order.paid", {"order": {}})])
def test_emit_insists_on_the_catalogs_order_context(event_type: str, extra: dict[str, object] | None) -> None:
    with pytest.raises(ValueError, match="data.order"):
        outbox.emit(None, event_type, {}, extra=extra)  # type: ignore[arg-type]  # refused before any use of ctx


def test_timestamps_match_api_objects() -> None:
    from datetime import UTC, datetime

    assert outbox.timestamp(datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC)) == "2026-01-02T03:04:05.000600Z"
    assert outbox.timestamp(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00Z"

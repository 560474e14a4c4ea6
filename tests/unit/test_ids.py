from __future__ import annotations

import re
import threading

from flint_core.kernel import ids


def test_shape_and_prefix() -> None:
    order_id = ids.new_id("order")
    assert re.fullmatch(r"ord_[0-9a-hjkmnp-tv-z]{26}", order_id)
    assert ids.prefix_of(order_id) == "ord"


def test_ids_strictly_increase_within_one_millisecond_and_across_threads() -> None:
    same_ms = [ids.new_id("order", now_ms=1_700_000_000_000) for _ in range(1000)]
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == 1000
    made: list[str] = []

    def work() -> None:
        made.extend(ids.new_id("customer") for _ in range(500))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 2000

"""api/heap.py: what the process was set up with leaves the collector's reach; later garbage is still collected."""

from __future__ import annotations

import gc
from typing import Any

from api.heap import settle


def test_settle_leaves_the_set_up_heap_out_of_later_collections() -> None:
    gc.unfreeze()
    walked_before = len(gc.get_objects())
    try:
        settle()
        assert gc.get_freeze_count() >= walked_before // 2  # the test process's modules, models, fixtures
        assert len(gc.get_objects()) < walked_before // 10  # what a full collection still walks

        cycle: dict[str, Any] = {}
        cycle["self"] = cycle  # garbage made after settling, which only the collector frees
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()  # the rest of the suite collects as it did

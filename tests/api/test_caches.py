"""api/caches.py's Watched.load: a value is read once however many callers miss it at the same moment, never
shared across a write of the watched tables, and a failed or cancelled read leaves its waiters to read for
themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest

from api.caches import _WATCHED, Watched


@pytest.fixture
def cache() -> Iterator[Watched[str]]:
    made: Watched[str] = Watched(frozenset({"things"}), ttl=lambda: 60.0)
    yield made
    _WATCHED.remove(made)


class Reads:
    """A read that waits until released, counting how many ran."""

    def __init__(self, answers: list[str | None] | None = None) -> None:
        self.count = 0
        self.release = asyncio.Event()
        self.answers = answers

    def __call__(self, fail: BaseException | None = None) -> Callable[[], Awaitable[str | None]]:
        async def read() -> str | None:
            self.count += 1
            number = self.count
            await self.release.wait()
            if fail is not None:
                raise fail
            return self.answers[number - 1] if self.answers else f"value {number}"
        return read


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_callers_that_miss_together_share_one_read(cache: Watched[str]) -> None:
    reads = Reads()
    callers = [asyncio.create_task(cache.load("k", reads())) for _ in range(20)]
    await settle()
    reads.release.set()
    assert await asyncio.gather(*callers) == ["value 1"] * 20
    assert reads.count == 1
    assert await cache.load("k", reads()) == "value 1"  # kept
    assert reads.count == 1


async def test_other_keys_are_read_on_their_own(cache: Watched[str]) -> None:
    reads = Reads()
    callers = [asyncio.create_task(cache.load(key, reads())) for key in ("a", "b", "a")]
    await settle()
    reads.release.set()
    assert await asyncio.gather(*callers) == ["value 1", "value 2", "value 1"]
    assert reads.count == 2


async def test_a_caller_after_a_write_does_not_wait_for_an_older_read(cache: Watched[str]) -> None:
    reads = Reads()
    before = asyncio.create_task(cache.load("k", reads()))
    await settle()
    cache.forget()  # this process wrote a watched table
    after = asyncio.create_task(cache.load("k", reads()))
    await settle()
    reads.release.set()
    assert await before == "value 1"
    assert await after == "value 2"
    assert reads.count == 2
    assert cache.get("k") == "value 2"  # the read that began before the write is not kept


async def test_a_failed_read_leaves_its_waiters_to_read_for_themselves(cache: Watched[str]) -> None:
    reads = Reads()
    leader = asyncio.create_task(cache.load("k", reads(fail=RuntimeError("database went away"))))
    await settle()
    waiters = [asyncio.create_task(cache.load("k", reads())) for _ in range(3)]
    await settle()
    reads.release.set()
    with pytest.raises(RuntimeError, match="database went away"):
        await leader
    assert sorted(str(value) for value in await asyncio.gather(*waiters)) == ["value 2", "value 3", "value 4"]
    assert cache.get("k") in {"value 2", "value 3", "value 4"}


async def leader_and_waiter(cache: Watched[str]) -> tuple[Reads, asyncio.Task[str | None], asyncio.Task[str | None]]:
    """A read under way for "k" (its caller, the leader) and a second caller waiting for it."""
    reads = Reads()
    leader = asyncio.create_task(cache.load("k", reads()))
    await settle()
    waiter = asyncio.create_task(cache.load("k", reads()))
    await settle()
    return reads, leader, waiter


async def test_a_cancelled_reader_leaves_its_waiters_to_read_for_themselves(cache: Watched[str]) -> None:
    reads, leader, waiter = await leader_and_waiter(cache)
    leader.cancel()
    await settle()
    reads.release.set()
    assert await waiter == "value 2"
    assert leader.cancelled()


async def test_a_cancelled_waiter_does_not_stop_the_read(cache: Watched[str]) -> None:
    reads, leader, waiter = await leader_and_waiter(cache)
    waiter.cancel()
    await settle()
    reads.release.set()
    assert await leader == "value 1"
    assert waiter.cancelled()
    assert reads.count == 1


async def test_nothing_found_is_shared_but_not_kept(cache: Watched[str]) -> None:
    reads = Reads(answers=[None, "now there"])
    callers = [asyncio.create_task(cache.load("k", reads())) for _ in range(3)]
    await settle()
    reads.release.set()
    assert await asyncio.gather(*callers) == [None, None, None]
    assert await cache.load("k", reads()) == "now there"
    assert reads.count == 2


async def test_a_read_left_behind_by_another_event_loop_is_not_waited_for(cache: Watched[str]) -> None:
    other = asyncio.new_event_loop()
    try:
        # What a read under a closed test loop would leave if its task never ran its `finally`.
        cache._reading["k"] = (cache._generation, other.create_future())
        reads = Reads()
        reads.release.set()
        assert await asyncio.wait_for(cache.load("k", reads()), timeout=5) == "value 1"
    finally:
        other.close()

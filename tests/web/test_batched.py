"""Batched: the asks that wait together are made in one call, in a thread; each gets its own answer or its own
failure; nothing waits for a batch to fill, and no more than the given number of calls run at once."""

import asyncio
import threading
from collections.abc import Sequence

import pytest

from web.batched import Batched


class Recorder:
    """A call that doubles its asks, fails on negative ones and records each batch it was given; with ``hold`` set,
    a call waits until the test lets it go."""

    def __init__(self, hold: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[int] = set()
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()
        self.go = threading.Event()
        if not hold:
            self.go.set()

    def __call__(self, asks: Sequence[int]) -> list[int | Exception]:
        with self._lock:
            self.batches.append(list(asks))
            self.threads.add(threading.get_ident())
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        self.go.wait(5)
        with self._lock:
            self.running -= 1
        return [ValueError(f"no {ask}") if ask < 0 else ask * 2 for ask in asks]


def test_asks_that_wait_together_are_made_in_one_call_each_with_its_answer() -> None:
    call = Recorder()
    batched = Batched(call, threads=1)

    async def main() -> list[int]:
        return await asyncio.gather(*(batched(i) for i in range(10)))

    assert asyncio.run(main()) == [i * 2 for i in range(10)]
    assert call.batches == [list(range(10))]
    assert threading.get_ident() not in call.threads  # made in a thread, not on the event loop


def test_with_no_threads_the_asks_that_wait_together_are_made_on_the_event_loop() -> None:
    call = Recorder()
    batched = Batched(call, threads=0)

    async def main() -> tuple[list[int], list[int]]:
        together = await asyncio.gather(*(batched(i) for i in range(5)))
        return together, await asyncio.gather(batched(-2), batched(7), return_exceptions=True)  # type: ignore[return-value]

    together, after = asyncio.run(main())
    assert together == [0, 2, 4, 6, 8] and str(after[0]) == "no -2" and after[1] == 14
    assert call.batches == [[0, 1, 2, 3, 4], [-2, 7]]
    assert call.threads == {threading.get_ident()}  # asyncio.run's loop runs in this thread


def test_nothing_waits_to_fill_a_batch_and_what_arrives_meanwhile_goes_next() -> None:
    call = Recorder(hold=True)
    batched = Batched(call, threads=1)

    async def main() -> list[int]:
        first = asyncio.ensure_future(batched(1))
        while not call.batches:  # the first ask is made alone, at once
            await asyncio.sleep(0.001)
        later = [asyncio.ensure_future(batched(i)) for i in (2, 3, 4)]
        await asyncio.sleep(0.01)
        call.go.set()
        return [await first, *[await each for each in later]]

    assert asyncio.run(main()) == [2, 4, 6, 8]
    assert call.batches == [[1], [2, 3, 4]]


def test_a_batch_holds_at_most_the_given_number_of_asks() -> None:
    call = Recorder()
    batched = Batched(call, threads=1, most=4)

    async def main() -> list[int]:
        return await asyncio.gather(*(batched(i) for i in range(10)))

    assert asyncio.run(main()) == [i * 2 for i in range(10)]
    assert call.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_calls_run_in_at_most_the_given_number_of_threads_at_once() -> None:
    call = Recorder(hold=True)
    batched = Batched(call, threads=2, most=1)

    async def main() -> list[int]:
        asks = [asyncio.ensure_future(batched(i)) for i in range(6)]
        while len(call.batches) < 2:
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.02)
        assert len(call.batches) == 2  # two calls at once, the others wait
        call.go.set()
        return [await each for each in asks]

    assert asyncio.run(main()) == [i * 2 for i in range(6)]
    assert call.most_running == 2 and len(call.batches) == 6


def test_an_ask_that_fails_fails_alone() -> None:
    batched = Batched(Recorder(), threads=1)

    async def main() -> list[int | BaseException]:
        return await asyncio.gather(batched(1), batched(-1), batched(3), return_exceptions=True)

    first, failed, third = asyncio.run(main())
    assert (first, third) == (2, 6)
    assert isinstance(failed, ValueError) and str(failed) == "no -1"


def test_a_call_that_fails_fails_every_ask_of_its_batch_and_not_the_next() -> None:
    calls = 0

    def flaky(asks: Sequence[int]) -> list[int | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("connection lost")
        return list(asks)

    batched = Batched(flaky, threads=1)

    async def main() -> tuple[list[int | BaseException], int]:
        failed = await asyncio.gather(batched(1), batched(2), return_exceptions=True)
        return failed, await batched(3)

    failed, after = asyncio.run(main())
    assert [type(each) for each in failed] == [OSError, OSError]
    assert after == 3


def test_a_call_that_loses_an_answer_fails_its_batch_rather_than_leave_an_ask_waiting() -> None:
    batched = Batched(lambda asks: list(asks)[1:], threads=1)

    async def main() -> list[int | BaseException]:
        return await asyncio.gather(batched(1), batched(2), return_exceptions=True)

    assert [str(each) for each in asyncio.run(main())] == ["1 answers to 2 asks"] * 2


def test_an_ask_whose_request_is_gone_is_not_made() -> None:
    call = Recorder(hold=True)
    batched = Batched(call, threads=1)

    async def main() -> int:
        first = asyncio.ensure_future(batched(1))
        while not call.batches:
            await asyncio.sleep(0.001)
        gone = asyncio.ensure_future(batched(2))
        kept = asyncio.ensure_future(batched(3))
        await asyncio.sleep(0)
        gone.cancel()
        call.go.set()
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert await first == 2
        return await kept

    assert asyncio.run(main()) == 6
    assert call.batches == [[1], [3]]

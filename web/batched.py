"""Calls that arrive together, made together: what many requests of a process ask at the same moment goes to a
thread as one batch, and each request gets its own answer back. The scan uses it to read the database once for all
the scans waiting (web/public/scan.py): a statement's round trip and fixed cost, and the hop to a thread and back,
are paid once a batch instead of once a request; on SQLite, whose reads are short and in the process, the batch is
read on the event loop itself.

Nothing waits to fill a batch: a thread free takes everything that waits, at once. An idle service answers one
request in one call; a busy one gathers the requests that arrive while the threads are reading."""

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from anyio import CapacityLimiter, to_thread

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")


class Batched(Generic[Ask, Answer]):
    """``call(asks)`` made in at most ``threads`` threads at once, on at most ``most`` asks each; with ``threads`` 0,
    on the event loop itself, for a call too short to be worth the hand-off to a thread and back. ``call`` answers
    each ask in order, an exception standing for an ask it could not answer; if ``call`` itself raises, every ask
    of its batch gets that exception."""

    def __init__(
        self, call: Callable[[Sequence[Ask]], Sequence[Answer | Exception]], threads: int, most: int = 64
    ) -> None:
        self.call = call
        self.threads = threads
        self.most = most
        # Its own threads' tokens: anyio's default limiter is the sync routes', which a long label run can hold.
        self._limiter = CapacityLimiter(max(threads, 1))
        self._callers = max(threads, 1)  # on the event loop, one batch at a time
        self._waiting: deque[tuple[Ask, asyncio.Future[Answer]]] = deque()
        self._draining = 0
        self._tasks: set[asyncio.Task[None]] = set()  # referenced until done: the loop keeps only weak references

    async def __call__(self, ask: Ask) -> Answer:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Answer] = loop.create_future()
        self._waiting.append((ask, answer))
        if self._draining < self._callers:
            self._draining += 1
            task = loop.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await answer

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(self.most, len(self._waiting)))]
                # Asks whose request has gone (the client closed the connection) are not made.
                batch = [(ask, answer) for ask, answer in batch if not answer.done()]
                if not batch:
                    continue
                try:
                    asks = [ask for ask, _ in batch]
                    if self.threads:
                        answers = await to_thread.run_sync(self.call, asks, limiter=self._limiter)
                    else:
                        answers = self.call(asks)
                    if len(answers) != len(batch):
                        raise RuntimeError(f"{len(answers)} answers to {len(batch)} asks")
                except Exception as error:
                    answers = [error] * len(batch)
                for (_, future), answer in zip(batch, answers, strict=True):
                    if future.done():
                        continue
                    if isinstance(answer, Exception):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        finally:
            self._draining -= 1

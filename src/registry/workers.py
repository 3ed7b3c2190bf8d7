"""Worker threads for blocking calls (SQLite, file IO), handing results back to the loop."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Workers:
    """Threads taking calls from one queue and handing results back to the caller's loop.

    What asyncio's run_in_executor does, minus its concurrent.futures layer (a future per
    call, chained to an asyncio one, and a semaphore to size the pool): on a download that
    layer was about a tenth of the server's Python time. Threads start as calls queue up, up
    to `count`, and end at close(). Calls come from one event loop (the server's); the lock
    only keeps the thread list whole if a test drives one object from several.
    """

    def __init__(self, name: str, count: int) -> None:
        self.name, self.count = name, count
        self.queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.pending = 0  # calls handed over and not yet answered
        self.closed = False
        self._lock = threading.Lock()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self.closed:
                raise RuntimeError(f"{self.name} workers are closed")
            if self.pending >= len(self.threads) < self.count:  # every thread may be busy
                thread = threading.Thread(
                    target=self._serve, name=f"{self.name}-{len(self.threads)}", daemon=True
                )  # daemon: a close() that never came must not hang the interpreter's exit
                thread.start()
                self.threads.append(thread)
            self.pending += 1
        self.queue.put((loop, future, fn, args))
        try:
            return await future
        finally:
            with self._lock:
                self.pending -= 1

    def _serve(self) -> None:
        while (item := self.queue.get()) is not None:
            loop, future, fn, args = item
            try:
                answer: tuple[Any, BaseException | None] = (fn(*args), None)
            except BaseException as exc:  # handed to the caller, as an executor would
                answer = (None, exc)
            try:
                loop.call_soon_threadsafe(_settle, future, *answer)
            except RuntimeError:
                pass  # the caller's loop is closed: nobody is waiting; serve the next call

    def close(self) -> None:
        """Stop the threads once the calls already queued are done; later calls fail."""
        with self._lock:
            self.closed = True
            threads, self.threads = self.threads, []
        for _ in threads:
            self.queue.put(None)
        for thread in threads:
            thread.join()


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return  # the caller stopped waiting; the call ran (or failed) all the same
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)

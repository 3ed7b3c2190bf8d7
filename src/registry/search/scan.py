"""The bounded scan behind every SQL search: pick a plan per dialect, page on seq, verify, stop
at the limit or the time budget.

Plans, so that no backend ever runs RE2 over the whole table when an index can narrow:
- SQLite: `REGEXP` (RE2, registered per connection) pushed into SQL over seq windows;
- PostgreSQL with required literals: trigram-indexed LIKE/ILIKE prefilter, RE2 verifies;
- PostgreSQL without literals: seq windows fetched with their text, RE2 verifies (bounded
  by the time budget, since nothing can narrow such a pattern);
- no regex: the plain filtered, keyset-paged query.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from registry.db.repositories.search import ScanFilter, ScanRow, SearchRepository
from registry.query.literals import required_literals
from registry.search.base import ScanOutcome

SQLITE_WINDOW = 5000  # seqs per REGEXP statement: each stays well under 100 ms at 5 KB cards
VERIFY_WINDOW = 1000  # rows (with ~5 KB text each) fetched per literal-free verify batch
LITERAL_BATCH = 2000  # most candidate rows (with ~5 KB text each) per trigram-prefiltered batch
LITERAL_WINDOW = 65536  # seqs in the first trigram-prefiltered window; each next one is 4x


async def scan_matching(
    repo: SearchRepository,
    base: ScanFilter,
    pattern: Any | None,
    *,
    after: int,
    limit: int,
    budget_seconds: float,
) -> ScanOutcome:
    """Up to `limit` rows after `after` matching `base` and the compiled RE2 `pattern`."""
    outcome = await _scan(repo, base, pattern, after, limit, budget_seconds)
    # The statement cap must not outlive the search in the caller's transaction. (After a
    # cancelled statement the transaction is aborted anyway, so this runs on success only.)
    await repo.clear_budget()
    return outcome


async def _scan(
    repo: SearchRepository,
    base: ScanFilter,
    pattern: Any | None,
    after: int,
    limit: int,
    budget_seconds: float,
) -> ScanOutcome:
    deadline = time.monotonic() + budget_seconds
    out = ScanOutcome([], after, False)
    if pattern is None:
        await repo.set_budget(int(budget_seconds * 1000))
        rows = await repo.scan(base, after=after, limit=limit)
        out.rows = rows
        out.resume_after = rows[-1][0] if rows else after
        out.complete = len(rows) < limit
        return out
    if repo.dialect == "sqlite":
        where = dataclasses.replace(base, regexp=pattern.pattern)
        return await _windowed(repo, where, None, out, limit, deadline, SQLITE_WINDOW)
    literals = required_literals(pattern.pattern)
    if not literals.narrows:
        return await _windowed(repo, base, pattern, out, limit, deadline, VERIFY_WINDOW)
    where = dataclasses.replace(base, literals=literals, fold_case=literals.fold)
    return await _literal_windows(repo, where, pattern, out, limit, deadline)


async def _literal_windows(
    repo: SearchRepository,
    where: ScanFilter,
    pattern: Any,
    out: ScanOutcome,
    limit: int,
    deadline: float,
) -> ScanOutcome:
    """PostgreSQL with required literals: trigram bitmaps ANDed with a seq window, RE2 verifies.

    Left to itself the planner walks the primary key in seq order and runs LIKE over every
    card until the page fills (about 10 us per 5 KB card: 300 ms at 1M rows). A bitmap plan
    rechecks only the rows whose trigrams match, but costs a fixed ~50 ms per statement, so
    the window grows 4x each round: a few statements cover any table, dense patterns stop in
    the first window, rare ones pay for few rechecks.
    """
    top = await repo.max_seq()
    window = LITERAL_WINDOW
    await repo.prefer_bitmap_scans()
    while out.resume_after < top:
        if not await _within(repo, deadline, out):
            return out
        upto = min(out.resume_after + window, top)
        wanted = min(2 * (limit - len(out.rows)) + 16, LITERAL_BATCH)
        batch = await repo.scan(
            where, after=out.resume_after, upto=upto, limit=wanted, with_text=True
        )
        if _verify_into(out, batch, pattern, limit):
            out.complete = out.resume_after >= top
            return out
        if len(batch) < wanted:  # the window is exhausted: move on, wider
            out.resume_after = upto
            window *= 4
    out.complete = True
    return out


async def _within(repo: SearchRepository, deadline: float, out: ScanOutcome) -> bool:
    """Check the budget and hand what remains of it to the database as a statement cap."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        out.budget_exhausted = True
        return False
    await repo.set_budget(int(remaining * 1000))
    return True


async def _windowed(
    repo: SearchRepository,
    where: ScanFilter,
    pattern: Any | None,
    out: ScanOutcome,
    limit: int,
    deadline: float,
    window: int,
) -> ScanOutcome:
    """Scan seq windows; with `pattern`, fetch text and verify in Python, else trust SQL."""
    top = await repo.max_seq()
    while out.resume_after < top:
        if not await _within(repo, deadline, out):
            return out
        upto = min(out.resume_after + window, top)
        if pattern is None:
            wanted = limit - len(out.rows)
            batch = await repo.scan(where, after=out.resume_after, upto=upto, limit=wanted)
            out.rows.extend(batch)
            if len(batch) == wanted:
                out.resume_after = batch[-1][0]
                out.complete = out.resume_after >= top
                return out
        else:
            batch = await repo.scan(
                where, after=out.resume_after, upto=upto, limit=window, with_text=True
            )
            if _verify_into(out, batch, pattern, limit):
                out.complete = out.resume_after >= top
                return out
        out.resume_after = upto
    out.complete = True
    return out


def _verify_into(out: ScanOutcome, batch: list[ScanRow], pattern: Any, limit: int) -> bool:
    """RE2-verify candidates into `out`; True once the page is full."""
    for row in batch:
        out.resume_after = row[0]
        if pattern.search(row[2]) or pattern.search(row[4] or ""):
            out.rows.append((row[0], row[1], row[2], row[3], ""))
            if len(out.rows) >= limit:
                return True
    return False

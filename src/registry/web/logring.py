"""An in-process, bounded ring of recent log records for the dashboard's log viewer.

Reading the ring costs nothing on the request path and never touches log files; the bound keeps
memory flat however chatty the process gets.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MESSAGE_CAP = 2000  # one runaway message must not fill the viewer


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One formatted log record."""

    at: float
    level: str
    levelno: int
    logger: str
    message: str

    @property
    def time(self) -> str:
        """The record's time as HH:MM:SS UTC."""
        return datetime.fromtimestamp(self.at, UTC).strftime("%H:%M:%S")


class LogRing(logging.Handler):
    """A logging handler keeping the last `capacity` records in memory."""

    def __init__(self, capacity: int = 2000, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._entries: deque[LogEntry] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        """Remember one record (deque.append is atomic, so worker threads may log too)."""
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[0] is not None:
                message += f" [{record.exc_info[0].__name__}]"
            self._entries.append(
                LogEntry(
                    record.created,
                    record.levelname,
                    record.levelno,
                    record.name,
                    message[:MESSAGE_CAP],
                )
            )
        except Exception:  # a logging handler must never raise into the caller
            self.handleError(record)

    def query(
        self, *, min_level: str = "INFO", logger: str = "", text: str = "", limit: int = 200
    ) -> list[LogEntry]:
        """Newest-first entries at or above a level, from a logger prefix, containing text."""
        threshold = logging.getLevelName(min_level.upper())
        if not isinstance(threshold, int):
            threshold = logging.INFO
        needle = text.casefold()
        found: list[LogEntry] = []
        for entry in reversed(self._entries):
            if entry.levelno < threshold:
                continue
            if logger and not entry.logger.startswith(logger):
                continue
            if needle and needle not in entry.message.casefold():
                continue
            found.append(entry)
            if len(found) >= limit:
                break
        return found

    def install(self, *names: str) -> None:
        """Attach the ring to the root logger (and named non-propagating ones)."""
        # Levels stay as the operator configured them: the ring sees what the log would show.
        for name in ("", *names):
            logging.getLogger(name).addHandler(self)

    def uninstall(self, *names: str) -> None:
        """Detach the ring again (at shutdown, so test apps do not pile up handlers)."""
        for name in ("", *names):
            logging.getLogger(name).removeHandler(self)

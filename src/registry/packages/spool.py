"""SpoolDirectory: where this process spools uploads and zip builds; leftovers never outlive it.

Layout: ``<base>/registry-spool-<uid>/`` (mode 0700, ours, never a symlink) holds one
subdirectory per open SpoolDirectory, ``<pid>-<random>/``, with a ``.lock`` file the owner holds
an exclusive flock on for its whole life. The kernel drops that lock when the owner dies,
however it dies (kill -9 included), so a subdirectory whose lock can be taken belongs to nobody:
opening a SpoolDirectory removes every such one with what a killed request left in it. Two
server processes sharing the base directory each keep their own subdirectory and never remove
the other's. A root-level lock serialises creating a subdirectory with sweeping, so a sweep
never finds one between its mkdir and its flock. Each request still removes its own spool file
when it ends (finally blocks in archive.py and upload.py); this catches what a crash skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from registry.errors import StorageError

LOCK_NAME = ".lock"
log = logging.getLogger("registry.packages.spool")


class SpoolDirectory:
    """This process's spool subdirectory under a shared, registry-owned root."""

    def __init__(self, base: Path | None = None) -> None:
        self.root = Path(base or tempfile.gettempdir()) / f"registry-spool-{os.getuid()}"
        self._path: Path | None = None
        self._lock_fd: int | None = None

    @property
    def path(self) -> Path:
        """The directory to spool into (open() first)."""
        if self._path is None:
            raise RuntimeError("the spool directory is not open")
        return self._path

    def open(self) -> Path:
        """Sweep dead processes' leftovers, then create and lock this process's subdirectory."""
        if self._path is not None:
            return self._path
        try:
            self._prepare_root()
            with self._root_lock():
                removed = self._sweep()
                path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=self.root))
                fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise StorageError(f"cannot prepare the spool directory {self.root}: {exc}") from exc
        if removed:
            log.info("removed %d spool directories left by dead processes", removed)
        self._path, self._lock_fd = path, fd
        return path

    def sweep(self) -> int:
        """Remove the subdirectories no live process holds; return how many."""
        with self._root_lock():
            return self._sweep()

    def close(self) -> None:
        """Remove this process's subdirectory and release its lock."""
        path, fd = self._path, self._lock_fd
        self._path = self._lock_fd = None
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
        if fd is not None:
            os.close(fd)

    def _prepare_root(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The default base is a world-writable temp directory: refuse a planted symlink or a
        # directory someone else owns instead of spooling uploads into it.
        info = os.lstat(self.root)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise OSError(f"{self.root} is not a directory owned by this user")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(self.root, 0o700)

    @contextlib.contextmanager
    def _root_lock(self) -> Iterator[None]:
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def _sweep(self) -> int:
        removed = 0
        for entry in os.scandir(self.root):
            if entry.name == LOCK_NAME or not entry.is_dir(follow_symlinks=False):
                continue
            if entry.path == str(self._path) or not _abandoned(Path(entry.path)):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
        return removed


def _abandoned(directory: Path) -> bool:
    """True when no live process holds the directory's lock (or it never got one)."""
    try:
        fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True  # created under the root lock with its lock file: a crash in between
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True

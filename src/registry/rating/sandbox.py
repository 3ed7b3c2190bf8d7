"""Run untrusted model-card code in a separate, limited process; never in the server.

Layers, outermost first:
- a new network namespace (`unshare --net`: no interface but a down loopback) when the host
  allows it; otherwise the in-process block below is the only network barrier;
- an unprivileged user (nobody) when the interpreter is reachable by it (probed once);
- resource limits set by `prlimit` before exec (address space, CPU seconds, file size, open
  files, processes) and a wall-clock timeout that kills the whole process group;
- it dies with the server: see "Lifetime" below;
- a minimal environment (no secrets, empty proxies, HF_HUB_OFFLINE=1) and a temp working dir;
- a prelude that replaces `socket.socket` and installs a PEP 578 audit hook refusing sockets,
  subprocesses and writes outside the working directory (ctypes could bypass the hook, which is
  why the namespace, user and limits above exist).

Lifetime. The run is its own session and process group. The server's wall clock kills that
group; but a server killed outright (kill -9, OOM) runs no clean-up, so the chain also carries:
- a parent-death signal (Linux PR_SET_PDEATHSIG) on its first process, set by util-linux
  `setpriv --pdeathsig` before exec rather than by ctypes in a preexec_fn: a preexec_fn makes
  CPython run the at-fork handlers in the child of a threaded server, which froze it once (see
  `run`). The signal fires when the thread that started the run exits, which is the thread
  blocked in its wait(), so only when the server goes;
- coreutils `timeout` as that first process: on the parent-death SIGTERM it signals the whole
  group and SIGKILLs it KILL_AFTER seconds later; and whatever happens to the server, it kills
  the group at its own deadline (the run's wall clock + TIMEOUT_SLACK), so even a server that
  died before the signal was armed leaves nothing running past that;
- a second parent-death signal (SIGKILL) on the Python process itself, set after any change
  of user (which clears it), so the script dies with `timeout`;
- RLIMIT_CPU (prlimit) bounds the CPU of every process in the run, orphaned or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
KILL_AFTER = 2  # seconds between the group's SIGTERM (the server died) and its SIGKILL
TIMEOUT_SLACK = 5  # seconds `timeout` waits past the wall clock: the server's kill comes first
PRELUDE = r"""
import os, runpy, socket, sys
_root = os.path.realpath(os.getcwd())
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
def _inside(path):
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return True
    return real == _root or real.startswith(_root + os.sep) or real == os.devnull
def _deny(*_a, **_k):
    raise PermissionError("network access is disabled in the registry sandbox")
class _NoSocket(socket.socket):
    def __init__(self, *_a, **_k):
        _deny()
socket.socket = _NoSocket
socket.create_connection = _deny
_PATH_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
                "os.symlink", "os.link", "os.truncate", "shutil.rmtree", "os.utime"}
_DENIED = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
           "os.forkpty", "pty.spawn", "socket.connect", "socket.bind", "socket.getaddrinfo",
           "socket.sendto", "urllib.Request"}
def _hook(event, args):
    if event in _DENIED:
        raise PermissionError(f"{event} is not allowed in the registry sandbox")
    if event == "open":
        path, _mode, flags = args
        if isinstance(path, (str, bytes, os.PathLike)) and flags & _WRITE and not _inside(path):
            raise PermissionError(f"writing outside the sandbox directory is not allowed: {path}")
    elif event in _PATH_EVENTS:
        for path in args:
            if isinstance(path, (str, bytes, os.PathLike)) and not _inside(path):
                raise PermissionError(f"{event} outside the sandbox directory is not allowed")
sys.addaudithook(_hook)
sys.argv = ["main.py"]
sys.path.insert(0, _root)
runpy.run_path("main.py", run_name="__main__")
"""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Resource limits for one run."""

    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 20
    wall_seconds: float = 30.0
    file_bytes: int = 16 * 1024 * 1024
    open_files: int = 64
    processes: int = 64


@dataclass(frozen=True, slots=True)
class RunResult:
    """How one run ended."""

    ok: bool
    returncode: int | None
    timed_out: bool
    seconds: float
    stderr_tail: str


def _prlimit_argv(limits: SandboxLimits, unprivileged: bool) -> list[str]:
    """util-linux `prlimit` sets the limits before exec. A preexec_fn would do the same but
    runs Python between fork and exec in a multi-threaded server, which can deadlock."""
    argv = [
        str(shutil.which("prlimit")),
        f"--as={limits.memory_bytes}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
    ]
    if unprivileged:  # root ignores RLIMIT_NPROC; for others it bounds fork bombs
        argv.append(f"--nproc={limits.processes}")
    return [*argv, "--"]


def _drop_privileges() -> list[str]:
    """util-linux `setpriv` switches to nobody before exec. Popen(user=..., group=...) would do
    it in the forked child, where glibc's setxid broadcast can deadlock a threaded server."""
    return [
        str(shutil.which("setpriv")),
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "--",
    ]


def _lifetime_argv(wall_seconds: float) -> tuple[list[str], list[str]]:
    """The argv prefixes that tie the run to the server (see "Lifetime"): the outer one
    starts the chain, the inner one comes right before prlimit."""
    setpriv = str(shutil.which("setpriv"))
    deadline = f"{wall_seconds + TIMEOUT_SLACK:g}"
    outer = [setpriv, "--pdeathsig", "TERM", "--"]
    watchdog = [str(shutil.which("timeout")), f"--kill-after={KILL_AFTER}", "--signal=KILL"]
    return [*outer, *watchdog, deadline], [setpriv, "--pdeathsig", "KILL", "--"]


def _prepare(workdir: Path, code: str, unprivileged: bool) -> None:
    """Write the script; hand the directory to nobody when the run drops privileges."""
    (workdir / "main.py").write_text(code, encoding="utf-8")
    if unprivileged:
        os.chown(workdir, NOBODY, NOBODY)
        for path in workdir.rglob("*"):
            os.chown(path, NOBODY, NOBODY)


class Sandbox:
    """Runs a script in a working directory under the layers described above."""

    def __init__(self, python: str | None = None, limits: SandboxLimits | None = None) -> None:
        self.python = python or sys.executable
        self.limits = limits or SandboxLimits()
        self._unshare: bool | None = None
        self._nobody: bool | None = None

    def _probe(self, argv: list[str], **kwargs: object) -> bool:
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell
                argv,
                capture_output=True,
                timeout=10,
                check=False,
                **kwargs,  # type: ignore[call-overload]
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return bool(done.returncode == 0)

    def capabilities(self) -> dict[str, bool]:
        """Which isolation layers this host supports (probed once, then cached)."""
        if self._unshare is None:
            unshare = shutil.which("unshare")
            self._unshare = bool(unshare) and self._probe([str(unshare), "--net", "--", "true"])
        if self._nobody is None:
            # Dropping to nobody needs the interpreter, the venv and the work dir readable by
            # nobody, which this deployment does not guarantee; opt in with
            # REGISTRY_SANDBOX_AS_NOBODY=1 where it holds (setpriv, never Popen(user=...):
            # glibc's setxid in a child forked from a threaded server can deadlock).
            self._nobody = (
                os.environ.get("REGISTRY_SANDBOX_AS_NOBODY") == "1"
                and os.getuid() == 0
                and shutil.which("setpriv") is not None
                and self._probe([*_drop_privileges(), self.python, "-c", "pass"])
            )
        return {"network_namespace": self._unshare, "unprivileged_user": self._nobody}

    def environment(self, workdir: Path) -> dict[str, str]:
        """The child's whole environment: nothing inherited, so no secret can leak in."""
        return {
            "PATH": "/usr/bin:/bin",
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "HF_HOME": str(workdir / ".hf"),
            "http_proxy": "",
            "https_proxy": "",
            "HTTP_PROXY": "",
            "HTTPS_PROXY": "",
            "no_proxy": "*",
        }

    async def run(self, workdir: Path, code: str) -> RunResult:
        """Write code to workdir/main.py and run it; the result says whether it exited 0."""
        caps = await asyncio.to_thread(self.capabilities)
        await asyncio.to_thread(_prepare, workdir, code, caps["unprivileged_user"])
        argv = [self.python, "-E", "-s", "-B", "-c", PRELUDE]
        missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} is required to run sandboxed code")
        outer, inner = _lifetime_argv(self.limits.wall_seconds)
        argv = [*inner, *_prlimit_argv(self.limits, caps["unprivileged_user"]), *argv]
        # Outermost first at run time: the parent-death signal and `timeout`, unshare (needs
        # root), then drop to nobody, then the inner parent-death signal and prlimit.
        if caps["unprivileged_user"]:
            argv = [*_drop_privileges(), *argv]
        if caps["network_namespace"]:
            argv = [str(shutil.which("unshare")), "--net", "--", *argv]
        argv = [*outer, *argv]
        started = time.perf_counter()
        # subprocess.Popen in a worker thread, not asyncio.create_subprocess_exec: under uvloop
        # (what `registry serve` runs) the forked child runs Python's at-fork handlers before
        # exec, and huggingface_hub's takes an HTTP pool lock another thread may hold; the
        # child then never execs and uvloop's spawn blocks the event loop for good (seen in a
        # full test run). Popen without preexec_fn runs no Python between fork and exec.
        returncode, timed_out = await asyncio.to_thread(
            _run_blocking, argv, workdir, self.environment(workdir), self.limits.wall_seconds
        )
        err = await asyncio.to_thread(_tail, workdir / STDERR_NAME, 4000)
        seconds = time.perf_counter() - started
        tail = err.decode("utf-8", errors="replace").strip()
        return RunResult(
            ok=returncode == 0 and not timed_out,
            returncode=returncode,
            timed_out=timed_out,
            seconds=round(seconds, 3),
            stderr_tail=tail,
        )


REQUIRED_TOOLS = ("prlimit", "setpriv", "timeout")  # util-linux and coreutils
STDERR_NAME = ".stderr"  # in the work dir: bounded by the file-size limit, never held whole


def _run_blocking(
    argv: list[str], workdir: Path, env: dict[str, str], wall_seconds: float
) -> tuple[int, bool]:
    """Run argv to completion or the wall-clock limit (then kill its process group)."""
    with (workdir / STDERR_NAME).open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed argv
            argv,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, so a timeout kills every child
        )
        try:
            process.wait(timeout=wall_seconds)
            return process.returncode, False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return process.returncode, True


def _tail(path: Path, size: int) -> bytes:
    """The last `size` bytes of a file (b"" when it is missing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - size))
            return handle.read()
    except FileNotFoundError:
        return b""

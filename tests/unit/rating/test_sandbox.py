"""The sandbox contains card code: network, writes outside, time, memory; and file picking."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.rating import reproducibility
from registry.rating.sandbox import Sandbox, SandboxLimits

SANDBOX = Sandbox(limits=SandboxLimits(wall_seconds=5, cpu_seconds=5, memory_bytes=512 * 1024**2))


async def run(tmp_path: Path, code: str) -> tuple[bool, str]:
    work = tmp_path / "work"
    work.mkdir()
    result = await SANDBOX.run(work, code)
    return result.ok, result.stderr_tail


async def test_plain_code_runs(tmp_path: Path) -> None:
    ok, _ = await run(tmp_path, "import json\nopen('out.json', 'w').write(json.dumps([1]))\n")
    assert ok and (tmp_path / "work" / "out.json").read_text() == "[1]"


async def test_sockets_are_refused(tmp_path: Path) -> None:
    ok, err = await run(tmp_path, "import socket\nsocket.create_connection(('192.0.2.1', 80))\n")
    assert not ok and "network access is disabled" in err


async def test_raw_socket_module_is_refused(tmp_path: Path) -> None:
    code = "import _socket\ns = _socket.socket()\ns.connect(('192.0.2.1', 80))\n"
    ok, err = await run(tmp_path, code)
    assert not ok and "socket.connect is not allowed" in err


async def test_writes_outside_the_directory_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "outside.txt"
    ok, err = await run(tmp_path, f"open({str(target)!r}, 'w').write('x')\n")
    assert not ok and "outside the sandbox directory" in err
    assert not target.exists()


async def test_subprocesses_are_refused(tmp_path: Path) -> None:
    ok, err = await run(tmp_path, "import os\nos.system('true')\n")
    assert not ok and "os.system is not allowed" in err


async def test_environment_holds_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_GITHUB_TOKEN", "s3cret")
    ok, err = await run(
        tmp_path,
        "import os\nassert 'REGISTRY_GITHUB_TOKEN' not in os.environ, 'leak'\n"
        "assert os.environ['HF_HUB_OFFLINE'] == '1'\n",
    )
    assert ok, err


async def test_wall_clock_timeout_kills(tmp_path: Path) -> None:
    sandbox = Sandbox(limits=SandboxLimits(wall_seconds=1, cpu_seconds=5))
    work = tmp_path / "w"
    work.mkdir()
    result = await sandbox.run(work, "import time\ntime.sleep(30)\n")
    # Killed at its 1 s wall clock, not after the script's 30 s (bound loose for a busy box).
    assert result.timed_out and not result.ok and result.seconds < 20


async def test_memory_limit(tmp_path: Path) -> None:
    ok, err = await run(tmp_path, "x = bytearray(2 * 1024**3)\n")
    assert not ok and "MemoryError" in err


def test_network_namespace_is_probed() -> None:
    caps = SANDBOX.capabilities()
    assert set(caps) == {"network_namespace", "unprivileged_user"}


def test_pick_files_refuses_escapes_and_big_files() -> None:
    files = [
        {"path": "../evil", "size": 1},
        {"path": "/abs", "size": 1},
        {"path": "config.json", "size": 10},
        {"path": "big.bin", "size": reproducibility.FILE_MAX_BYTES + 1},
        {"path": "sub/tok.json", "size": 20},
    ]
    assert [p for p, _ in reproducibility.pick_files(files)] == ["config.json", "sub/tok.json"]


async def test_evaluate_cases(tmp_path: Path) -> None:
    async def nothing(_dest: Path) -> None:
        return None

    none = await reproducibility.evaluate(SANDBOX, "no code", [], nothing)
    assert (none.score, none.case) == (0.0, "no_code")
    good = await reproducibility.evaluate(SANDBOX, "```python\nprint(1)\n```", [], nothing)
    assert (good.score, good.case) == (1.0, "unchanged")
    fixed = await reproducibility.evaluate(
        SANDBOX, "```python\n    x = json.dumps([1])\n```", [], nothing
    )
    assert (fixed.score, fixed.case, fixed.repairs) == (0.5, "repaired", ["dedent", "add_imports"])
    bad = await reproducibility.evaluate(SANDBOX, "```python\nimport nope_xyz\n```", [], nothing)
    assert (bad.score, bad.case) == (0.0, "failed") and "nope_xyz" in bad.reason


_ARMED = threading.Event()
_HELD = threading.Lock()
# An at-fork handler that blocks while another thread holds a lock, like huggingface_hub's
# (it closes its HTTP session, whose pool lock a request thread may hold). Registered once,
# armed only inside the test below: handlers can never be unregistered.
os.register_at_fork(after_in_child=lambda: _HELD.acquire() if _ARMED.is_set() else None)


def test_a_run_under_uvloop_survives_a_blocking_at_fork_handler(tmp_path: Path) -> None:
    import uvloop

    outcome: list[object] = []

    def serve() -> None:  # as `registry serve` runs: uvloop, with other threads about
        outcome.append(uvloop.run(SANDBOX.run(tmp_path, "print('ok')")))

    with _HELD:
        _ARMED.set()
        try:
            worker = threading.Thread(target=serve, daemon=True)
            worker.start()
            worker.join(20)
        finally:
            _ARMED.clear()
    assert not worker.is_alive(), "the sandbox hung: a child ran the at-fork handler"
    assert outcome and outcome[0].ok  # type: ignore[attr-defined]


# --- the sandbox never outlives its server ----------------------------------------------------

SERVER = """
import asyncio, sys
from pathlib import Path
from registry.rating.sandbox import Sandbox, SandboxLimits
limits = SandboxLimits(wall_seconds=float(sys.argv[3]), cpu_seconds=300)
asyncio.run(Sandbox(limits=limits).run(Path(sys.argv[1]), sys.argv[2]))
"""
SLEEPER = """
import os, signal, time
{before}
open("pid", "w").write(str(os.getpid()))
time.sleep(600)
"""
FORKER = """
import ctypes, os, time
child = ctypes.CDLL(None).fork()  # past the audit hook, as hostile code could
if child == 0:
    open("child.pid", "w").write(str(os.getpid()))
else:
    open("pid", "w").write(str(os.getpid()))
time.sleep(600)
"""


def running(pid: int) -> bool:
    """Whether a process exists and has not exited (a zombie waiting to be reaped has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live processes in a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll a condition until it holds; fail naming it after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s: {what}"
        time.sleep(0.05)


def start_server(work: Path, code: str, wall: float = 300) -> subprocess.Popen[bytes]:
    """A registry-like process running one sandbox run of `code` in `work`."""
    work.mkdir()
    return subprocess.Popen([sys.executable, "-c", SERVER, str(work), code, str(wall)])


def sandbox_pid(work: Path, name: str = "pid") -> int:
    """The pid the sandboxed script wrote, once it has."""
    path = work / name
    wait_until(lambda: path.exists() and path.read_text().isdigit(), 60, f"{name} written")
    return int(path.read_text())


@pytest.mark.parametrize("before", ["", "signal.signal(signal.SIGTERM, signal.SIG_IGN)"])
def test_the_sandbox_dies_with_its_killed_server(tmp_path: Path, before: str) -> None:
    work = tmp_path / "work"
    server = start_server(work, SLEEPER.format(before=before))
    try:
        pid = sandbox_pid(work)
        group = os.getpgid(pid)
        assert group != os.getpgid(server.pid)  # a session of its own
        server.kill()  # kill -9: the server runs no clean-up at all
        server.wait()
        wait_until(lambda: not running(pid), 30, "the sandboxed script gone")
        wait_until(lambda: not group_members(group), 30, "its whole process group gone")
    finally:
        server.kill()
        server.wait()


def test_the_sandbox_dies_at_its_own_deadline_when_the_server_hangs(tmp_path: Path) -> None:
    work = tmp_path / "work"
    server = start_server(work, SLEEPER.format(before=""), wall=1)
    try:
        pid = sandbox_pid(work)
        server.send_signal(signal.SIGSTOP)  # alive but frozen: its wall clock never fires
        wait_until(lambda: not running(pid), 30, "the sandboxed script gone")
    finally:
        server.kill()
        server.wait()


async def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    sandbox = Sandbox(limits=SandboxLimits(wall_seconds=3, cpu_seconds=5))
    result = await sandbox.run(work, FORKER)
    assert result.timed_out and not result.ok
    pids = [int((work / name).read_text()) for name in ("pid", "child.pid")]
    # SIGKILL lands as each process is next scheduled: wait for it, briefly.
    wait_until(lambda: not any(running(pid) for pid in pids), 30, "script and its fork gone")

"""Download benchmark: the registry against nginx serving the same zip, plus a 2 GB memory run.

    python -m benchmarks.bench_downloads [--rounds 4] [--duration 10] [--connections 100]
                                         [--big-mb 2048]

Starts `registry serve` on SQLite + local blobs in a temp directory, fills it with 500 models,
uploads a generated Tiny-LLM-sized package (~28 MB in 9 files), and drives 100 concurrent
connections at its download route with wrk (apt `wrk`), then the same workload at nginx (apt
`nginx`, one worker, sendfile) serving the same zip from disk, in the same run, alternating
the two for several rounds so a slow spell of this shared machine hits both. Then it uploads
and downloads a package of --big-mb megabytes while sampling the server's RSS. Results go to the
"Downloads" section of docs/performance.md. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "benchmarks" / "download_notes.md"  # the analysis under the figures
LONG = httpx.Timeout(1800.0)  # a 2 GB upload on a busy disk takes minutes
ADMIN = "ece30861defaultadminuser"
# The contract's published bootstrap password of the default admin, not a secret.
PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"  # noqa: S105
# Tiny-LLM's layout (arnir0/Tiny-LLM): nine files, ~28 MB, nearly all of it the weights.
TINY_LLM = {
    "model.safetensors": 26_000_000,
    "tokenizer.json": 1_800_000,
    "tokenizer.model": 500_000,
    "README.md": 2_000,
    "config.json": 700,
    "generation_config.json": 150,
    "tokenizer_config.json": 1_000,
    "special_tokens_map.json": 500,
    ".gitattributes": 1_500,
}


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_package(target: Path, sizes: dict[str, int]) -> Path:
    """A stored zip of files with pseudo-random bytes of the given sizes."""
    block = os.urandom(1024 * 1024)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, size in sizes.items():
            with archive.open(
                zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), "w", force_zip64=True
            ) as out:
                left = size
                while left > 0:
                    out.write(block[: min(left, len(block))])
                    left -= len(block)
    return target


async def fill(database_url: str, count: int) -> None:
    """Register `count` filler models straight through the repository (fast, no sources)."""
    from registry.db.engine import Database
    from registry.db.models import ArtifactRow
    from registry.ids import new_artifact_id, utcnow

    db = Database(database_url)
    await db.migrate()
    async with db.unit_of_work(write=True) as uow:
        now = utcnow()
        for index in range(count):
            await uow.artifacts.add(
                ArtifactRow(
                    id=new_artifact_id(), name=f"filler-model-{index}", type="model",
                    url=f"https://huggingface.co/filler/model-{index}", source_kind="url",
                    source_ref=f"filler/model-{index}", created_by=ADMIN,
                    created_at=now, updated_at=now, card_text=f"Filler model {index}.",
                )
            )  # fmt: skip
    await db.dispose()


class Server:
    """`registry serve` in a subprocess."""

    def __init__(self, work: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.database_url = f"sqlite+aiosqlite:///{work / 'registry.db'}"
        self.env = {
            **os.environ,
            "REGISTRY_DATABASE_URL": self.database_url,
            "REGISTRY_BLOB_LOCAL_PATH": str(work / "blobs"),
            "REGISTRY_PACKAGE_TMP_DIR": str(work / "tmp"),
            "REGISTRY_TOKEN_MAX_CALLS": "1000000",  # wrk reuses one token for every request
            "REGISTRY_LOG_LEVEL": "warning",
            "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing here may reach the internet
            "GITHUB_API_URL": "http://127.0.0.1:9",
        }
        (work / "tmp").mkdir()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until /health answers."""
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "registry", "serve", "--port", str(self.port)], env=self.env
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("registry did not start")

    def stop(self) -> None:
        """Terminate the server."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)


def login(url: str) -> str:
    """An admin token."""
    body = {"user": {"name": ADMIN, "is_admin": True}, "secret": {"password": PASSWORD}}
    response = httpx.put(f"{url}/authenticate", json=body, timeout=30)
    response.raise_for_status()
    return str(response.json())


def file_body(path: Path) -> Iterator[bytes]:
    """Stream a file as a request body."""
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def upload(url: str, token: str, path: Path, name: str) -> str:
    """Upload a zip; return the artifact id."""
    response = httpx.post(
        f"{url}/artifact/model/upload",
        params={"name": name, "version": "1.0.0"},
        content=file_body(path),
        headers={"X-Authorization": token, "content-type": "application/zip"},
        timeout=LONG,
    )
    if response.status_code != 201:
        raise RuntimeError(f"upload failed: {response.status_code} {response.text[:300]}")
    return str(response.json()["metadata"]["id"])


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk printed a latency this script cannot read: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, connections: int, duration: int, header: str | None) -> dict[str, float]:
    """Run wrk; return requests/s, MB/s, mean, median and p99 latency in seconds."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "120s", "--latency"]
    if header:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    mean = re.search(r"Latency\s+(\d\S*)", output)
    # Percentile lines only: a "+/- Stdev" column may also end in 50% or 99%.
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    assert mean and p50 and p99 and rps and done, output
    return {
        "requests": int(done.group(1)),
        "rps": float(rps.group(1)),
        "mean": _seconds(mean.group(1)),
        "median": _seconds(p50.group(1)),
        "p99": _seconds(p99.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


def with_cpu(pids: list[int], run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run a wrk load and add the servers' CPU time per request (ms, user + system; a
    process's children included, so nginx's worker counts)."""
    processes = [psutil.Process(pid) for pid in pids]
    processes += [child for p in processes for child in p.children(recursive=True)]

    def cpu() -> float:
        return sum(sum(p.cpu_times()[:2]) for p in processes)

    before = cpu()
    result = run()
    result["cpu_ms_per_request"] = (cpu() - before) * 1000 / max(result["requests"], 1)
    return result


def combine(rounds: list[dict[str, float]], seconds: float) -> dict[str, float]:
    """One server's rounds as one result: throughput and CPU over all of them, the mean
    weighted by requests, and the median of the rounds' median, p99 and p99 / median (wrk
    reports percentiles per run only)."""
    requests = sum(r["requests"] for r in rounds)

    def middle(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    return {
        "requests": requests,
        "rps": requests / seconds,
        "mean": sum(r["mean"] * r["requests"] for r in rounds) / max(requests, 1),
        "median": middle("median"),
        "p99": middle("p99"),
        "tail_ratio": statistics.median(r["p99"] / r["median"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "timeouts": sum(r["timeouts"] for r in rounds),
        "cpu_ms_per_request": sum(r["cpu_ms_per_request"] * r["requests"] for r in rounds)
        / max(requests, 1),
        "round_rps": [round(r["rps"], 1) for r in rounds],  # type: ignore[dict-item]
    }


def nginx(work: Path, port: int, served: Path) -> subprocess.Popen[bytes]:
    """nginx on a loopback port serving one directory, one worker, sendfile on."""
    conf = work / "nginx.conf"
    conf.write_text(
        f"""daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path {work}/nb; proxy_temp_path {work}/np; fastcgi_temp_path {work}/nf;
  uwsgi_temp_path {work}/nu; scgi_temp_path {work}/ns;
  server {{ listen 127.0.0.1:{port}; root {served}; }} }}
"""
    )
    # nginx workers drop to an unprivileged user, which must be able to read the zip.
    for directory in (work, served):
        directory.chmod(0o755)
    (served / "tiny-llm.zip").chmod(0o644)
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])  # noqa: S603, S607
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            probe = httpx.head(f"http://127.0.0.1:{port}/tiny-llm.zip", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.1)
            continue
        if probe.status_code != 200:
            raise RuntimeError(f"nginx answers {probe.status_code} for the zip")
        return process
    raise RuntimeError("nginx did not start")


class RssSampler(threading.Thread):
    """Samples a process's resident set size every 20 ms; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self.running = True

    def run(self) -> None:
        """Sample until stopped."""
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)


def memory_run(server: Server, token: str, work: Path, big_mb: int) -> dict[str, Any]:
    """Upload and download a big package; peak RSS before, during upload, during download."""
    per_file = big_mb * 1024 * 1024 // 4
    big = make_package(
        work / "big.zip", {f"model-0000{i}-of-00004.safetensors": per_file for i in range(1, 5)}
    )
    assert server.process is not None
    baseline = psutil.Process(server.process.pid).memory_info().rss
    sampler = RssSampler(server.process.pid)
    sampler.start()
    started = time.perf_counter()
    artifact_id = upload(server.url, token, big, "big-model")
    upload_seconds = time.perf_counter() - started
    upload_peak = sampler.peak
    started = time.perf_counter()
    digest = hashlib.sha256()
    with httpx.stream(
        "GET", f"{server.url}/artifacts/model/{artifact_id}/download",
        params={"part": "weights"}, headers={"X-Authorization": token}, timeout=LONG,
    ) as response:  # fmt: skip
        response.raise_for_status()
        for chunk in response.iter_bytes(1024 * 1024):
            digest.update(chunk)
    download_seconds = time.perf_counter() - started
    sampler.running = False
    sampler.join()
    size = big.stat().st_size
    big.unlink()
    return {
        "size_mb": round(size / 1024**2),
        "baseline_rss_mb": round(baseline / 1024**2, 1),
        "upload_peak_rss_mb": round(upload_peak / 1024**2, 1),
        "peak_rss_mb": round(sampler.peak / 1024**2, 1),
        "upload_seconds": round(upload_seconds, 1),
        "weights_zip_build_and_download_seconds": round(download_seconds, 1),
    }


def report(results: dict[str, Any]) -> str:
    """The Downloads section of docs/performance.md."""
    reg, ngx, mem = results["registry"], results["nginx"], results["memory"]
    ratio = reg["rps"] / ngx["rps"] if ngx["rps"] else 0.0
    mb = results["package_bytes"] / 1024**2

    def row(name: str, r: dict[str, float]) -> str:
        return (
            f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['rps'] * mb:.0f} | "
            f"{r['mean'] * 1000:.0f} | {r['median'] * 1000:.0f} | {r['p99'] * 1000:.0f} | "
            f"{r['errors'] + r['timeouts']} |"
        )

    return f"""## Downloads

Measured by `make bench` (`benchmarks/bench_downloads.py`) on {results["date"]}, on this shared
{results["cpus"]}-core machine with the load generator (wrk, 2 threads) on the same cores. The
registry holds {results["models"]} models; the package is a generated Tiny-LLM-sized zip
({mb:.1f} MB in 9 files); {results["connections"]} concurrent connections, {results["rounds"]}
rounds of {results["duration"]} s per server, registry and nginx taking turns in the same run.
The registry runs one uvicorn process on SQLite + the local blob store; nginx runs one worker
with sendfile. Every registry request also authenticates its token and writes an audit entry.
Throughput and CPU are over all rounds; median and p99 are the median of the rounds' own.

| server | requests | req/s | MB/s | mean ms | median ms | p99 ms | errors |
|---|---|---|---|---|---|---|---|
{row("registry", reg)}
{row("nginx", ngx)}

- Throughput ratio registry / nginx: **{ratio:.2f}** (target >= 0.8). Per round, req/s:
  registry {", ".join(map(str, reg["round_rps"]))}; nginx {", ".join(map(str, ngx["round_rps"]))}.
- p99 / median (median of the rounds): registry **{reg["tail_ratio"]:.2f}** (target <= 3),
  nginx {ngx["tail_ratio"]:.2f}.

Server CPU per request (user + system): registry **{reg["cpu_ms_per_request"]:.1f} ms**,
nginx {ngx["cpu_ms_per_request"]:.1f} ms.

Memory, {mem["size_mb"]} MB package (4 weight shards): server RSS {mem["baseline_rss_mb"]} MB at
rest, peak {mem["upload_peak_rss_mb"]} MB while uploading ({mem["upload_seconds"]} s: spool,
validate, hash, store), peak **{mem["peak_rss_mb"]} MB** over upload and download of the
weights part ({mem["weights_zip_build_and_download_seconds"]} s, including building that part's
zip once). Target: < 300 MB.

{NOTES.read_text() if NOTES.exists() else ""}"""


def write_section(section: str) -> None:
    """Replace (or append) the Downloads section of docs/performance.md, keeping the others."""
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(r"^## Downloads\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


def main() -> int:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=10, help="seconds per server per round")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--big-mb", type=int, default=2048)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"{tool} is required: apt-get install -y {tool}", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="bench-downloads-"))
    server = Server(work, free_port())
    nginx_process = None
    try:
        asyncio.run(fill(server.database_url, args.models - 1))
        package = make_package(work / "tiny-llm.zip", TINY_LLM)
        server.start()
        token = login(server.url)
        artifact_id = upload(server.url, token, package, "tiny-llm")
        download = f"{server.url}/artifacts/model/{artifact_id}/download"
        warm = httpx.get(download, headers={"X-Authorization": token}, timeout=60)
        assert warm.content == package.read_bytes(), "the download differs from the upload"
        served = work / "www"
        served.mkdir()
        shutil.copy(package, served / "tiny-llm.zip")
        nginx_port = free_port()
        nginx_process = nginx(work, nginx_port, served)
        header = f"X-Authorization: {token}"
        assert server.process is not None
        nginx_url = f"http://127.0.0.1:{nginx_port}/tiny-llm.zip"
        registry_rounds, nginx_rounds = [], []
        for _round in range(args.rounds):
            registry_rounds.append(
                with_cpu(
                    [server.process.pid],
                    lambda: wrk(download, args.connections, args.duration, header),
                )
            )
            nginx_rounds.append(
                with_cpu(
                    [nginx_process.pid],
                    lambda: wrk(nginx_url, args.connections, args.duration, None),
                )
            )
        seconds = args.rounds * args.duration
        registry_result = combine(registry_rounds, seconds)
        nginx_result = combine(nginx_rounds, seconds)
        memory = memory_run(server, token, work, args.big_mb)
        results = {
            "date": time.strftime("%Y-%m-%d"),
            "cpus": os.cpu_count(),
            "models": args.models,
            "connections": args.connections,
            "duration": args.duration,
            "rounds": args.rounds,
            "package_bytes": package.stat().st_size,
            "registry": registry_result,
            "nginx": nginx_result,
            "memory": memory,
        }
        print(json.dumps(results, indent=2))
        write_section(report(results))
    finally:
        if nginx_process is not None:
            nginx_process.terminate()
            nginx_process.wait(10)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the benchmarks share: a scratch database, the pgbench baseline, the served app and a light HTTP client."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akiba.platform import embedded  # noqa: E402
from akiba.platform.runtime import Runtime  # noqa: E402
from akiba.platform.settings import Settings  # noqa: E402
from akiba.platform.tenancy import migrate_control  # noqa: E402

PASSWORD = "Bench-pass-1234"  # noqa: S105  # the admin of throwaway tenants in a temporary database


def database(server_url: str, name: str) -> str:
    """A new, empty database `name` on the server (dropped first if it exists); answers its URL."""
    with psycopg.connect(embedded.libpq_uri(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, query = server_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


@contextmanager
def scratch_home(prefix: str) -> Iterator[Path]:
    """A temporary folder for the embedded server, whose server is stopped before the folder is removed: a
    server still running writes into the folder (a checkpoint) while it is being deleted."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home = Path(tmp)
        os.chmod(home, 0o755)  # noqa: S103  # the embedded server runs as its own user when we are root
        try:
            yield home
        finally:
            embedded.stop(home)


def scratch_platform(home: Path, name: str, token_rate_limit_per_minute: int = 100_000) -> tuple[str, Runtime]:
    """The embedded server under `home` with a migrated control database `name`: (server URL, runtime)."""
    server_url = embedded.start(home, database="postgres")
    control_url = database(server_url, name)
    migrate_control(control_url)
    settings = Settings(home=home, token_rate_limit_per_minute=token_rate_limit_per_minute)
    return server_url, Runtime(settings, control_url)


def pgbench_tps(server_url: str, seconds: int, clients: int, name: str = "pgbench_baseline") -> float:
    """pgbench TPC-B (scale 10) from the embedded server's own bin/, on the same server, in its own database."""
    url = embedded.libpq_uri(database(server_url, name))
    pgbench = str(embedded.bin_dir() / "pgbench")
    subprocess.run([pgbench, "-i", "-s", "10", "-q", url], check=True, capture_output=True)
    out = subprocess.run([pgbench, "-c", str(clients), "-j", str(clients), "-T", str(seconds), url],
                         check=True, capture_output=True, text=True).stdout
    found = re.search(r"tps = ([0-9.]+)", out)
    assert found, out
    return float(found.group(1))


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_app() -> Any:
    """uvicorn --factory entry point of each server process of `serve`."""
    from akiba.platform.app import create_app
    from akiba.platform.bootstrap import configure_logging
    from akiba.platform.settings import Settings

    configure_logging("WARNING")
    settings = Settings(home=Path(os.environ["BENCH_HOME"]), token_rate_limit_per_minute=100_000)
    return create_app(settings, os.environ["BENCH_CONTROL_URL"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(home: Path, control_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The app under uvicorn with `workers` processes, as a deployment runs it; answers once it is ready."""
    env = {**os.environ, "BENCH_HOME": str(home), "BENCH_CONTROL_URL": control_url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench._common:make_app", "--factory", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with KeepAliveClient(port, {}) as probe:
                if probe.request("GET", "/health/ready")[0] == 200:
                    return process
        except OSError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("the server did not start")


class KeepAliveClient:
    """A minimal HTTP/1.1 client for load generation: one keep-alive connection, each request written whole,
    each answer read by its Content-Length.

    The load generator shares the machine with the server and the database it measures; httpx spends about
    0.8 ms of CPU per request, this a few tens of microseconds, so the figure is the server's, not the client's
    (pgbench's own client is C, and as light).
    """

    def __init__(self, port: int, headers: dict[str, str], host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
        self.buffer = b""

    def __enter__(self) -> KeepAliveClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = b"" if body is None else json.dumps(body).encode()
        extra = f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n" if body is not None else ""
        self.sock.sendall(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + payload)
        status, content = self._answer()
        return status, json.loads(content) if content else None

    def _answer(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(fields.get("content-length", "0"))
        while len(self.buffer) < length:
            self._read()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), content

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

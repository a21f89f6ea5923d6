"""A real S3 server for integration tests: moto's HTTP server, in its own process.

It runs in a child process rather than a thread of the test process so that memory measured in a test
(tracemalloc) is the client's alone, not the server's copy of the upload.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from storage import S3Store

_SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the test session closes our stdin
server.stop()
"""

ACCESS_KEY = "saraban-test"
SECRET_KEY = "saraban-test-secret"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    pytest.importorskip("moto.server", reason="moto[server] is not installed: no S3 server for the S3 tests")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    # The server's request log goes to a file, read back only when the server fails to start.
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            env=env,
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            proc.wait(timeout=10)
            pytest.fail(f"moto server did not start (exit code {proc.poll()}):\n{log.read_text()[-3000:]}")
        yield {"endpoint": f"127.0.0.1:{line}", "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3_store(s3_server: dict[str, str]) -> S3Store:
    """A store on a bucket of its own, so tests never see each other's objects."""
    return S3Store(
        endpoint=s3_server["endpoint"],
        access_key=s3_server["access_key"],
        secret_key=s3_server["secret_key"],
        bucket=f"test-{uuid.uuid4().hex[:20]}",
    )

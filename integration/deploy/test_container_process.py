"""The server as the container runs it, without a container engine: `gradcam serve` as
PID 1 of its own PID namespace (the Dockerfile's exec-form CMD, no init), with the root
filesystem read-only and an empty tmpfs on /tmp (the Deployment's readOnlyRootFilesystem
and /tmp emptyDir), the models and the key file on read-only mounts (the volume and the
Secret). It must start, serve, reload its keys on SIGHUP and drain on SIGTERM.

Needs root (namespaces and mounts); skipped elsewhere.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import time

import pytest
import requests

import deploy_support as support

KEY_1 = "container-key-one-5b1f0c"
KEY_2 = "container-key-two-8e2d4a"
IMAGE = support.ROOT / "Tests/Fixtures/images/chelsea_224.png"


def namespaces_available() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--kill-child", "true"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not namespaces_available(), reason="needs root and unshare (namespaces)")


def child_of(pid: int, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.02)
    raise AssertionError("the namespace's first process never appeared")


@pytest.fixture
def contained(gradcam_bin, tmp_path):
    mount_point = pathlib.Path("/mnt")
    assert mount_point.is_dir()
    support.models_directory(tmp_path / "models")
    (tmp_path / "keys").write_text(KEY_1 + "\n")
    binary_dir = tmp_path / "bin"
    binary_dir.mkdir()
    shutil.copy(gradcam_bin, binary_dir / "gradcam")
    port = support.free_port()
    # In a private mount namespace: the test's directory read-only on /mnt (like the models
    # volume and the Secret), / read-only, a fresh tmpfs on /tmp; then exec, so that
    # gradcam is PID 1.
    script = " && ".join([
        "mount --make-rprivate /",
        f"mount --bind {tmp_path} /mnt",
        "mount -o remount,bind,ro /mnt",
        "mount -t tmpfs -o size=64m tmpfs /tmp",
        "mount -o remount,bind,ro /",
        f"exec /mnt/bin/gradcam serve --host 127.0.0.1 --port {port} --models-dir /mnt/models"
        " --workers 1 --threads 1 --api-key-file /mnt/keys",
    ])
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--kill-child", "sh", "-c", script],
                                   stdout=log, stderr=subprocess.STDOUT)
    server_pid = child_of(process.pid)
    url = f"http://127.0.0.1:{port}"
    yield process, server_pid, url, tmp_path, log_path
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)  # --kill-child takes the namespace with it
        process.wait()


def wait_ready(url: str, process, log_path: pathlib.Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(log_path.read_text())


def predict(url: str, key: str) -> int:
    model = requests.get(f"{url}/models", timeout=10).json()["models"][0]["name"]
    with open(IMAGE, "rb") as image:
        return requests.post(f"{url}/predict", params={"model": model}, files={"image": image},
                             headers={"Authorization": f"Bearer {key}"}, timeout=60).status_code


def test_pid_1_on_a_read_only_root_serves_reloads_and_drains(contained):
    process, server_pid, url, workdir, log_path = contained
    status = pathlib.Path(f"/proc/{server_pid}/status").read_text()
    ns_pid = [line for line in status.splitlines() if line.startswith("NSpid:")][0].split()
    assert ns_pid[-1] == "1", f"gradcam is not PID 1 in its namespace: {ns_pid}"
    wait_ready(url, process, log_path)
    assert predict(url, KEY_1) == 200, log_path.read_text()

    # SIGHUP to PID 1 (`docker kill -s HUP`, `kubectl exec ... kill -HUP 1`) rereads the keys.
    (workdir / "keys").write_text(KEY_2 + "\n")
    os.kill(server_pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "API keys reloaded" not in log_path.read_text():
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.05)
    assert predict(url, KEY_2) == 200 and predict(url, KEY_1) == 401

    # SIGTERM to PID 1 (`docker stop`, the kubelet): a drain (5 s of announcement, nothing
    # in flight) and a clean exit, well within the grace periods of the manifests.
    began = time.monotonic()
    os.kill(server_pid, signal.SIGTERM)
    code = process.wait(timeout=30)
    elapsed = time.monotonic() - began
    log = log_path.read_text()
    assert code == 0, log
    assert "stopped" in log and elapsed < 12, f"{elapsed:.1f} s\n{log}"
    assert "Read-only file system" not in log
    assert KEY_1 not in log and KEY_2 not in log

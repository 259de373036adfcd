"""Starts `gradcam serve` on a free loopback port for the bench scripts, and stops it.

Shared by bench/slow_body_attack.py and bench/drain.py. Raises the open-file limit
first (each connection is a descriptor on both ends).
"""
import resource
import socket
import subprocess
import sys
import time
import urllib.request


def raise_file_limit(wanted=16384):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`binary serve --models-dir models --port PORT *arguments`, ready when started."""

    def __init__(self, binary, arguments=(), models="models", log="/tmp/gradcam-bench.log"):
        self.port = free_port()
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--models-dir", models, "--port", str(self.port), *arguments],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server never became ready")
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def percentile(values, fraction):
    """The `fraction` quantile (nearest rank) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def own_arguments():
    """The script's own command-line arguments: those before `--`."""
    arguments = sys.argv[1:]
    return arguments[:arguments.index("--")] if "--" in arguments else arguments


def serve_arguments():
    """The arguments after `--`, passed on to `gradcam serve`."""
    arguments = sys.argv[1:]
    return arguments[arguments.index("--") + 1:] if "--" in arguments else []

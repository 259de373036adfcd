#!/usr/bin/env python3
"""How long a timed-out request keeps its worker (issue 11, finding 6).

Starts `gradcam serve --timeout T --workers 2` on the bundled models, sends two slow
requests at once (Score-CAM over the dilated `shapes-vgg`: minutes of work), and measures:
when each is answered (503 `timeout` at T), when `/metrics` shows both workers idle again,
and the latency of a normal `POST /predict` sent right after the two answers. Before the
engine checked deadlines, the workers stayed busy to the end of the work and the normal
request was answered 503 too.

    bench/timeout_frees_workers.py [--binary .build/release/gradcam] [--timeout 3]

Loopback only; every wait is bounded (at most --patience seconds in all).
"""
import argparse
import pathlib
import re
import socket
import subprocess
import sys
import threading
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMAGE = ROOT / "tools/shapes/samples/images/star_circle.jpg"
SLOW = "/gradcam?model=shapes-vgg&method=scorecam&dilate=true&format=json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def busy_workers(url):
    text = requests.get(url + "/metrics", timeout=5).text
    match = re.search(r"^gradcam_workers_busy (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / ".build/release/gradcam"))
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--patience", type=float, default=300.0, help="longest wait for the workers, in seconds")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [args.binary, "serve", "--models-dir", str(ROOT / "models"), "--port", str(port),
         "--workers", "2", "--threads", "1", "--timeout", str(args.timeout)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                if requests.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.25)
        else:
            sys.exit("the server never became ready")

        image = IMAGE.read_bytes()
        answers = []

        def slow():
            start = time.monotonic()
            reply = requests.post(url + SLOW, data=image, headers={"Content-Type": "image/jpeg"}, timeout=args.patience)
            answers.append((reply.status_code, time.monotonic() - start))

        start = time.monotonic()
        threads = [threading.Thread(target=slow) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.patience)
        answered = time.monotonic() - start

        predict_start = time.monotonic()
        reply = requests.post(url + "/predict?model=shapes-vgg", data=image,
                              headers={"Content-Type": "image/jpeg"}, timeout=args.patience)
        predict = (reply.status_code, time.monotonic() - predict_start)

        freed = None
        while time.monotonic() - start < args.patience:
            if busy_workers(url) == 0:
                freed = time.monotonic() - start
                break
            time.sleep(0.05)

        print(f"slow requests: {sorted(answers)} (status, seconds); both answered after {answered:.2f} s")
        print(f"normal POST /predict right after: status {predict[0]} in {predict[1] * 1000:.0f} ms")
        print("workers idle again: " + (f"{freed:.2f} s after the slow requests were sent" if freed is not None
                                        else f"not within {args.patience:.0f} s"))
        ok = freed is not None and freed < args.timeout + 2 and predict[0] == 200
        sys.exit(0 if ok else 1)
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()

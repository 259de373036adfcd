#!/usr/bin/env python3
"""Requests lost over SIGTERMs under load, and exit time (tracker issue 11, finding 7).

Usage: bench/drain.py BINARY [--trials 10] [--load-seconds 3] [-- SERVE-ARGS]

Each trial starts BINARY (`gradcam serve --timeout 20 --workers 4 --threads 1` plus
SERVE-ARGS) on loopback with the demo models, and runs clients, each in its own thread with its own keep-alive
connection (a new one after `Connection: close` or a closed connection):
- 6 fast clients: `POST /predict?model=shapes-alexnet` with a 224x224 PNG, back to back;
- 2 slow clients: `POST /gradcam?model=shapes-vgg&method=scorecam`, seconds each, and
  `...&method=scorecam&dilate=true`, longer than the timeout (answered 503 by it).
After LOAD-SECONDS the server gets SIGTERM; the clients keep going until a connection
is refused (the listener closed), then stop. A request counts as lost when it was sent
and no response came back (reset, or closed before a response); refused connections
and 503s are answers, not losses. Prints one JSON line per trial (sent, answered by
status, lost, seconds from SIGTERM to exit) and a summary line: total lost, median exit
time. Bounded: the server is killed 120 s after SIGTERM.
"""
import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import threading
import time

from server_process import Server, own_arguments, serve_arguments, raise_file_limit

IMAGE = open(os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "images", "chelsea_224.png"), "rb").read()
FAST = "/predict?model=shapes-alexnet"
SLOW = ["/gradcam?model=shapes-vgg&method=scorecam", "/gradcam?model=shapes-vgg&method=scorecam&dilate=true"]


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses = {}
        self.lost = []

    def add(self, status=None, lost=None):
        with self.lock:
            self.sent += 1
            if lost:
                self.lost.append(lost)
            else:
                self.statuses[status] = self.statuses.get(status, 0) + 1


def client(port, target, tally, stop):
    connection = None
    while not stop.is_set():
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                connection.connect()
            except ConnectionRefusedError:
                return  # The listener has closed: this instance is gone.
            except OSError:
                connection = None
                time.sleep(0.05)
                continue
        try:
            connection.request("POST", target, body=IMAGE, headers={"Content-Type": "image/png"})
        except OSError as error:
            # Not sent in full: the server closed the connection before the request
            # (only possible if it closed a kept-alive connection under the client).
            tally.add(lost=f"send: {type(error).__name__}")
            connection = None
            continue
        try:
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.add(lost=f"response: {type(error).__name__}")
            connection.close()
            connection = None
            continue
        tally.add(status=response.status)
        if response.will_close:
            connection.close()
            connection = None


def trial(arguments):
    server = Server(arguments.binary, ["--timeout", "20", "--workers", "4", "--threads", "1", *arguments.serve])
    tally, stop = Tally(), threading.Event()
    targets = [FAST] * 6 + SLOW
    threads = [threading.Thread(target=client, args=(server.port, target, tally, stop)) for target in targets]
    try:
        for thread in threads:
            thread.start()
        time.sleep(arguments.load_seconds)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.process.kill()  # Its clients then see their connections drop: lost.
        exit_seconds = time.monotonic() - signalled
        stop.set()
        for thread in threads:
            thread.join(timeout=130)
        return {"sent": tally.sent, "answered": tally.statuses, "lost": len(tally.lost), "lost_how": tally.lost,
                "exit_seconds": round(exit_seconds, 2), "exit_code": server.process.returncode}
    finally:
        stop.set()
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--load-seconds", type=float, default=3)
    arguments = parser.parse_args(own_arguments())
    arguments.serve = serve_arguments()
    raise_file_limit()
    results = []
    for number in range(arguments.trials):
        result = trial(arguments)
        results.append(result)
        print(json.dumps({"trial": number + 1, **result}), flush=True)
    print(json.dumps({
        "binary": arguments.binary, "trials": arguments.trials,
        "sent": sum(r["sent"] for r in results), "lost": sum(r["lost"] for r in results),
        "median_exit_seconds": statistics.median(r["exit_seconds"] for r in results),
    }))


if __name__ == "__main__":
    main()

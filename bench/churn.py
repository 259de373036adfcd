#!/usr/bin/env python3
"""Connection churn against `gradcam serve`: does the server survive clients that drop
connections in every state, as fast as they can (tracker issue 11, finding 9)?

Usage: bench/churn.py BINARY [--seconds 60] [--clients 16] [-- SERVE-ARGS]

CLIENTS threads each open a connection to BINARY on loopback, take it to one state
(nothing sent, half a head, half a body, a request whose answer is never read, a 1 MB
response read partly, an error answer), and drop it, half of the time with a reset
(SO_LINGER 0), again and again for SECONDS. Prints one JSON line: connections made per
second, client errors (refused or reset connects, a sign of trouble), whether the server was still alive and answering at the end, and its exit
status if it died (a negative number is the signal, e.g. -4 for SIGILL).
"""
import argparse
import json
import random
import socket
import struct
import threading
import time
import urllib.request

from server_process import Server, own_arguments, raise_file_limit, serve_arguments

STATES = [
    b"",
    b"GET /healthz HTTP/1.1\r\nHost: churn\r\nX-Half: ",
    b"POST /predict?model=shapes-alexnet HTTP/1.1\r\nHost: churn\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n0123456789",
    b"GET /models HTTP/1.1\r\nHost: churn\r\n\r\n",
    b"GET /openapi.yaml HTTP/1.1\r\nHost: churn\r\n\r\nGET /openapi.yaml HTTP/1.1\r\nHost: churn\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: churn\r\nContent-Length: x\r\n\r\n",
]


def churn(port, stop, counts):
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                connection.settimeout(0.01)  # A read waits for what is already coming, no longer.
                if random.random() < 0.5:
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                state = random.choice(STATES)
                if state:
                    connection.sendall(state)
                if random.random() < 0.5:
                    connection.recv(random.choice([1, 100, 4096]))
            counts[0] += 1
        except TimeoutError:
            counts[0] += 1
        except OSError:
            counts[1] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    arguments = parser.parse_args(own_arguments())
    raise_file_limit()
    server = Server(arguments.binary, serve_arguments())
    stop, counts = threading.Event(), [0, 0]
    threads = [threading.Thread(target=churn, args=(server.port, stop, counts)) for _ in range(arguments.clients)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(arguments.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        alive = server.process.poll() is None
        answering = False
        if alive:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as response:
                    answering = response.status == 200
            except OSError:
                pass
        print(json.dumps({
            "binary": arguments.binary, "seconds": arguments.seconds, "clients": arguments.clients,
            "connections": counts[0], "client_errors": counts[1],
            "connections_per_second": round(counts[0] / arguments.seconds),
            "alive": alive, "answering": answering, "exit_status": server.process.returncode,
        }))
    finally:
        stop.set()
        server.stop()


if __name__ == "__main__":
    main()

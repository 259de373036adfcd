#!/usr/bin/env python3
"""Connection churn against `gradcam serve`: does the server survive clients that drop
connections in every state, as fast as they can (tracker issue 11, finding 9)?

Usage: bench/churn.py BINARY [--seconds 60] [--clients 16] [--processes 2] [--mutate] [-- SERVE-ARGS]

CLIENTS threads in each of PROCESSES processes open a connection to BINARY on loopback,
take it to one state (nothing sent, half a head, half a body, a request whose answer is
never read, a 1 MB response read partly, an error answer), and drop it, half of the time
with a reset (SO_LINGER 0), again and again for SECONDS. With --mutate, what is sent is
instead a request mutated as a fuzzer would (bytes flipped, inserted, deleted, repeated,
HTTP tokens spliced in, the seeds being the states above and Fuzz/Corpus/http-parser),
sent in one to three pieces. Prints one JSON line: connections made and per second,
client errors (refused or reset connects, a sign of trouble), whether the server was still
alive and answering at the end, and its exit status if it died (a negative number is the
signal, e.g. -4 for SIGILL).
"""
import argparse
import json
import multiprocessing
import pathlib
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


SEEDS = STATES[1:] + [path.read_bytes() for path in sorted(
    (pathlib.Path(__file__).resolve().parent.parent / "Fuzz/Corpus/http-parser").iterdir())]
TOKENS = [b"\r\n", b"\r\n\r\n", b":", b" ", b"\n", b"Content-Length: ", b"Transfer-Encoding: chunked\r\n",
          b"Expect: 100-continue\r\n", b"Connection: close\r\n", b"0\r\n\r\n", b"ffffffffffffffff",
          b"99999999999999999999", b"\x00", b"\xff", b"POST /predict HTTP/1.1\r\n", b"GET / HTTP/1.0\r\n\r\n"]


def mutated():
    """A seed request with one to four fuzzer-style mutations."""
    data = bytearray(random.choice(SEEDS))
    for _ in range(random.randint(1, 4)):
        position = random.randint(0, len(data))
        operation = random.randrange(5)
        if operation == 0 and data:
            data[min(position, len(data) - 1)] ^= 1 << random.randrange(8)
        elif operation == 1:
            data[position:position] = bytes([random.randrange(256)])
        elif operation == 2:
            del data[position:position + random.randint(1, 16)]
        elif operation == 3:
            data[position:position] = data[position:position + random.randint(1, 64)] * random.randint(1, 8)
        else:
            data[position:position] = random.choice(TOKENS)
    return bytes(data)


def churn(port, stop, counts, mutate):
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                connection.settimeout(0.01)  # A read waits for what is already coming, no longer.
                if random.random() < 0.5:
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                data = mutated() if mutate else random.choice(STATES)
                cuts = sorted(random.sample(range(len(data) + 1), min(len(data) + 1, random.randint(0, 2)))) if mutate else []
                for piece in (data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])):
                    if piece:
                        connection.sendall(piece)
                if random.random() < 0.5:
                    connection.recv(random.choice([1, 100, 4096]))
            counts[0] += 1
        except TimeoutError:
            counts[0] += 1
        except OSError:
            counts[1] += 1


def client_process(port, stop, clients, mutate, totals):
    """CLIENTS churning threads; adds their counts to TOTALS when STOP is set."""
    raise_file_limit()
    counts = [0, 0]
    threads = [threading.Thread(target=churn, args=(port, stop, counts, mutate)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with totals.get_lock():
        totals[0] += counts[0]
        totals[1] += counts[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16, help="threads per process")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--mutate", action="store_true", help="send mutated requests")
    arguments = parser.parse_args(own_arguments())
    raise_file_limit()
    server = Server(arguments.binary, serve_arguments())
    stop, totals = multiprocessing.Event(), multiprocessing.Array("q", 2)
    processes = [multiprocessing.Process(target=client_process, args=(server.port, stop, arguments.clients, arguments.mutate, totals))
                 for _ in range(arguments.processes)]
    try:
        for process in processes:
            process.start()
        time.sleep(arguments.seconds)
        stop.set()
        for process in processes:
            process.join(timeout=30)
        counts = list(totals)
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
            "processes": arguments.processes, "mutate": arguments.mutate,
            "connections": counts[0], "client_errors": counts[1],
            "connections_per_second": round(counts[0] / arguments.seconds),
            "alive": alive, "answering": answering, "exit_status": server.process.returncode,
        }))
    finally:
        stop.set()
        server.stop()


if __name__ == "__main__":
    main()

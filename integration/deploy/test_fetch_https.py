"""The Label Studio backend fetching task images over https://, through the real `gradcam
serve` binary (GRADCAM_BIN): from a Python `ssl` server on loopback whose certificate a CA
made here signs, trusted with `--fetch-ca-file`; refused without it (the system's store does
not hold that CA) and for a name the certificate does not hold, task by task."""
from __future__ import annotations

import http.server
import pathlib
import ssl
import subprocess
import threading

import pytest
import requests

import deploy_support as support

MODEL = "shapes-vgg"
IMAGE = support.ROOT / "tools/shapes/samples/images/star_circle.jpg"
LABELS = (support.ROOT / "models/shapes.labels").read_text().split()
CONFIG = ("<View><Image name=\"image\" value=\"$image\"/><RectangleLabels name=\"box\" toName=\"image\">"
          + "".join(f"<Label value=\"{label}\"/>" for label in LABELS) + "</RectangleLabels></View>")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("fetch-https")


@pytest.fixture(scope="module")
def certificates(workdir) -> dict[str, pathlib.Path]:
    """A CA, and a certificate it signs for 127.0.0.1 only."""
    paths = {name: workdir / name for name in ("ca.pem", "ca.key", "server.pem", "server.key", "server.csr", "ext.cnf")}
    paths["ext.cnf"].write_text("subjectAltName=IP:127.0.0.1\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        ["openssl", "req", "-x509", *ec, "-days", "1", "-subj", "/CN=fetch test CA", "-keyout", paths["ca.key"], "-out", paths["ca.pem"]],
        ["openssl", "req", *ec, "-subj", "/CN=127.0.0.1", "-keyout", paths["server.key"], "-out", paths["server.csr"]],
        ["openssl", "x509", "-req", "-in", paths["server.csr"], "-CA", paths["ca.pem"], "-CAkey", paths["ca.key"],
         "-CAcreateserial", "-days", "1", "-extfile", paths["ext.cnf"], "-out", paths["server.pem"]],
    ):
        result = subprocess.run([str(part) for part in command], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    return paths


@pytest.fixture(scope="module")
def image_host(workdir, certificates):
    """An HTTPS server (Python's http.server and ssl) serving the sample image; its port."""
    root = workdir / "images"
    root.mkdir()
    (root / "star_circle.jpg").write_bytes(IMAGE.read_bytes())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["server.pem"], certificates["server.key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def serve(gradcam_bin, workdir, name, *extra) -> support.Server:
    server = support.Server(gradcam_bin, support.models_directory(workdir / "models"), workdir / f"{name}.log", *extra)
    server.wait_until_ready(f"http://127.0.0.1:{server.port}/readyz")
    return server


def predict(server: support.Server, urls: list[str]) -> dict:
    reply = requests.post(f"http://127.0.0.1:{server.port}/label-studio/{MODEL}/predict", timeout=60,
                          json={"tasks": [{"id": i, "data": {"image": url}} for i, url in enumerate(urls)], "label_config": CONFIG})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_https_images_are_fetched_from_a_host_the_trusted_ca_vouches_for(gradcam_bin, workdir, certificates, image_host):
    server = serve(gradcam_bin, workdir, "trusting", "--fetch-allow", f"127.0.0.1:{image_host}",
                   "--fetch-ca-file", str(certificates["ca.pem"]))
    try:
        answer = predict(server, [f"https://127.0.0.1:{image_host}/star_circle.jpg", f"https://localhost:{image_host}/star_circle.jpg"])
        first, second = answer["results"]
        assert [region["type"] for region in first["result"]] == ["rectanglelabels"], first
        assert first["result"][0]["value"]["rectanglelabels"][0] in LABELS
        assert second == []
        assert answer["warnings"] == [f"task 1 (id '1') has no prediction: the image was not fetched: refused: "
                                      f"'localhost' port {image_host} is not an allowed host; allowed: 127.0.0.1:{image_host}"]
    finally:
        assert server.stop() == 0, server.log


def test_https_images_are_refused_when_the_ca_is_not_trusted(gradcam_bin, workdir, image_host):
    server = serve(gradcam_bin, workdir, "system-store", "--fetch-allow", f"127.0.0.1:{image_host}")
    try:
        answer = predict(server, [f"https://127.0.0.1:{image_host}/star_circle.jpg"])
        assert answer["results"] == [[]]
        assert "the server's certificate is not accepted: unable to get local issuer certificate" in answer["warnings"][0], answer
        assert "has no prediction" in server.log
    finally:
        assert server.stop() == 0, server.log


def test_an_unreadable_ca_file_stops_the_server_at_start(gradcam_bin, workdir):
    result = subprocess.run([str(gradcam_bin), "serve", "--fetch-ca-file", str(workdir / "absent.pem")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--fetch-ca-file" in result.stderr and "cannot read the file" in result.stderr, result.stderr

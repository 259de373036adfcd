"""TLS and API keys end to end, through the real `gradcam serve` binary (GRADCAM_BIN).

Each server runs on a free loopback port with a temporary models directory (what the
image's /models holds, or the small AlexNet fixture). Certificates are made here with
`openssl req -x509`; HTTPS is spoken by curl (the brief's client), by Python's ssl (to
pin protocol versions) and by raw sockets (to stall a handshake on purpose).
"""
from __future__ import annotations

import json
import pathlib
import signal
import socket
import ssl
import subprocess
import threading
import time
import warnings

import pytest
import requests

import deploy_support as support

IMAGE = support.ROOT / "Tests/Fixtures/images/chelsea_224.png"
# The server's header deadline (HTTPServer.Configuration.headerTimeout): a TLS handshake
# counts against it. There is no flag for it; the default is 10 s.
HEADER_DEADLINE = 10.0

KEY_A = "k-alpha-3f9c1e0b7d2a4c65b8e1"
KEY_B = "k-bravo-9a7e5d3c1b0f2e4d6c8a"
WRONG = "k-wrong-0000000000000000000"
KEYS_SEEN = {KEY_A, KEY_B, WRONG}


def curl(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", str(int(timeout)), *args],
                          capture_output=True, text=True, timeout=timeout + 5)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("security")


@pytest.fixture(scope="module")
def models_dir(workdir) -> pathlib.Path:
    return support.models_directory(workdir / "models")


@pytest.fixture(scope="module")
def certificate(workdir) -> tuple[pathlib.Path, pathlib.Path]:
    cert, key = workdir / "server.crt", workdir / "server.key"
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return cert, key


def start(gradcam_bin, models_dir, workdir, name, *extra) -> support.Server:
    server = support.Server(gradcam_bin, models_dir, workdir / f"{name}.log", *extra)
    server.wait_for_log("listening on")
    return server


def model_name(base_url: str, headers=None, verify=True) -> str:
    models = requests.get(f"{base_url}/models", headers=headers, verify=verify, timeout=10).json()["models"]
    assert models, "no model loaded"
    return models[0]["name"]


# --- TLS --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_server(gradcam_bin, models_dir, workdir, certificate):
    cert, key = certificate
    keys = workdir / "tls-keys.txt"
    keys.write_text(KEY_A + "\n")
    server = start(gradcam_bin, models_dir, workdir, "tls", "--tls-cert", str(cert), "--tls-key", str(key),
                   "--api-key-file", str(keys))
    context = ssl.create_default_context(cafile=str(cert))
    server.wait_until_ready(f"https://localhost:{server.port}/readyz", context=context)
    yield server
    assert server.stop() == 0, server.log
    assert not [k for k in KEYS_SEEN if k in server.log]


def test_https_with_curl_verifies_the_self_signed_certificate(tls_server, certificate):
    cert, _ = certificate
    result = curl("--cacert", str(cert), "-w", "%{http_code}", f"https://localhost:{tls_server.port}/healthz")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n200"
    ready = curl("--cacert", str(cert), "-o", "/dev/null", "-w", "%{http_code}", f"https://127.0.0.1:{tls_server.port}/readyz")
    assert ready.stdout == "200", ready.stderr


def test_https_without_the_certificate_authority_fails_verification(tls_server):
    result = curl(f"https://localhost:{tls_server.port}/healthz")
    assert result.returncode == 60, (result.returncode, result.stderr)  # peer certificate cannot be verified


def test_https_post_with_a_key(tls_server, certificate):
    cert, _ = certificate
    name = model_name(f"https://localhost:{tls_server.port}", verify=str(cert))
    result = curl("--cacert", str(cert), "-H", f"Authorization: Bearer {KEY_A}", "-F", f"image=@{IMAGE}",
                  "-w", "\n%{http_code}", f"https://localhost:{tls_server.port}/predict?model={name}&top=3")
    body, _, status = result.stdout.rpartition("\n")
    assert status == "200", result.stdout + result.stderr
    assert len(json.loads(body)["predictions"]) == 3
    unauthorized = curl("--cacert", str(cert), "-F", f"image=@{IMAGE}", "-o", "/dev/null", "-w", "%{http_code}",
                        f"https://localhost:{tls_server.port}/predict?model={name}")
    assert unauthorized.stdout == "401"


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_12_and_13_are_served(tls_server, certificate, version):
    cert, _ = certificate
    context = ssl.create_default_context(cafile=str(cert))
    context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == version.replace("_", ".")
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok\n")


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_tls_before_12_is_refused_by_the_server(tls_server, version):
    """The client really offers the old version (security level 0 lets OpenSSL 3 do it),
    so the refusal seen is the server's: a protocol_version alert."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            context.wrap_socket(raw, server_hostname="localhost")
    assert "PROTOCOL_VERSION" in str(refused.value).upper(), refused.value


def test_openssl_s_client_tls11_gets_a_protocol_version_alert(tls_server):
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_server.port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
        input="", capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "alert protocol version" in result.stderr, result.stderr


def read_until_closed(sock: socket.socket, limit: float) -> bytes:
    sock.settimeout(limit)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def test_plain_http_to_the_tls_port_is_refused_cleanly(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = read_until_closed(s, 10)  # returns only once the server has closed
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"]["code"] == "tls_required"
    result = curl("-w", "%{http_code}", "-o", "/dev/null", f"http://127.0.0.1:{tls_server.port}/healthz")
    assert result.stdout == "400", result.stderr


def client_hello() -> bytes:
    """The first flight of a real TLS client (a ClientHello record)."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello[0] == 0x16 and len(hello) > 100  # handshake record
    return hello


def test_a_stalled_handshake_is_dropped_at_the_header_deadline(tls_server, certificate):
    """Two stalls at once: a client that connects and sends nothing, and one that sends
    half a ClientHello. Both are cut off at the deadline; others are served meanwhile."""
    hello = client_hello()
    results: dict[str, tuple[float, bytes]] = {}

    def stall(label: str, first: bytes):
        with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as s:
            began = time.monotonic()
            if first:
                s.sendall(first)
            data = read_until_closed(s, HEADER_DEADLINE * 3)
            results[label] = (time.monotonic() - began, data)

    threads = [threading.Thread(target=stall, args=("silent", b"")),
               threading.Thread(target=stall, args=("half hello", hello[:len(hello) // 2]))]
    for t in threads:
        t.start()
    time.sleep(1)
    cert, _ = certificate
    meanwhile = curl("--cacert", str(cert), f"https://localhost:{tls_server.port}/healthz")
    assert meanwhile.stdout == "ok\n", meanwhile.stderr
    for t in threads:
        t.join(HEADER_DEADLINE * 4)
    for label, (elapsed, data) in results.items():
        assert HEADER_DEADLINE - 1 <= elapsed <= HEADER_DEADLINE + 5, f"{label}: closed after {elapsed:.1f} s"
        # Nothing but, at most, a TLS alert record (0x15) comes back: no HTTP answer.
        assert data == b"" or data[0] == 0x15, f"{label}: {data[:40]!r}"
    assert set(results) == {"silent", "half hello"}


# --- API keys ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keys_file(workdir) -> pathlib.Path:
    path = workdir / "api-keys.txt"
    path.write_text(f"# test keys\n\n{KEY_A}\n")
    return path


@pytest.fixture(scope="module")
def keyed_server(gradcam_bin, models_dir, workdir, keys_file):
    server = start(gradcam_bin, models_dir, workdir, "keys", "--api-key-file", str(keys_file))
    server.wait_until_ready(f"http://127.0.0.1:{server.port}/readyz")
    server.url = f"http://127.0.0.1:{server.port}"
    server.model = model_name(server.url)
    yield server
    assert server.stop() == 0, server.log


def predict(server, key: str | None, scheme: str = "Bearer") -> requests.Response:
    headers = {"Authorization": f"{scheme} {key}"} if key is not None else {}
    with open(IMAGE, "rb") as image:
        return requests.post(f"{server.url}/predict", params={"model": server.model, "top": 2},
                             files={"image": ("cat.png", image, "image/png")}, headers=headers, timeout=60)


def test_post_without_a_key_is_401_json(keyed_server):
    response = predict(keyed_server, None)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and "Authorization: Bearer" in error["message"]
    gradcam = requests.post(f"{keyed_server.url}/gradcam", params={"model": keyed_server.model}, timeout=30)
    assert gradcam.status_code == 401


@pytest.mark.parametrize("authorization", [f"Bearer {WRONG}", f"Bearer {KEY_A}x", f"Bearer {KEY_A[:-1]}",
                                           f"Basic {KEY_A}", "Bearer", f"Bearer  {WRONG} extra", KEY_A])
def test_post_with_a_wrong_key_is_401(keyed_server, authorization):
    with open(IMAGE, "rb") as image:
        response = requests.post(f"{keyed_server.url}/predict", params={"model": keyed_server.model},
                                 files={"image": image}, headers={"Authorization": authorization}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_post_with_the_key_is_200(keyed_server):
    response = predict(keyed_server, KEY_A)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 2
    assert predict(keyed_server, KEY_A, scheme="bearer").status_code == 200  # the scheme is case-insensitive


def test_health_readiness_and_metrics_stay_open(keyed_server):
    for path in ("/healthz", "/readyz", "/metrics", "/models"):
        assert requests.get(keyed_server.url + path, timeout=10).status_code == 200, path
    metrics = requests.get(keyed_server.url + "/metrics", timeout=10).text
    assert 'gradcam_http_requests_total{route="/predict",status="401"}' in metrics  # refusals are counted


def test_sighup_reloads_the_key_file(keyed_server, keys_file):
    keys_file.write_text(f"{KEY_B}\n")
    keyed_server.signal(signal.SIGHUP)
    keyed_server.wait_for_log("API keys reloaded: 1", timeout=10)
    assert predict(keyed_server, KEY_B).status_code == 200
    assert predict(keyed_server, KEY_A).status_code == 401


def test_a_reload_that_finds_no_key_keeps_the_current_keys(keyed_server, keys_file):
    before = keyed_server.log.count("not reloaded")
    keys_file.write_text("# all keys revoked by mistake\n")
    keyed_server.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while keyed_server.log.count("not reloaded") == before:
        assert time.monotonic() < deadline, keyed_server.log
        time.sleep(0.05)
    assert predict(keyed_server, KEY_B).status_code == 200
    keys_file.write_text(f"{KEY_B}\n")


def test_keys_never_reach_the_log(keyed_server):
    predict(keyed_server, WRONG)
    log = keyed_server.log
    assert "API keys: 1 loaded" in log
    for key in KEYS_SEEN:
        assert key not in log
        assert key[:12] not in log


@pytest.fixture(scope="module")
def protect_all_server(gradcam_bin, models_dir, workdir, keys_file):
    keys = workdir / "protect-all-keys.txt"
    keys.write_text(KEY_A + "\n")
    server = start(gradcam_bin, models_dir, workdir, "protect-all", "--api-key-file", str(keys), "--protect-all")
    server.url = f"http://127.0.0.1:{server.port}"
    server.wait_until_ready(f"{server.url}/readyz", headers={"Authorization": f"Bearer {KEY_A}"})
    yield server
    assert server.stop() == 0, server.log
    assert not [k for k in KEYS_SEEN if k in server.log]


def test_protect_all_closes_health_and_metrics(protect_all_server):
    # The demo page itself stays open: it holds no data and asks the user for the key.
    assert requests.get(protect_all_server.url + "/", timeout=10).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics", "/models", "/openapi.yaml"):
        response = requests.get(protect_all_server.url + path, timeout=10)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
        with_key = requests.get(protect_all_server.url + path, headers={"Authorization": f"Bearer {KEY_A}"}, timeout=10)
        assert with_key.status_code == 200, path


# --- start-up failures ------------------------------------------------------------------

def run_serve(gradcam_bin, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(gradcam_bin), "serve", "--port", str(support.free_port()), *args],
                          capture_output=True, text=True, timeout=30)


def test_protect_all_needs_a_key_file(gradcam_bin):
    result = run_serve(gradcam_bin, "--protect-all")
    assert result.returncode != 0 and "--protect-all needs --api-key-file" in result.stderr


def test_a_key_file_without_keys_stops_the_server_from_starting(gradcam_bin, workdir, models_dir):
    """The example Secret of deploy/kubernetes holds only a comment: deployed as it is,
    the server refuses to start instead of running with a known key."""
    import yaml
    example = yaml.safe_load((support.DEPLOY / "kubernetes/examples/api-keys-secret.yaml").read_text())
    path = workdir / "example-keys"
    path.write_text(example["stringData"]["keys"])
    result = run_serve(gradcam_bin, "--models-dir", str(models_dir), "--api-key-file", str(path))
    assert result.returncode != 0 and "holds no key" in result.stderr
    missing = run_serve(gradcam_bin, "--models-dir", str(models_dir), "--api-key-file", str(workdir / "absent"))
    assert missing.returncode != 0 and "cannot read the API key file" in missing.stderr


def test_a_wrong_certificate_stops_the_server_from_starting(gradcam_bin, workdir, models_dir, certificate):
    cert, _ = certificate
    result = run_serve(gradcam_bin, "--models-dir", str(models_dir), "--tls-cert", str(cert), "--tls-key", str(cert))
    assert result.returncode != 0 and "TLS" in result.stderr
    alone = run_serve(gradcam_bin, "--tls-cert", str(cert))
    assert alone.returncode != 0 and "--tls-cert and --tls-key go together" in alone.stderr

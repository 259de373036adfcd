"""The bad-input catalog: each kind of bad request gets its exact 4xx with the JSON error
shape (or a clean close), and the server answers a normal POST /predict right after,
on a new connection. Works against any server and any model (from GET /models)."""
import dataclasses
import json
import struct
import threading
import time
import typing
import zlib

import pytest
import requests

from api_wire import JPEG, PNG, IMAGING_FIXTURES, RawConnection, http_request, multipart

# Bytes a client might send thinking they are an image.
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
BMP = b"BM" + (70).to_bytes(4, "little") + b"\x00" * 4 + (54).to_bytes(4, "little") + (40).to_bytes(4, "little") + b"\x01\x00\x00\x00" * 2 + b"\x01\x00\x18\x00" + b"\x00" * 24 + b"\xff\x00\x00\x00"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
HUGE_PNG = (IMAGING_FIXTURES / "bad_png_100000x100000.png").read_bytes()
HUGE_JPEG = (IMAGING_FIXTURES / "bad_jpeg_60000x60000.jpg").read_bytes()


def png_declaring(width: int, height: int) -> bytes:
    """33 bytes: the PNG signature and an IHDR (RGB8) declaring `width x height`."""
    payload = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + payload + struct.pack(">I", zlib.crc32(payload))


def jpeg_declaring(width: int, height: int, scans: int = 1) -> bytes:
    """SOI, a progressive frame header declaring `width x height`, `scans` one-byte scans, EOI."""
    frame = b"\xff\xc2" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + frame + (b"\xff\xda\x00\x08\x01\x01\x00\x00\x00\x00\x55") * scans + b"\xff\xd9"


# A TLS 1.2 ClientHello's start: record header, handshake header, version, 32 random bytes
# (none of them CR or LF, so the server cannot see a line end), cipher suites, compression.
TLS_CLIENT_HELLO = bytes.fromhex("16030100c4010000c00303") + bytes(range(0x20, 0x40)) + b"\x00\x00\x02\x13\x01\x01\x00" + b"\x00" * 150


@dataclasses.dataclass
class Case:
    name: str
    build: typing.Callable[[str], bytes]  # model name -> request bytes
    status: int
    code: str
    closes: bool = False  # a protocol error: the server must also close the connection

    def __str__(self) -> str:
        return self.name


def raw(target: str, body: bytes, content_type: str | None = "image/png") -> typing.Callable[[str], bytes]:
    """POST `target` ({model} filled in) with a raw body."""
    return lambda model: http_request("POST", target.format(model=model), {"Content-Type": content_type} if content_type else {}, body)


def form(target: str, parts: list[tuple[str, bytes, str | None]]) -> typing.Callable[[str], bytes]:
    """POST `target` ({model} filled in) with a multipart form; `{model}` in a field value is filled in too."""
    def build(model: str) -> bytes:
        body, content_type = multipart([(n, d.replace(b"{model}", model.encode()), f) for n, d, f in parts])
        return http_request("POST", target.format(model=model), {"Content-Type": content_type}, body)
    return build


def head(text: str) -> typing.Callable[[str], bytes]:
    return lambda model: text.format(model=model).encode()


G = "/gradcam?model={model}"
P = "/predict?model={model}"
IMAGE = ("image", PNG, "x.png")

CASES = [
    # The image.
    Case("not an image", raw(G, b"hello, I am not a picture", "application/octet-stream"), 415, "unsupported_image"),
    Case("truncated PNG", raw(G, PNG[:60]), 400, "invalid_image"),
    Case("truncated JPEG", raw(G, JPEG[: len(JPEG) // 2], "image/jpeg"), 400, "invalid_image"),
    Case("PNG declaring 100000x100000 pixels", raw(G, HUGE_PNG), 413, "image_too_large"),
    Case("JPEG declaring 60000x60000 pixels", raw(P, HUGE_JPEG, "image/jpeg"), 413, "image_too_large"),
    # Refused by what the header declares, before decoding; PNG and JPEG alike.
    Case("PNG declaring 4294967295x4294967295 pixels", raw(G, png_declaring(0xFFFFFFFF, 0xFFFFFFFF)), 413, "image_too_large"),
    Case("JPEG declaring 65535x65535 pixels", raw(G, jpeg_declaring(65535, 65535), "image/jpeg"), 413, "image_too_large"),
    Case("JPEG side over JPEG's 65500", raw(P, jpeg_declaring(65501, 16), "image/jpeg"), 413, "image_too_large"),
    Case("PNG row over 1000000 pixels", raw(P, png_declaring(1_000_001, 1)), 413, "image_too_large"),
    Case("PNG column over 1000000 pixels", raw(P, png_declaring(1, 50_000_000)), 413, "image_too_large"),
    Case("progressive JPEG with 21 scans of 7000x7000", raw(G, jpeg_declaring(7000, 7000, 21), "image/jpeg"), 413, "image_too_large"),
    Case("max_side out of range", raw(G + "&max_side=0", PNG), 400, "invalid_parameter"),
    Case("GIF bytes", raw(G, GIF), 415, "unsupported_image"),
    Case("BMP bytes", raw(P, BMP), 415, "unsupported_image"),
    Case("WebP bytes", raw(P, WEBP), 415, "unsupported_image"),
    Case("empty raw body", raw(G, b""), 400, "missing_image"),
    Case("empty body, no Content-Type", raw(G, b"", None), 415, "unsupported_media_type"),
    Case("wrong content type", raw(G, PNG, "text/plain"), 415, "unsupported_media_type"),
    Case("malformed content type", raw(G, PNG, "image/"), 400, "bad_request"),
    # Multipart.
    Case("zero-byte image part", form(G, [("image", b"", "x.png")]), 400, "missing_image"),
    Case("no image part", form(G, [("top", b"3", None)]), 400, "missing_image"),
    Case("two image parts", form(G, [IMAGE, IMAGE]), 400, "missing_image"),
    Case("boundary missing", raw(G, multipart([IMAGE])[0], "multipart/form-data"), 400, "invalid_multipart"),
    Case("multipart without closing boundary", raw(G, multipart([IMAGE])[0][:-30], "multipart/form-data; boundary=gradcam-boundary"), 400, "invalid_multipart"),
    Case("multipart part without Content-Disposition", raw(G, b"--b\r\nX: y\r\n\r\nz\r\n--b--\r\n", "multipart/form-data; boundary=b"), 400, "invalid_multipart"),
    Case("a second file part", form(G, [IMAGE, ("other", PNG, "y.png")]), 400, "unknown_parameter"),
    # Parameters.
    Case("model missing", raw("/gradcam", PNG), 400, "missing_parameter"),
    Case("unknown model", raw("/gradcam?model=no-such-model", PNG), 400, "unknown_model"),
    Case("duplicated model", form(G, [IMAGE, ("model", b"{model}", None)]), 400, "invalid_parameter"),
    Case("unknown parameter", raw(G + "&colour=red", PNG), 400, "unknown_parameter"),
    Case("unknown method", raw(G + "&method=deeplift", PNG), 400, "invalid_parameter"),
    Case("unknown format", raw(G + "&format=svg", PNG), 400, "invalid_parameter"),
    Case("unknown colormap", raw(G + "&colormap=rainbow", PNG), 400, "invalid_parameter"),
    Case("alpha out of range", raw(G + "&alpha=1.01", PNG), 400, "invalid_parameter"),
    Case("alpha not a number", raw(G + "&alpha=NaN", PNG), 400, "invalid_parameter"),
    Case("negative top", raw(P + "&top=-1", PNG), 400, "invalid_parameter"),
    Case("top not an integer", raw(P + "&top=2.5", PNG), 400, "invalid_parameter"),
    Case("unknown layer", raw(G + "&layer=conv99_9", PNG), 400, "unknown_layer"),
    Case("unknown class label", raw(G + "&class=definitely-not-a-label", PNG), 400, "unknown_class"),
    Case("class index out of range", raw(G + "&class=100000000", PNG), 400, "unknown_class"),
    Case("huge class list", raw(G + "&format=json&class=" + ",".join(str(i % 10) for i in range(1000)), PNG), 400, "invalid_parameter"),
    Case("PNG with two classes", raw(G + "&class=0&class=1", PNG), 400, "invalid_parameter"),
    Case("guided method, PNG, two classes", raw(G + "&method=guided-gradcam&class=0,1", PNG), 400, "invalid_parameter"),
    Case("non-UTF-8 form field", form("/predict", [IMAGE, ("model", b"\xff\xfe\xfd", None)]), 400, "unknown_model"),
    Case("non-UTF-8 query value", raw("/predict?model=%FF%FE", PNG), 400, "unknown_model"),
    Case("non-UTF-8 field name", raw(P, multipart([IMAGE])[0][:-22] + b'--gradcam-boundary\r\nContent-Disposition: form-data; name="\xff\xfe"\r\n\r\n1\r\n--gradcam-boundary--\r\n', "multipart/form-data; boundary=gradcam-boundary"), 400, "unknown_parameter"),
    # Routing.
    Case("unknown path", head("GET /gradcam/v2 HTTP/1.1\r\nHost: x\r\n\r\n"), 404, "not_found"),
    Case("wrong method", head("GET /gradcam HTTP/1.1\r\nHost: x\r\n\r\n"), 405, "method_not_allowed"),
    Case("unknown model in the path", head("GET /models/no-such-model HTTP/1.1\r\nHost: x\r\n\r\n"), 404, "unknown_model"),
    # HTTP framing and limits: answered, then closed.
    Case("Content-Length with Transfer-Encoding", head("POST /predict?model={model} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400, "bad_request", closes=True),
    Case("two Content-Lengths", head("POST /predict?model={model} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"), 400, "bad_request", closes=True),
    Case("malformed chunk size", head("POST /predict?model={model} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n"), 400, "bad_request", closes=True),
    Case("chunk data without CRLF", head("POST /predict?model={model} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n"), 400, "bad_request", closes=True),
    Case("unsupported transfer coding", head("POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), 501, "not_implemented", closes=True),
    Case("chunk beyond the body limit", head("POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n"), 413, "content_too_large", closes=True),
    Case("2 GB Content-Length", head("POST /predict?model={model} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 2147483648\r\n\r\n"), 413, "content_too_large", closes=True),
    Case("header line too long", head("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + "a" * 70000 + "\r\n\r\n"), 431, "header_fields_too_large", closes=True),
    Case("too many headers", head("GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-{i}: {i}\r\n" for i in range(200)) + "\r\n"), 431, "header_fields_too_large", closes=True),
    Case("target too long", head("GET /healthz?" + "q" * 20000 + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "uri_too_long", closes=True),
    Case("bare LF line ends", head("GET /healthz HTTP/1.1\nHost: x\n\n"), 400, "bad_request", closes=True),
    Case("HTTP/2 preface", head("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505, "http_version_not_supported", closes=True),
    Case("no Host header", head("GET /healthz HTTP/1.1\r\n\r\n"), 400, "bad_request", closes=True),
    Case("NUL in a header value", head("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"), 400, "bad_request", closes=True),
    Case("obsolete line folding", head("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"), 400, "bad_request", closes=True),
    Case("invalid method token", head("G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "bad_request", closes=True),
    Case("unknown expectation", head("POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx"), 417, "expectation_failed", closes=True),
]


def still_serves(base_url: str, model: str) -> None:
    """A normal request succeeds right after, on a new connection."""
    reply = requests.post(f"{base_url}/predict", params={"model": model, "top": 1}, files={"image": ("x.png", PNG, "image/png")}, timeout=60)
    assert reply.status_code == 200, reply.text
    assert reply.json()["predictions"]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_gets_its_error(case: Case, address, base_url: str, model: str) -> None:
    with RawConnection(address) as connection:
        connection.send(case.build(model))
        reply = connection.read()
        assert reply.status == case.status, reply.body
        assert reply.headers["content-type"] == "application/json"
        assert reply.error_code == case.code, reply.body
        assert set(json.loads(reply.body)["error"]) == {"code", "message"}
        if case.closes:
            assert reply.headers.get("connection") == "close"
            assert connection.closes(within=5)
    still_serves(base_url, model)


def test_catalog_is_large_enough() -> None:
    assert len(CASES) + len(TIMED_KINDS) >= 25
    assert len({case.name for case in CASES}) == len(CASES)


def test_absolute_form_target_is_accepted(address, base_url: str, model: str) -> None:
    """Not an error: RFC 9112 §3.2.2 requires servers to accept the absolute form."""
    with RawConnection(address) as connection:
        connection.send(http_request("POST", f"http://gradcam{P.format(model=model)}&top=1", {"Content-Type": "image/png"}, PNG))
        assert connection.read().status == 200
    still_serves(base_url, model)


def test_wrong_method_names_the_allowed_one(address) -> None:
    with RawConnection(address) as connection:
        connection.send(http_request("DELETE", "/predict"))
        reply = connection.read()
        assert reply.status == 405
        assert reply.headers["allow"] == "POST"


# Kinds that take the server's own deadlines (10 s for headers and idle bodies by default).
TIMED_KINDS = ["slowloris header trickle", "slow body", "TLS bytes to the plain port"]
DEADLINE = 10 + 5  # the default deadline and slack for a loaded machine


def trickle(connection: RawConnection, first: bytes, byte: bytes, pause: float) -> threading.Thread:
    """Sends `first`, then `byte` every `pause` seconds until the server closes."""
    def run() -> None:
        if not connection.send(first):
            return
        while connection.send(byte):
            time.sleep(pause)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_slowloris_header_trickle_is_cut_off(address, base_url: str, model: str) -> None:
    with RawConnection(address, timeout=DEADLINE) as connection:
        start = time.monotonic()
        trickle(connection, f"POST /predict?model={model} HTTP/1.1\r\nHost: x\r\n".encode(), b"X", 0.5)
        assert connection.closes(within=DEADLINE)
        assert time.monotonic() - start < DEADLINE
    still_serves(base_url, model)


def test_slow_body_is_cut_off(address, base_url: str, model: str) -> None:
    with RawConnection(address, timeout=DEADLINE) as connection:
        connection.send(http_request("POST", f"/predict?model={model}", {"Content-Type": "image/png", "Content-Length": str(len(PNG))}) + PNG[:50])
        reply = connection.read()  # the body stalls: the server gives up on it
        assert reply.status == 408
        assert reply.error_code == "request_timeout"
        assert connection.closes(within=5)
    still_serves(base_url, model)


def test_tls_bytes_to_the_plain_port_get_a_4xx_or_a_close(address, base_url: str, model: str) -> None:
    with RawConnection(address, timeout=DEADLINE) as connection:
        connection.send(TLS_CLIENT_HELLO)
        try:
            reply = connection.read()
            assert reply.status in (400, 408), reply.body
            assert reply.error_code in ("bad_request", "request_timeout")
        except ConnectionError:
            pass  # closed without an answer: also clean
        assert connection.closes(within=5)
    still_serves(base_url, model)

"""Helpers for the API tests: test images, a raw socket client, request bytes."""
import dataclasses
import json
import pathlib
import socket
import struct
import time
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGING_FIXTURES = ROOT / "Tests" / "ImagingTests" / "Fixtures"


def png_bytes(width: int, height: int) -> bytes:
    """An RGB PNG of a smooth gradient."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 255) // max(1, width - 1), (y * 255) // max(1, height - 1), 96))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png_bytes(48, 32)
JPEG = (IMAGING_FIXTURES / "jpeg_444.jpg").read_bytes()


@dataclasses.dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def error_code(self) -> str | None:
        try:
            return json.loads(self.body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None


class RawConnection:
    """A TCP connection that sends any bytes and reads responses framed by Content-Length."""

    def __init__(self, address: tuple[str, int], timeout: float = 15):
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buffer = b""

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def send(self, data: bytes) -> bool:
        """Sends everything; False once the server has closed or reset the connection."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def _receive(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return False
        self.buffer += data
        return bool(data)

    def read(self) -> Reply:
        while b"\r\n\r\n" not in self.buffer:
            if not self._receive():
                raise ConnectionError(f"closed before a response; got {self.buffer[:200]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        assert version == "HTTP/1.1", lines[0]
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0")) if int(status) >= 200 else 0
        while len(self.buffer) < length:
            if not self._receive():
                raise ConnectionError("closed inside a body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Reply(int(status), headers, body)

    def closes(self, within: float) -> bool:
        """Whether the server closes the connection within `within` seconds (discarding what it sends)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return True
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False
        return False


def http_request(method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: gradcam"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "gradcam-boundary") -> tuple[bytes, str]:
    """A multipart/form-data body of (name, data, filename) parts and its Content-Type."""
    out = b""
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"

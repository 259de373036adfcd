# gradcam-server: one native binary on Debian 12 (bookworm).
#
#   docker build -t gradcam-server .
#   docker run --rm -p 8080:8080 gradcam-server                  # the demo models baked in
#   docker run --rm -v gradcam-models:/models gradcam-server /models/fetch vgg16 alexnet
#   docker run --rm -p 8080:8080 -v gradcam-models:/models gradcam-server
#
# The build stage uses the official Swift image of the toolchain the project is developed
# and tested with (Swift 6.3.1, Debian 12); the runtime stage is debian:bookworm-slim with
# only the shared libraries the binary needs. integration/deploy/test_runtime_libraries.py
# reads the RUNTIME_PACKAGES list below and proves, with ldd and dpkg, that it covers every
# library the release binary (built as in the build stage) links against. deploy/README.md
# explains the models volume, TLS and API keys.

# ---------------------------------------------------------------------------------------
FROM swift:6.3.1-bookworm AS build

# The C libraries' headers and pkg-config files (Package.swift's system-library targets).
# The swift image already has pkg-config, gcc, libstdc++-12-dev and binutils (strip).
# Versions are not pinned (hadolint DL3008): bookworm's point and security releases replace
# the exact versions, and a pin would break the build the day they do.
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libopenblas-dev \
        libpng-dev \
        libjpeg62-turbo-dev \
        libssl-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first, so that a source change does not fetch them again.
# (Package.resolved is not committed; the glob lets the build go on without it.)
COPY Package.swift Package.resolved* ./
RUN swift package resolve

# SwiftPM needs every target's directory, the test targets' included, to load the package.
COPY openapi.yaml ./
COPY Plugins ./Plugins
COPY Sources ./Sources
COPY Tests ./Tests

# --static-swift-stdlib links the Swift runtime and Foundation (with its ICU data) into the
# binary, so the runtime image needs no Swift toolchain libraries; strip takes the symbols
# (91 MB -> 64 MB). The binary must run here, with the build stage's libraries.
RUN swift build -c release --product gradcam --static-swift-stdlib \
    && install -D -m 0755 .build/release/gradcam /out/gradcam \
    && strip /out/gradcam \
    && /out/gradcam --help > /dev/null

# ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# Exactly the runtime libraries (see the header): OpenBLAS (the pthread build, whose
# thread count the server sets), libpng, libjpeg-turbo, OpenSSL 3; curl and
# ca-certificates for models/fetch (and the HEALTHCHECK). Everything else the binary
# loads (libc6, libstdc++6, libgcc-s1, zlib1g) is part of debian:bookworm-slim, and
# libgfortran5 and libquadmath0 come in as OpenBLAS's dependencies.
ARG RUNTIME_PACKAGES="libopenblas0-pthread libpng16-16 libjpeg62-turbo libssl3 ca-certificates curl"
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends ${RUNTIME_PACKAGES} \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

# A fixed, unprivileged user (numeric, so Kubernetes' runAsNonRoot can check it).
RUN groupadd --system --gid 10001 gradcam \
    && useradd --system --uid 10001 --gid gradcam --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin gradcam

COPY --from=build /out/gradcam /usr/local/bin/gradcam

# /models: the manifest, the ImageNet labels, models/fetch and the small demo models (the
# real VGG16/AlexNet files are left out by .dockerignore); the files stay root's. The
# directories belong to the runtime user, so that models/fetch can add the real models to
# a volume mounted on either (a new named Docker volume takes the owner of the directory
# it is mounted on): /models itself (`docker run -v NAME:/models`), or /mnt/models, where
# the Kubernetes init container and the Compose `models` service copy /models and fetch.
COPY models/ /models/
RUN chmod 0755 /models/fetch \
    && mkdir -p /mnt/models \
    && chown 10001:10001 /models /mnt/models

USER 10001:10001
# From /, the subcommands' default models directory ("models") is /models, so that
# `docker run IMAGE gradcam predict --model vgg16 ...` needs no --models-dir.
WORKDIR /

EXPOSE 8080
STOPSIGNAL SIGTERM

# Liveness only (the process answers HTTP); readiness (/readyz, models loaded) is for the
# load balancer. Plain HTTP first; a server started with --tls-cert answers that with 400,
# and the check is retried over HTTPS without verifying the (possibly self-signed) cert.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["sh", "-c", "curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8080/healthz || curl -fsSk -o /dev/null --max-time 2 https://127.0.0.1:8080/healthz"]

# No ENTRYPOINT, so that `docker run IMAGE /models/fetch ...` and `docker run IMAGE gradcam
# explain ...` work as written. The exec form makes gradcam PID 1: it handles SIGTERM
# (graceful drain) and SIGHUP (API keys reloaded) itself and starts no child processes,
# so no init is needed.
CMD ["gradcam", "serve", "--host", "0.0.0.0", "--port", "8080", "--models-dir", "/models"]

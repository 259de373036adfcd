"""Shared fixtures for the integration tests.

`script/test` builds the release binary, starts `gradcam serve` on the bundled models and
exports GRADCAM_URL (that server) and GRADCAM_BIN (the binary, for tests that need a server
of their own, e.g. with TLS or API keys).
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("GRADCAM_URL")
    if not url:
        pytest.fail("GRADCAM_URL is not set: run the integration tests through script/test")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def gradcam_bin() -> pathlib.Path:
    path = os.environ.get("GRADCAM_BIN")
    if not path:
        pytest.fail("GRADCAM_BIN is not set: run the integration tests through script/test")
    return pathlib.Path(path)

"""Fixtures for the API tests: the server's address and a model it has loaded."""
import urllib.parse

import pytest
import requests


@pytest.fixture(scope="session")
def address(base_url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


@pytest.fixture(scope="session")
def model(base_url: str) -> str:
    """The first model the server has loaded (the tests work with any model)."""
    models = requests.get(f"{base_url}/models", timeout=30).json()["models"]
    assert models, "the server has no model loaded"
    return models[0]["name"]

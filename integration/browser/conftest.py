"""The browser tests' fixtures: one headless Chromium for all of them, and the demo model."""
import pytest
import requests

from page_support import chromium


@pytest.fixture(scope="session")
def driver():
    d = chromium()
    yield d
    d.quit()


@pytest.fixture(scope="session")
def model_name(base_url) -> str:
    models = requests.get(f"{base_url}/models", timeout=30).json()["models"]
    assert models, "the server has no model loaded"
    names = [m["name"] for m in models]
    assert "shapes-vgg" in names, f"the bundled demo model is not loaded: {names}"
    return "shapes-vgg"

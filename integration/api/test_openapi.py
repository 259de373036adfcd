"""openapi.yaml: the served document is the repository's, valid OpenAPI 3.1, and its list
of error codes is exactly the codes the server's sources can answer with."""
import pathlib
import re

import yaml
from openapi_spec_validator import validate

from test_schemathesis import served_spec

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())


def test_served_spec_is_the_repository_spec_and_valid(base_url: str) -> None:
    spec = served_spec(base_url)
    assert spec == SPEC
    validate(spec)
    assert spec["openapi"] == "3.1.0"


def codes_in_sources() -> set[str]:
    """Error codes as the sources write them: ServiceError(status, "code", ...) in the
    service, HTTPError(..., code: "code", ...) in the server."""
    codes = set()
    for path in (ROOT / "Sources" / "Service").glob("*.swift"):
        codes |= set(re.findall(r'(?:ServiceError|self\.init)\(\.\w+, "([a-z_]+)"', path.read_text()))
    for path in (ROOT / "Sources" / "HTTP").glob("*.swift"):
        codes |= set(re.findall(r'code: "([a-z_]+)"', path.read_text()))
    return codes | {"invalid_parameter"}  # ServiceError.badParameter's


def test_spec_lists_exactly_the_error_codes_of_the_sources() -> None:
    assert set(SPEC["components"]["schemas"]["ErrorCode"]["enum"]) == codes_in_sources()


def test_spec_lists_exactly_the_registrys_methods(base_url: str) -> None:
    """The method registry is the one list: the spec's Method enum, a model's `methods` and
    `method_details` all follow it, in its order."""
    import requests

    models = requests.get(f"{base_url}/models", timeout=10).json()["models"]
    info = requests.get(f"{base_url}/models/{models[0]['name']}", timeout=10).json()
    assert SPEC["components"]["schemas"]["Method"]["enum"] == info["methods"]
    assert [m["name"] for m in info["method_details"]] == info["methods"]
    details = {m["name"]: m for m in info["method_details"]}
    assert details["gradcam"]["uses_layer"] and not details["gradcam"]["input_attribution"]
    assert not details["guided-backprop"]["uses_layer"] and details["guided-backprop"]["input_attribution"]
    assert all(m["summary"] for m in info["method_details"])

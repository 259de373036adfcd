"""The /v1 and /v2 answers match the schemas openapi.yaml documents for them (the
schemathesis run sees their errors but no success: its images are random bytes)."""
from __future__ import annotations

import base64
import pathlib

import jsonschema
import pytest
import requests
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = "shapes-vgg"
IMAGE = (ROOT / "tools" / "shapes" / "samples" / "images" / "star_circle.jpg").read_bytes()
INSTANCES = [{"image": {"b64": base64.b64encode(IMAGE).decode()}}, {"b64": base64.b64encode(IMAGE).decode()}]


@pytest.fixture(scope="module")
def spec(base_url: str) -> dict:
    return yaml.safe_load(requests.get(f"{base_url}/openapi.yaml", timeout=30).text)


def check(spec: dict, reply: requests.Response, path: str, method: str, status: str = "200") -> None:
    """`reply` against the schema of `path`'s `method` answer `status`, its references
    resolved within the document."""
    assert reply.status_code == int(status), reply.text
    answer = spec["paths"][path][method]["responses"][status]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    media = answer["content"][reply.headers["Content-Type"]]
    jsonschema.validate(reply.json(), {**spec, **media["schema"]}, cls=jsonschema.Draft202012Validator)


def test_v1_answers_match_their_schemas(base_url: str, spec: dict) -> None:
    check(spec, requests.get(f"{base_url}/v1/models", timeout=30), "/v1/models", "get")
    check(spec, requests.get(f"{base_url}/v1/models/{MODEL}", timeout=30), "/v1/models/{name}", "get")
    predict = requests.post(f"{base_url}/v1/models/{MODEL}:predict", json={"instances": INSTANCES}, timeout=120)
    check(spec, predict, "/v1/models/{name}:predict", "post")
    explain = requests.post(f"{base_url}/v1/models/{MODEL}:explain",
                            json={"instances": INSTANCES, "parameters": {"class": ["circle", 2], "method": "guided-gradcam"}}, timeout=120)
    check(spec, explain, "/v1/models/{name}:explain", "post")
    bad = requests.post(f"{base_url}/v1/models/{MODEL}:explain", json={"instances": []}, timeout=30)
    check(spec, bad, "/v1/models/{name}:explain", "post", "400")
    missing = requests.get(f"{base_url}/v1/models/nothing", timeout=30)
    check(spec, missing, "/v1/models/{name}", "get", "404")


def test_v2_answers_match_their_schemas(base_url: str, spec: dict) -> None:
    for path in ("/v2", "/v2/health/live", "/v2/health/ready"):
        check(spec, requests.get(f"{base_url}{path}", timeout=30), path, "get")
    check(spec, requests.get(f"{base_url}/v2/models/{MODEL}", timeout=30), "/v2/models/{name}", "get")
    check(spec, requests.get(f"{base_url}/v2/models/{MODEL}/ready", timeout=30), "/v2/models/{name}/ready", "get")
    body = {"id": "7", "parameters": {"class": "circle", "binary_data_output": False},
            "inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": [base64.b64encode(IMAGE).decode()]}]}
    infer = requests.post(f"{base_url}/v2/models/{MODEL}/infer", json=body, timeout=120)
    check(spec, infer, "/v2/models/{name}/infer", "post")
    assert [o["name"] for o in infer.json()["outputs"]] == ["probabilities", "top_class", "heatmap", "explanation"]
    wrong = requests.post(f"{base_url}/v2/models/{MODEL}/infer", json={"inputs": []}, timeout=30)
    check(spec, wrong, "/v2/models/{name}/infer", "post", "400")

"""deploy/kserve/: the ServingRuntime and the InferenceService validate against KServe's CRD
schemas (deploy/kserve/crd/, their source in its README), strictly (a field the CRD does not
know is an error, as the API server's structural pruning would drop it silently); and what
the schemas cannot see: the runtime speaks the protocols the server has, runs flags
`gradcam serve` has, probes paths the server answers, and the InferenceService uses it."""
from __future__ import annotations

import gzip
import json
import pathlib
import re

import jsonschema
import pytest
import requests
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KSERVE = ROOT / "deploy" / "kserve"
SCHEMAS = {("ServingRuntime", "serving.kserve.io/v1alpha1"): "servingruntime-v1alpha1",
           ("InferenceService", "serving.kserve.io/v1beta1"): "inferenceservice-v1beta1"}


def load(name: str) -> dict:
    (document,) = [d for d in yaml.safe_load_all((KSERVE / name).read_text()) if d]
    return document


def strict(schema: dict) -> dict:
    """The CRD schema with unknown fields refused where the API server would prune them:
    every object with `properties` and no `additionalProperties` or
    `x-kubernetes-preserve-unknown-fields`."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
        # The API server's int-or-string: an integer or a string, whatever `type` says.
        if schema.get("x-kubernetes-int-or-string"):
            schema.pop("type", None)
            schema.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    elif isinstance(schema, list):
        schema = [strict(s) for s in schema]
    return schema


def schema(document: dict) -> dict:
    name = SCHEMAS[(document["kind"], document["apiVersion"])]
    with gzip.open(KSERVE / "crd" / f"{name}.schema.json.gz") as f:
        return strict(json.load(f))


@pytest.mark.parametrize("name", ["servingruntime.yaml", "inferenceservice.yaml"])
def test_manifest_validates_against_the_crd(name: str) -> None:
    document = load(name)
    # metadata is the API server's ObjectMeta, not in the CRD: checked by name alone.
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", document["metadata"]["name"])
    jsonschema.validate(document, schema(document), cls=jsonschema.Draft7Validator)


def test_the_strict_schema_refuses_what_the_crd_does_not_know() -> None:
    runtime = load("servingruntime.yaml")
    runtime["spec"]["multiModels"] = True
    runtime["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    errors = {e.message for e in jsonschema.Draft7Validator(schema(runtime)).iter_errors(runtime)}
    assert errors == {"Additional properties are not allowed ('multiModels' was unexpected)", "'http' is not of type 'integer'"}
    service = load("inferenceservice.yaml")
    service["spec"]["predictor"]["model"]["storageURI"] = service["spec"]["predictor"]["model"].pop("storageUri")
    errors = {e.message for e in jsonschema.Draft7Validator(schema(service)).iter_errors(service)}
    assert errors == {"Additional properties are not allowed ('storageURI' was unexpected)"}


def test_the_runtime_runs_the_server_as_it_is(base_url: str) -> None:
    runtime = load("servingruntime.yaml")["spec"]
    service = load("inferenceservice.yaml")
    assert set(runtime["protocolVersions"]) == {"v1", "v2"}
    (container,) = runtime["containers"]
    assert container["name"] == "kserve-container"  # the name KServe's webhooks expect of a runtime's container
    assert container["command"] == ["gradcam"] and container["args"][0] == "serve"
    spec = requests.get(f"{base_url}/openapi.yaml", timeout=30)
    paths = yaml.safe_load(spec.text)["paths"]
    for probe in ("readinessProbe", "livenessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert path in paths and requests.get(f"{base_url}{path}", timeout=30).status_code == 200
    assert "--models-dir=/mnt/models" in container["args"]  # where KServe's storage initializer puts storageUri
    port = container["ports"][0]["containerPort"]
    assert f"--port={port}" in container["args"]
    assert runtime["annotations"]["prometheus.kserve.io/port"] == str(port)
    assert runtime["annotations"]["prometheus.kserve.io/path"] in paths
    predictor = service["spec"]["predictor"]["model"]
    assert predictor["runtime"] == load("servingruntime.yaml")["metadata"]["name"]
    assert predictor["modelFormat"]["name"] in {f["name"] for f in runtime["supportedModelFormats"]}
    assert predictor["protocolVersion"] in runtime["protocolVersions"]


def test_the_runtime_flags_exist(gradcam_bin: pathlib.Path) -> None:
    import subprocess

    help_text = subprocess.run([str(gradcam_bin), "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    (container,) = load("servingruntime.yaml")["spec"]["containers"]
    for arg in container["args"][1:]:
        flag = arg.partition("=")[0]
        assert re.search(rf"(^|\s){re.escape(flag)}\b", help_text), f"gradcam serve has no {flag}"


def test_the_inference_service_names_a_served_model(base_url: str) -> None:
    # Clients address the model by the InferenceService's name: it must be a model's name.
    names = [m["name"] for m in requests.get(f"{base_url}/models", timeout=30).json()["models"]]
    assert load("inferenceservice.yaml")["metadata"]["name"] in names

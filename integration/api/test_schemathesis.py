"""The running server conforms to its served /openapi.yaml under schemathesis: every
status code documented, every body and header matching its schema and content type,
no 5xx, invalid data rejected.

Two runs: one over every operation with valid and invalid data (images are whatever
schemathesis makes, so the image endpoints answer 4xx before any model runs), and one
with valid data only on the image endpoints, each upload a real image (a hook), so the
success answers (PNG with its headers, the JSON documents) are checked too."""
import copy
import os
import pathlib
import re
import subprocess
import sys

import requests
import yaml

HERE = pathlib.Path(__file__).resolve().parent
# Budget: a few minutes on 2 cores. Cases per operation: the run with invalid data is
# cheap (no model runs); in the run that computes, each case costs a model run.
MAX_EXAMPLES = int(os.environ.get("GRADCAM_SCHEMATHESIS_EXAMPLES", "30"))
MAX_COMPUTED_EXAMPLES = int(os.environ.get("GRADCAM_SCHEMATHESIS_COMPUTED_EXAMPLES", "15"))
CONFORMANCE = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"


def served_spec(base_url: str) -> dict:
    reply = requests.get(f"{base_url}/openapi.yaml", timeout=30)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/yaml; charset=utf-8"
    return yaml.safe_load(reply.text)


def with_models(spec: dict, models: list[str]) -> dict:
    """`model` and the `name` of /models/{name} limited to this server's models, so that
    cases name one that exists (which no static document can say)."""
    spec = copy.deepcopy(spec)
    model = {"type": "string", "enum": models}
    spec["components"]["parameters"]["model"]["schema"] = model
    spec["components"]["parameters"]["model"]["example"] = models[0]
    for form in ("ExplainForm", "PredictForm"):
        spec["components"]["schemas"][form]["properties"]["model"] = model
    spec["paths"]["/models/{name}"]["get"]["parameters"][0]["schema"] = model
    spec["components"]["parameters"]["kserveModelName"]["schema"] = model  # the /v1 and /v2 routes
    return spec


def affordable(spec: dict, class_count: int) -> dict:
    """For the run that computes: the parameters that succeed on any model, without the
    costly options (Score-CAM runs the network once per channel; `dilate` rebuilds it; metrics
    run it dozens of times)
    and with at most three classes, each an index every served model has (0...class_count-1)."""
    spec = copy.deepcopy(spec)
    explain = spec["paths"]["/gradcam"]["post"]
    explain["parameters"] = [p for p in explain["parameters"]
                             if not p["$ref"].endswith(("/layer", "/dilate", "/metrics", "/metrics_seed", "/box"))]
    parameters = spec["components"]["parameters"]
    classes = {"type": "array", "maxItems": 3,
               "items": {"type": "string", "enum": [str(c) for c in range(min(class_count, 100))]}}
    parameters["class"]["schema"] = classes
    # `cam` needs a global-average-pool + linear head, which not every model has.
    methods = [m for m in spec["components"]["schemas"]["Method"]["enum"] if m not in ("scorecam", "cam")]
    form = spec["components"]["schemas"]["ExplainForm"]["properties"]
    form["method"] = parameters["method"]["schema"] = {"type": "string", "enum": methods}
    form["class"] = classes
    del form["layer"], form["dilate"], form["metrics"], form["metrics_seed"], form["box"]
    return spec


def schemathesis(spec: dict, base_url: str, tmp_path: pathlib.Path, examples: int, *arguments: str, env: dict | None = None) -> str:
    spec_file = tmp_path / "openapi.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(spec_file), "--url", base_url,
        "--max-examples", str(examples), "--seed", "1", "--no-shrink",
        # One worker: hypothesis parses lambdas with `ast`, not thread-safe on Python 3.11.
        "--workers", "1", "--request-timeout", "120", "--suppress-health-check", "all",
        *arguments,
    ]
    result = subprocess.run(command, env=dict(os.environ, **(env or {})), capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output[-20000:]
    return output


def served_models(base_url: str) -> list[dict]:
    return requests.get(f"{base_url}/models", timeout=30).json()["models"]


def model_names(base_url: str) -> list[str]:
    return [m["name"] for m in served_models(base_url)]


def test_every_answer_conforms_and_invalid_data_is_rejected(base_url: str, tmp_path: pathlib.Path) -> None:
    spec = with_models(served_spec(base_url), model_names(base_url))
    schemathesis(spec, base_url, tmp_path, MAX_EXAMPLES, "--phases", "examples,coverage,fuzzing",
                 # Valid data need not succeed: a valid image, layer, class or method depends
                 # on the model (and `cam` on its head), which a static schema cannot express.
                 "--exclude-checks", "positive_data_acceptance")


def successes(base_url: str) -> int:
    """Answered 200s of the image endpoints so far, from /metrics."""
    text = requests.get(f"{base_url}/metrics", timeout=30).text
    pattern = r'^gradcam_http_requests_total\{route="/(?:gradcam|predict)",status="200"\} (\d+)$'
    return sum(int(n) for n in re.findall(pattern, text, re.MULTILINE))


def test_successful_explanations_conform(base_url: str, tmp_path: pathlib.Path) -> None:
    spec = affordable(with_models(served_spec(base_url), model_names(base_url)),
                      min(m["classes"] for m in served_models(base_url)))
    before = successes(base_url)
    schemathesis(spec, base_url, tmp_path, MAX_COMPUTED_EXAMPLES, "--phases", "examples,fuzzing", "--mode", "positive",
                 "--include-path-regex", "^/(gradcam|predict)$", "--checks", CONFORMANCE,
                 env={"SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": str(HERE)})
    assert successes(base_url) - before >= 10, "too few requests succeeded to check the success answers"

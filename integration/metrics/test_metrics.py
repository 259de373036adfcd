"""Faithfulness metrics as a user asks for them: `POST /gradcam?metrics=...` and
`gradcam explain --metrics ...` on the bundled shapes-vgg, the same numbers from both."""
import json
import pathlib
import subprocess
import sys

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration" / "cli"))
from test_cli import assert_same_document  # noqa: E402

SAMPLE = ROOT / "tools/shapes/samples/images/star_circle.jpg"  # a star and a circle, 224x224
ALL = "road,confidence-change,deletion,insertion,average-drop,pointing-game"


def post(base_url, **params):
    with open(SAMPLE, "rb") as f:
        return requests.post(f"{base_url}/gradcam", params={"model": "shapes-vgg", "format": "json", **params},
                             files={"image": (SAMPLE.name, f, "image/jpeg")}, timeout=300)


def test_the_http_api_and_the_cli_report_the_same_metrics(gradcam_bin, base_url):
    params = {"class": "star", "metrics": ALL, "box": "0,0,224,224", "metrics_seed": "3"}
    response = post(base_url, **params)
    assert response.status_code == 200, response.text
    assert "metrics;dur=" in response.headers["Server-Timing"]
    cli = subprocess.run([str(gradcam_bin), "explain", "--model", "shapes-vgg", "--input", str(SAMPLE), "--format", "json",
                          "--class", "star", "--metrics", ALL, "--box", "0,0,224,224", "--metrics-seed", "3"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    document, served = json.loads(cli.stdout), response.json()
    metrics, served_metrics = document["explanations"][0].pop("metrics"), served["explanations"][0].pop("metrics")
    assert_same_document(document, served)
    # The CLI and the server's workers may run different BLAS thread counts: the map's
    # near-ties can then order pixels differently, which moves a metric a little.
    ours, theirs = leaves(metrics), leaves(served_metrics)
    assert [path for path, _ in ours] == [path for path, _ in theirs]
    assert [v for _, v in ours] == pytest.approx([v for _, v in theirs], abs=1e-3)

    assert sorted(metrics) == sorted(ALL.split(","))
    road = metrics["road"]
    assert road["percentiles"] == [10, 20, 30, 40, 50, 60, 70, 80, 90] and road["seed"] == 3 and road["noise"] == 0.01
    assert abs(road["combined"] - (sum(road["least_relevant_first"]) - sum(road["most_relevant_first"])) / 18) < 1e-6
    for name, baseline in (("deletion", "zeros"), ("insertion", "blur")):
        game = metrics[name]
        assert game["baseline"] == baseline and len(game["curve"]) == game["steps"] + 1 and 0 <= game["auc"] <= 1
    assert metrics["pointing-game"]["hit"] is True  # the box is the whole image
    change = metrics["confidence-change"]
    assert abs(change["change"] - (change["explanation_score"] - change["score"])) < 1e-6


def leaves(value, path="metrics"):
    """The document's numbers and booleans with their paths, in key order."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key], f"{path}.{key}")]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in leaves(item, f"{path}[{i}]")]
    return [(path, value)]


def test_a_trained_model_finds_its_shape_more_faithfully_than_its_inverse(base_url):
    """On the trained shapes-vgg, deleting what Grad-CAM points at hurts more than inserting it."""
    metrics = post(base_url, **{"class": "star", "metrics": "deletion,insertion"}).json()["explanations"][0]["metrics"]
    assert metrics["deletion"]["auc"] < metrics["insertion"]["auc"]


def test_without_metrics_the_document_has_no_metrics_key(base_url):
    response = post(base_url)
    assert response.status_code == 200
    assert all("metrics" not in e for e in response.json()["explanations"])


def test_wrong_metrics_are_400_naming_what_is_accepted(gradcam_bin, base_url):
    response = post(base_url, metrics="road,faithfulness")
    assert response.status_code == 400
    assert "road, confidence-change, deletion, insertion, average-drop, pointing-game" in response.json()["error"]["message"]
    assert post(base_url, metrics="pointing-game", box="0,0,500,10").status_code == 400
    cli = subprocess.run([str(gradcam_bin), "explain", "--model", "shapes-vgg", "--input", str(SAMPLE), "--metrics", "roads"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert cli.returncode != 0 and "unknown metric 'roads'" in cli.stderr

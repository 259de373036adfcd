"""`POST /sanity` and `gradcam sanity` on the demo model `shapes-vgg`: Adebayo et al.'s
cascading randomization (the README's finding), and the bad inputs refused with a 400 (or a
usage error) that names what is accepted.

The similarity measures themselves are checked against scipy, scikit-image and Quantus in
Tests/ExplainTests/SanitySimilarityTests.swift, and on real maps and randomized networks by
tools/sanity/reference.py (which needs torch, Quantus and onnx2torch: not installed here).
"""
import json
import pathlib
import subprocess

import numpy as np
import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE = ROOT / "tools/shapes/samples/images/star_circle.jpg"
METHODS = ["gradcam", "guided-backprop", "guided-gradcam"]
SHAPES_VGG_LAYERS = 16  # 13 convolutions and 3 fully connected layers


def post(base_url, **params):
    with open(IMAGE, "rb") as f:
        return requests.post(f"{base_url}/sanity", params=params, files={"image": (IMAGE.name, f, "image/jpeg")},
                             timeout=300)


@pytest.fixture(scope="module")
def document(base_url):
    response = post(base_url, model="shapes-vgg", seed=42)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_every_layer_is_randomized_from_the_top_down(document):
    steps = document["steps"]
    assert len(steps) == SHAPES_VGG_LAYERS + 1
    assert steps[0] == {"step": 0, "layer": None, "op": None}
    assert [s["op"] for s in steps[1:4]] == ["Gemm", "Gemm", "Gemm"]
    assert all(s["op"] == "Conv" for s in steps[4:])
    assert steps[1]["layer"] == "/classifier/classifier.6/Gemm"
    assert steps[-1]["layer"] == "/features/features.0/Conv"
    assert document["seed"] == 42
    assert [m["method"] for m in document["methods"]] == METHODS


def test_the_original_network_compares_equal_to_itself(document):
    for method in document["methods"]:
        assert len(method["curve"]) == SHAPES_VGG_LAYERS + 1
        assert all(abs(v - 1) < 1e-9 for v in method["curve"][0].values()), method


def test_grad_cam_depends_on_the_weights_and_guided_backprop_does_not(document):
    """Adebayo et al.'s finding: Grad-CAM's map is unrelated to the original once the top layers
    are random; guided backpropagation's stays close until the lowest convolutions are."""
    gradcam, guided, guided_gradcam = document["methods"]
    assert gradcam["verdict"] == "depends on the model's weights"
    assert gradcam["mean_spearman_abs"] < 0.2
    assert guided["verdict"] == "insensitive: do not trust it for this model"
    assert guided["mean_spearman_abs"] > 0.6
    assert all(c["spearman_abs"] > 0.9 for c in guided["curve"][:5])  # the head and conv5_3 random
    assert guided_gradcam["verdict"] == "depends on the model's weights"


def test_the_same_seed_gives_the_same_answer_and_another_seed_another(base_url, document):
    again = post(base_url, model="shapes-vgg", seed=42, method="gradcam")
    assert again.status_code == 200, again.text
    assert again.json()["methods"][0]["curve"] == document["methods"][0]["curve"]
    other = post(base_url, model="shapes-vgg", seed=7, method="gradcam").json()
    assert other["seed"] == 7
    assert other["methods"][0]["curve"] != document["methods"][0]["curve"]


def test_the_class_explained_is_the_original_networks(base_url):
    answer = post(base_url, model="shapes-vgg", method="gradcam", **{"class": "star"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["class"]["label"] == "star"


@pytest.mark.parametrize("params, names", [
    ({"method": "nonsense"}, ["unknown method", "guided-backprop"]),
    ({"method": "gradcam,gradcam"}, ["twice"]),
    ({"seed": "-1"}, ["seed", "0...9007199254740991"]),
    ({"seed": "abc"}, ["seed"]),
    ({"seed": "9007199254740992"}, ["seed"]),
    ({"class": "circle,star"}, ["one class"]),
    ({"class": "hexagon"}, ["unknown class", "circle"]),
    ({"layer": "nowhere"}, ["unknown layer"]),
    ({"colormap": "jet"}, ["colormap"]),
])
def test_bad_parameters_are_refused_naming_what_is_accepted(base_url, params, names):
    response = post(base_url, model="shapes-vgg", **params)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    for name in names:
        assert name in message, message


def test_the_cli_writes_the_document_and_the_maps(gradcam_bin, tmp_path):
    result = subprocess.run([str(gradcam_bin), "sanity", "--model", "shapes-vgg", "--models-dir", str(ROOT / "models"),
                             "--input", str(IMAGE), "--method", "gradcam,guided-backprop", "--seed", "5",
                             "--output", str(tmp_path), "--format", "json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert json.loads((tmp_path / "sanity.json").read_text()) == document
    assert np.fromfile(tmp_path / "input.f32", dtype="<f4").size == 3 * 160 * 160
    for method in ("gradcam", "guided-backprop"):
        maps = [np.fromfile(tmp_path / method / f"step-{k}.abs.f32", dtype="<f4") for k in range(SHAPES_VGG_LAYERS + 1)]
        assert all(m.size == 160 * 160 for m in maps)
        assert np.all(maps[0] >= 0)
    # Spearman's rho of the written maps is what the document says (average ranks for ties).
    for k, method in enumerate(("gradcam", "guided-backprop")):
        first, last = (np.fromfile(tmp_path / method / f"step-{s}.abs.f32", dtype="<f4") for s in (0, SHAPES_VGG_LAYERS))
        expected = document["methods"][k]["curve"][-1]["spearman_abs"]
        assert abs(np.corrcoef(average_ranks(first), average_ranks(last))[0, 1] - expected) < 1e-9


def average_ranks(values):
    """scipy.stats.rankdata's average ranks: tied values share the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse]


@pytest.mark.parametrize("arguments, message", [
    (["--method", "nonsense"], "unknown method"),
    (["--seed=-3"], "seed must be an integer"),
    (["--seed", "1e3"], "seed must be an integer"),
    (["--write-models"], "--write-models needs --output"),
])
def test_the_cli_refuses_bad_arguments(gradcam_bin, arguments, message):
    result = subprocess.run([str(gradcam_bin), "sanity", "--model", "shapes-vgg", "--models-dir", str(ROOT / "models"),
                             "--input", str(IMAGE), *arguments], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr

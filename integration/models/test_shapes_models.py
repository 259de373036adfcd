"""The bundled demo models, served by `gradcam serve`, against references made offline.

`tools/shapes/samples/labels.json` holds, for each committed sample image and each demo
model, the logits onnxruntime computes and the Grad-CAM peak pytorch-grad-cam finds for
every present class (`tools/shapes/samples.py`, same decoding and bilinear resize as ours).
Here the running server must reproduce them: logits within 1e-3 of the largest |logit|,
each peak within PEAK_TOLERANCE px of the reference's, and on its own shape (the pointing
game's 15 px). On the two-shape images the two classes' peaks land on different shapes: the
seed's boxer / tiger-cat example.
"""
import json
import pathlib

import numpy as np
import pytest
import requests
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tools/shapes/samples"
LABELS = json.loads((SAMPLES / "labels.json").read_text())
MODELS = ("shapes-vgg", "shapes-alexnet")
CLASSES = LABELS["classes"]
LOGIT_TOLERANCE = 1e-3  # relative to the largest |logit|
PEAK_TOLERANCE = 8  # px at 224: the reference upsamples in two steps (to the model input, then 224)
POINTING_TOLERANCE = 15  # px at 224, as in tools/shapes/evaluate.py
CASES = [(model, record) for model in MODELS for record in LABELS["images"]]


def case_id(case):
    model, record = case
    return f"{model}-{pathlib.Path(record['image']).stem}"


def distance(mask, shape_ids, point):
    """Distance in px from `point` (x, y) to the nearest pixel of the given shapes (label-map ids)."""
    ys, xs = np.nonzero(np.isin(mask, shape_ids))
    return float(np.hypot(xs - point[0], ys - point[1]).min()) if len(xs) else np.inf


def shape_ids(record, label, own=True):
    """Label-map ids of the record's shapes of class `label` (or, with own=False, of the others)."""
    return [k + 1 for k, shape in enumerate(record["shapes"]) if (shape["class"] == label) == own]


def post(base_url, path, image, **params):
    with open(image, "rb") as f:
        response = requests.post(f"{base_url}{path}", params=params, files={"image": (image.name, f, "image/jpeg")},
                                 timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_demo_models_are_loaded_with_their_labels(base_url):
    models = {m["name"]: m for m in requests.get(f"{base_url}/models", timeout=30).json()["models"]}
    for name in MODELS:
        assert name in models, f"{name} is not loaded: {sorted(models)}"
        detail = requests.get(f"{base_url}/models/{name}", timeout=30).json()
        assert detail["labels"] == CLASSES


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_logits_match_onnxruntime(base_url, case):
    model, record = case
    expected = np.array(record["reference"][model]["logits"])
    predictions = post(base_url, "/predict", SAMPLES / record["image"], model=model, top=len(CLASSES))["predictions"]
    actual = np.zeros(len(CLASSES))
    for p in predictions:
        actual[p["class"]] = p["logit"]
        assert p["score"] == pytest.approx(1 / (1 + np.exp(-p["logit"])), abs=1e-4), "scores are sigmoids"
    assert np.abs(actual - expected).max() <= LOGIT_TOLERANCE * np.abs(expected).max(), (actual, expected)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_present_class_peaks_on_its_own_shape(base_url, case):
    model, record = case
    mask = np.asarray(Image.open(SAMPLES / record["mask"]))
    classes = record["classes"]
    document = post(base_url, "/gradcam", SAMPLES / record["image"], model=model, format="json",
                    **{"class": ",".join(classes)})
    assert [e["label"] for e in document["explanations"]] == classes
    two_shapes = len(record["shapes"]) == 2 and len(classes) == 2
    for explanation in document["explanations"]:
        label = explanation["label"]
        assert not explanation["zero"], f"{label}: all-zero map"
        peak = (explanation["peak"]["x"], explanation["peak"]["y"])
        reference = record["reference"][model]["peaks"][label]
        assert np.hypot(peak[0] - reference[0], peak[1] - reference[1]) <= PEAK_TOLERANCE, (label, peak, reference)
        to_own = distance(mask, shape_ids(record, label), peak)
        assert to_own <= POINTING_TOLERANCE, f"{label} peak {peak} is off its shape"
        if two_shapes:  # and nearer its own shape than the other one
            assert to_own < distance(mask, shape_ids(record, label, own=False), peak), (label, peak)

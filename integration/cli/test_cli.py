"""The `gradcam` command line as a user runs it, on the bundled demo models and samples.

The binary is script/test's release build (GRADCAM_BIN); commands run from the repository
root, so `--model shapes-vgg` resolves through the default `--models-dir models`. The JSON
document of `gradcam explain` must be the one the HTTP API answers (GRADCAM_URL) for the
same image and parameters.
"""
import json
import pathlib
import struct
import subprocess

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tools/shapes/samples/images/star_circle.jpg"  # a star and a circle, 224x224


def run(gradcam_bin, *args, ok=True):
    """Runs `gradcam ARGS` from the repository root; returns the completed process."""
    result = subprocess.run([str(gradcam_bin), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def explain_json(gradcam_bin, *args):
    return json.loads(run(gradcam_bin, "explain", "--input", SAMPLE, "--format", "json", *args).stdout)


def assert_same_document(a, b, where="document"):
    """The same keys, lists and strings; numbers equal up to float32 rounding (the CLI and the
    server's workers may run with different BLAS thread counts, which reorders sums)."""
    assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, f"{where}: {a!r} != {b!r}"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            assert_same_document(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_document(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def png_size(path):
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_explain_json_is_the_document_the_http_api_answers(gradcam_bin, base_url):
    args = {"model": "shapes-vgg", "class": "circle,star", "method": "gradcam++"}
    cli = explain_json(gradcam_bin, *[x for k, v in args.items() for x in (f"--{k}", v)])
    with open(SAMPLE, "rb") as f:
        response = requests.post(f"{base_url}/gradcam", params={**args, "format": "json"},
                                 files={"image": (SAMPLE.name, f, "image/jpeg")}, timeout=120)
    assert response.status_code == 200, response.text
    assert_same_document(cli, response.json())
    assert [e["label"] for e in cli["explanations"]] == ["circle", "star"]
    assert cli["explanations"][0]["map"]["data"] != cli["explanations"][1]["map"]["data"]


def test_label_is_an_alias_of_class_and_takes_indices(gradcam_bin):
    by_class = explain_json(gradcam_bin, "--model", "shapes-alexnet", "--class", "star")
    by_label = explain_json(gradcam_bin, "--model", "shapes-alexnet", "--label", "3")
    assert by_class == by_label
    assert by_class["explanations"][0]["class"] == 3 and by_class["layer"] == "/features/features.18/Relu_output_0"


def test_the_default_class_is_the_top_prediction(gradcam_bin):
    document = explain_json(gradcam_bin, "--model", "shapes-vgg")
    assert document["explanations"][0]["class"] == document["predictions"][0]["class"]


def test_png_output_writes_the_overlay_at_the_image_size_and_prints_the_predictions(gradcam_bin, tmp_path):
    result = run(gradcam_bin, "explain", "--model", "shapes-vgg", "--input", SAMPLE, "--class", "circle",
                 "--output", tmp_path, "--colormap", "turbo", "--alpha", "0.3")
    assert png_size(tmp_path / "gradcam.png") == (224, 224)
    assert "circle" in result.stdout and "peak (" in result.stdout
    assert len([line for line in result.stdout.splitlines() if "logit" in line]) == 5


def test_guided_gradcam_writes_three_images_and_several_classes_one_per_class(gradcam_bin, tmp_path):
    run(gradcam_bin, "explain", "--model", "shapes-vgg", "--input", SAMPLE, "--method", "guided-gradcam",
        "--class", "circle", "--class", "star", "--output", tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{stem}-{c}.png" for stem in ("gradcam", "guided_backprop", "guided_gradcam") for c in (0, 3))
    assert all(png_size(tmp_path / n) == (224, 224) for n in names)


def test_fused_and_dilated_maps_have_a_finer_grid(gradcam_bin):
    plain = explain_json(gradcam_bin, "--model", "shapes-vgg", "--class", "circle")["explanations"][0]["map"]
    fused = explain_json(gradcam_bin, "--model", "shapes-vgg", "--class", "circle", "--method", "layercam",
                         "--layer", "relu5_3,relu4_3,relu3_3")
    dilated = explain_json(gradcam_bin, "--model", "shapes-vgg", "--class", "circle", "--dilate")
    assert (plain["width"], plain["height"]) == (10, 10)
    assert (fused["explanations"][0]["map"]["width"], fused["explanations"][0]["map"]["height"]) == (40, 40)
    assert (dilated["explanations"][0]["map"]["width"], dilated["explanations"][0]["map"]["height"]) == (160, 160)


def test_predict_json_lists_sigmoid_scores_best_first(gradcam_bin):
    document = json.loads(run(gradcam_bin, "predict", "--model", "shapes-vgg", "--input", SAMPLE,
                              "--format", "json", "--top", "3").stdout)
    assert document["model"] == "shapes-vgg" and document["image"] == {"width": 224, "height": 224}
    scores = [p["score"] for p in document["predictions"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert {p["label"] for p in document["predictions"][:2]} == {"circle", "star"}


def test_layers_lists_aliases_and_marks_the_default(gradcam_bin):
    out = run(gradcam_bin, "layers", "--model", "shapes-vgg").stdout
    default = [line for line in out.splitlines() if line.startswith("*  ")]
    assert len(default) == 1 and "/features/features.42/Relu_output_0" in default[0] and "relu5_3" in default[0]
    assert "10x10" in default[0] or "1x128x10x10" in default[0]


def test_models_lists_the_demo_models_and_the_ones_to_fetch(gradcam_bin):
    out = run(gradcam_bin, "models").stdout
    for name in ("shapes-vgg", "shapes-alexnet", "vgg16", "alexnet"):
        assert name in out
    assert "models/fetch" in out


def test_bench_prints_every_stage(gradcam_bin):
    out = run(gradcam_bin, "bench", "--model", "shapes-alexnet", "--runs", "1", "--warmup", "0", "--format", "json").stdout
    result = json.loads(out)["results"][0]
    assert set(result["median_ms"]) >= {"decode", "preprocess", "forward", "backward", "map", "encode", "total"}
    assert "profile" not in result


def test_bench_profile_times_every_operator_kind(gradcam_bin):
    out = run(gradcam_bin, "bench", "--model", "shapes-alexnet", "--runs", "2", "--warmup", "1", "--profile",
              "--format", "json").stdout
    profile = json.loads(out)["results"][0]["profile"]
    kinds = {row["kind"]: row for row in profile["kinds"]}
    # AlexNet's convolutions run with their ReLU fused; the backward pass reaches the classifier.
    assert any(kind.startswith("Conv ") and kind.endswith(" + Relu") for kind in kinds), kinds
    assert kinds["Gemm"]["backward_ms"] > 0 and all(row["forward_ms"] >= 0 for row in profile["kinds"])
    assert sum(row["nodes"] for row in profile["kinds"]) >= len(profile["costliest"]) > 0


@pytest.mark.parametrize("args, message", [
    (["--model", "nosuch"], "shapes-vgg"),  # unknown model: the loaded ones are listed
    (["--model", "shapes-vgg", "--class", "hexagon"], "circle"),  # unknown label: the labels are listed
    (["--model", "shapes-vgg", "--class", "7"], "0...4"),
    (["--model", "shapes-vgg", "--layer", "conv9_9"], "relu5_3"),
    (["--model", "shapes-vgg", "--method", "magic"], "gradcam++"),
    (["--model", "shapes-vgg", "--colormap", "rainbow"], "viridis"),
    (["--model", "shapes-vgg", "--mean", "0.5,0.5"], "three comma-separated numbers"),
    (["--model", "shapes-vgg", "--size", "big"], "HxW"),
    (["--model", "shapes-alexnet", "--dilate"], "dilat"),
], ids=["model", "label", "index", "layer", "method", "colormap", "mean", "size", "dilate"])
def test_bad_arguments_exit_non_zero_with_a_message_naming_what_is_accepted(gradcam_bin, args, message):
    result = run(gradcam_bin, "explain", "--input", SAMPLE, "--format", "json", *args, ok=False)
    assert result.returncode != 0 and result.stdout == ""
    assert message in result.stderr, result.stderr


@pytest.mark.parametrize("args, usage", [
    (["--model", "shapes-vgg", "--input", SAMPLE, "--method", "magic"], True),  # a usage mistake
    (["--model", "shapes-vgg", "--input", "/nonexistent/image.png"], False),  # the work failed
    (["--model", "nosuch", "--input", SAMPLE], False),
    (["--model", "shapes-vgg", "--input", SAMPLE, "--output", "/proc/gradcam-cannot-write"], False),
], ids=["bad-method", "missing-input", "unknown-model", "unwritable-output"])
def test_only_usage_mistakes_print_the_usage(gradcam_bin, args, usage):
    result = run(gradcam_bin, "explain", *args, ok=False)
    assert result.returncode != 0
    assert ("Usage:" in result.stderr) == usage, result.stderr


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty"),
    (b"GIF89a" + bytes(64), "PNG"),
    (SAMPLE.read_bytes()[:2000], "truncated"),
], ids=["missing", "empty", "gif", "truncated-jpeg"])
def test_bad_images_exit_non_zero_with_a_message(gradcam_bin, tmp_path, content, message):
    path = tmp_path / "input.jpg"
    if content is not None:
        path.write_bytes(content)
    result = run(gradcam_bin, "explain", "--model", "shapes-vgg", "--input", path, ok=False)
    assert result.returncode != 0
    assert message.lower() in result.stderr.lower(), result.stderr

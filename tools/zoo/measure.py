"""One model through one exporter: our CLI against onnxruntime and pytorch-grad-cam.

Ours runs as a separate process (`gradcam predict`, `explain --format json`, `bench`), on
the same PNG the reference side preprocesses in numpy (the PNG is already at the model's
input size, so our squash resize is the identity and both sides feed the same tensor).
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.image import scale_cam_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tools" / "fixtures"), str(REPO / "bench")]
from compare import median_seconds  # noqa: E402
from fixture_io import preprocess  # noqa: E402,F401 - the tensor both sides feed
from make_explain_fixtures import run_cam  # noqa: E402
from onnx_tools import layer_tensor, pearson  # noqa: E402,F401 - a module's output tensor in the graph

TIMEOUT = 900  # seconds for one CLI call: a full VGG16 bench takes under a minute here


class Refused(Exception):
    """Our CLI failed on the model; the message is its stderr."""


def cli(binary: str, *args: str, threads: int) -> dict:
    """Runs `gradcam ARGS --threads N` and returns its JSON document; Refused on failure."""
    command = [binary, *args, "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        raise Refused(" ".join(result.stderr.split()) or f"exit status {result.returncode}")
    return json.loads(result.stdout)


def session(path: pathlib.Path, threads: int) -> ort.InferenceSession:
    """onnxruntime on the CPU with `threads` intra-op threads that do not spin while they wait
    (spinning threads halve its speed on shared cores: ResNet18 here 0.2 s against 0.1 s)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnxruntime_logits(sess: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    return sess.run(None, {sess.get_inputs()[0].name: x})[0][0]


def our_logits(binary: str, path: pathlib.Path, image: pathlib.Path, classes: int, threads: int) -> np.ndarray:
    """Every logit, from `gradcam predict --top <classes>`."""
    document = cli(binary, "predict", "--model", str(path), "--input", str(image), "--top", str(classes),
                   "--format", "json", threads=threads)
    logits = np.full(classes, np.nan, np.float64)
    for prediction in document["predictions"]:
        logits[prediction["class"]] = prediction["logit"]
    return logits


def agreement(ours: np.ndarray, reference: np.ndarray) -> tuple[bool, float]:
    """(same top-5 in the same order, max |ours - reference| / max |reference|)."""
    same = list(np.argsort(-ours)[:5]) == list(np.argsort(-reference)[:5])
    return same, float(np.abs(ours - reference).max() / np.abs(reference).max())


def our_explanation(binary: str, path: pathlib.Path, image: pathlib.Path, cls: int, layer: str | None,
                    threads: int) -> tuple[str, np.ndarray]:
    """(the layer explained, the Grad-CAM map at its resolution) from `explain --format json`."""
    args = ["explain", "--model", str(path), "--input", str(image), "--class", str(cls), "--format", "json"]
    document = cli(binary, *args, *(["--layer", layer] if layer else []), threads=threads)
    entry = document["explanations"][0]["map"]
    return document["layer"], np.array(entry["data"], np.float32).reshape(entry["height"], entry["width"])


def our_milliseconds(binary: str, path: pathlib.Path, image: pathlib.Path, layer: str, runs: int, warmup: int,
                     threads: int) -> float:
    """Median forward + backward + map of `gradcam bench` (decoding and encoding left out, as
    the other two are given the preprocessed tensor)."""
    document = cli(binary, "bench", "--model", str(path), "--image", str(image), "--layer", layer, "--runs",
                   str(runs), "--warmup", str(warmup), "--format", "json", threads=threads)
    stages = document["results"][0]["median_ms"]
    return stages["forward"] + stages["backward"] + stages["map"]


def onnxruntime_milliseconds(sess: ort.InferenceSession, x: np.ndarray, runs: int, warmup: int) -> float:
    feed = {sess.get_inputs()[0].name: x}
    return 1000 * median_seconds(lambda: sess.run(None, feed), runs, warmup)


def reference_map(model: torch.nn.Module, layer: str, x: torch.Tensor, cls: int) -> np.ndarray:
    """pytorch-grad-cam's GradCAM at `layer`, at the layer's resolution, normalized as the
    library does (ReLU, then min-max)."""
    cam = run_cam("GradCAM", model, layer, x, cls)["cam"]
    return scale_cam_image(np.maximum(cam, 0)[None])[0]


def reference_milliseconds(model: torch.nn.Module, layer: str, x: torch.Tensor, cls: int, runs: int,
                           warmup: int) -> float:
    """Median of one whole pytorch-grad-cam GradCAM call (forward, backward, map, upsampling)."""
    with GradCAM(model=model, target_layers=[model.get_submodule(layer)]) as cam:
        targets = [ClassifierOutputTarget(cls)]
        return 1000 * median_seconds(lambda: cam(input_tensor=x, targets=targets), runs, warmup)


def correlation(ours: np.ndarray, reference: np.ndarray) -> float:
    if ours.shape != reference.shape:
        raise ValueError(f"our map is {ours.shape[0]}x{ours.shape[1]}, pytorch-grad-cam's "
                         f"{reference.shape[0]}x{reference.shape[1]}")
    return pearson(ours, reference)

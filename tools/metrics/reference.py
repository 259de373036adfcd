#!/usr/bin/env python3
"""References for the faithfulness metrics (`Sources/Explain/Metrics`), written to
Tests/Fixtures/metrics/metrics.json for `FaithfulnessAgreementTests`.

On the committed fixture models (vgg16_small, alexnet_small, resnet18_small, loaded from
their ONNX files with onnx2torch), each with its fixture input and pytorch-grad-cam's Grad-CAM
map at 224 x 224 (Tests/Fixtures/explain/*_224.pb: the SAME map and input on both sides):

- road: pytorch-grad-cam's ROADLeastRelevantFirst / ROADMostRelevantFirst at each of its
  percentiles and ROADCombined, with its NoisyLinearImputer's `torch.randn_like` fed our
  seeded noise (SplitMix64 + Box-Muller, ported below) in the order the references draw it;
- confidence-change: pytorch-grad-cam's CamMultImageConfidenceChange;
- average-drop: pytorch-grad-cam's DropInConfidence / IncreaseInConfidence
  (drop = 100 * DropInConfidence / Y);
- deletion / insertion: RISE's CausalMetric (Petsiuk et al., github.com/eclique/RISE,
  evaluation.py), re-implemented here with torch: its gkern(11, 5) blur, its auc, our step
  count, ties in the saliency order broken by pixel index (a stable argsort);
- pointing-game: Quantus's PointingGame (normalise=False) with two boxes;

all with the class's softmax probability (ClassifierOutputSoftmaxTarget). Quantus's ROAD is
an accuracy curve (argmax still the label, 50 percentages of removal), not pytorch-grad-cam's
readout; what the two share, the noisy linear imputation, is checked on a small image with
a random mask: pytorch-grad-cam's NoisyLinearImputer and Quantus's noisy_linear_imputation
fed the same noise must agree, and the result is stored for our imputer.

    PYTHONPATH=/work/venv-torch/lib/python3.11/site-packages /work/venvs/quantus/bin/python \\
        tools/metrics/reference.py
(a venv with quantus, onnx2torch, torch, pytorch-grad-cam and scipy).
"""
import json
import pathlib
import sys

import numpy as np
import onnx
import onnx2torch
import pytorch_grad_cam
import quantus
import quantus.functions.perturb_func as quantus_perturb
import scipy
import scipy.ndimage
import torch
from pytorch_grad_cam.metrics import road as pgc_road
from pytorch_grad_cam.metrics.cam_mult_image import CamMultImageConfidenceChange, DropInConfidence, IncreaseInConfidence
from pytorch_grad_cam.metrics.road import (NoisyLinearImputer, ROADCombined, ROADLeastRelevantFirst,
                                           ROADMostRelevantFirst)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "fixtures"))
from fixture_io import load_tensor, save_json  # noqa: E402

EXPLAIN = REPO / "Tests" / "Fixtures" / "explain"
OUT = REPO / "Tests" / "Fixtures" / "metrics" / "metrics.json"
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
STEPS = 32  # CausalCurve.defaultSteps
SEED = 7
MASK64 = (1 << 64) - 1


class Noise:
    """Our GaussianNoise: SplitMix64 uniforms, Box-Muller (cosine branch only). SplitMix64's
    k-th output depends on seed + k * gamma alone, so a draw of n normals is vectorized
    (numpy's uint64 arithmetic wraps as Swift's &+ and &*)."""

    GAMMA, C1, C2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)

    def __init__(self, seed):
        self.state = np.uint64(seed)
        self.drawn = 0

    def normals(self, shape):
        n = int(np.prod(shape))
        steps = np.arange(self.drawn + 1, self.drawn + 2 * n + 1, dtype=np.uint64)
        self.drawn += 2 * n
        z = self.state + steps * self.GAMMA
        z = (z ^ (z >> np.uint64(30))) * self.C1
        z = (z ^ (z >> np.uint64(27))) * self.C2
        z = z ^ (z >> np.uint64(31))
        u = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        return (np.sqrt(-2 * np.log(1 - u[0::2])) * np.cos(2 * np.pi * u[1::2])).reshape(shape)


def feed_torch(noise):
    """pytorch-grad-cam's imputer draws `torch.randn_like(res.t())`, (C, n): give it ours."""
    pgc_road.torch.randn_like = lambda t: torch.tensor(noise.normals(tuple(t.shape)), dtype=t.dtype)


def feed_numpy(noise):
    """Quantus draws `np.random.randn(C, n)`."""
    quantus_perturb.np.random.randn = lambda *shape: noise.normals(shape)


def imputation_case():
    rng = np.random.default_rng(3)
    channels, height, width = 3, 12, 10
    image = rng.normal(size=(channels, height, width)).astype(np.float32)
    kept = (rng.random((height, width)) < 0.4).astype(np.float32)
    ours = NoisyLinearImputer()
    feed_torch(Noise(SEED))
    pgc = ours(torch.from_numpy(image), torch.from_numpy(kept)).numpy()
    feed_numpy(Noise(SEED))
    removed = np.flatnonzero(kept.ravel() == 0)  # ascending: the variables in raster order, as ours
    qu = quantus_perturb.noisy_linear_imputation(image, removed, noise=0.01)
    agreement = float(np.abs(pgc - qu).max())
    assert agreement < 1e-5, f"pytorch-grad-cam and Quantus imputations differ by {agreement}"
    return {"channels": channels, "height": height, "width": width, "seed": SEED,
            "image": image.ravel().tolist(), "kept": kept.ravel().astype(int).tolist(),
            "imputed": pgc.ravel().tolist(), "references_agree_within": agreement}


def rise_kernel():
    """RISE's gkern(11, 5): scipy's gaussian_filter of a centred impulse."""
    impulse = np.zeros((11, 11))
    impulse[5, 5] = 1
    return scipy.ndimage.gaussian_filter(impulse, 5)


def causal_curve(model, x, saliency, cls, mode):
    """RISE's CausalMetric.single_run with `STEPS` steps and the softmax of class `cls`."""
    _, channels, height, width = x.shape
    pixels = height * width
    step = (pixels + STEPS - 1) // STEPS
    n_steps = (pixels + step - 1) // step
    if mode == "del":
        start, finish = x.clone(), torch.zeros_like(x)
    else:
        kern = torch.zeros(3, 3, 11, 11)
        for c in range(3):
            kern[c, c] = torch.from_numpy(rise_kernel().astype(np.float32))
        start, finish = torch.nn.functional.conv2d(x, kern, padding=5), x.clone()
    order = np.argsort(-saliency.reshape(-1), kind="stable")
    scores = np.empty(n_steps + 1)
    for i in range(n_steps + 1):
        with torch.no_grad():
            scores[i] = torch.softmax(model(start), dim=1)[0, cls].item()
        if i < n_steps:
            coords = order[step * i: step * (i + 1)]
            start.numpy().reshape(1, channels, pixels)[0, :, coords] = finish.numpy().reshape(1, channels, pixels)[0, :, coords]
    auc = (scores.sum() - scores[0] / 2 - scores[-1] / 2) / (scores.shape[0] - 1)
    return {"auc": float(auc), "steps": n_steps, "pixels_per_step": step, "curve": scores.tolist()}


def box_mask(box, height, width):
    x0, y0, x1, y1 = box
    mask = np.zeros((height, width), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def model_case(record):
    model = onnx2torch.convert(onnx.load(str(EXPLAIN / record["model"]))).eval()
    x = torch.from_numpy(load_tensor(EXPLAIN / record["input"]))
    cam = load_tensor(EXPLAIN / record["files"]["tensor"])
    cls = record["class"]
    targets = [ClassifierOutputSoftmaxTarget(cls)]
    cams = cam[None]

    noise = Noise(SEED)  # one stream: LeRF's percentiles, then MoRF's, as ROADCombined calls them
    feed_torch(noise)
    lerf = [float(ROADLeastRelevantFirst(p)(x, cams, targets, model)[0]) for p in PERCENTILES]
    morf = [float(ROADMostRelevantFirst(p)(x, cams, targets, model)[0]) for p in PERCENTILES]
    feed_torch(Noise(SEED))
    combined = float(ROADCombined(percentiles=PERCENTILES)(x, cams, targets, model)[0])
    assert abs(combined - (np.mean(np.float32(lerf)) - np.mean(np.float32(morf))) / 2) < 1e-6

    with torch.no_grad():
        y = torch.softmax(model(x), dim=1)[0, cls].item()
    change = float(CamMultImageConfidenceChange()(x, cams, targets, model)[0])
    drop = float(DropInConfidence()(x, cams, targets, model)[0])
    increase = bool(IncreaseInConfidence()(x, cams, targets, model)[0])

    height, width = cam.shape
    peak_y, peak_x = (int(v) for v in np.unravel_index(np.argmax(cam), cam.shape))
    boxes = [[max(0, peak_x - 8), max(0, peak_y - 8), min(width, peak_x + 8), min(height, peak_y + 8)],
             [0, 0, 16, 16] if peak_x > 40 or peak_y > 40 else [width - 16, height - 16, width, height]]
    pointing = []
    for box in boxes:
        s = box_mask(box, height, width)[None, None].astype(np.float32)
        hit = quantus.PointingGame(normalise=False, abs=False, disable_warnings=True)(
            model=model, x_batch=x.numpy(), y_batch=np.array([cls]), a_batch=cam[None, None], s_batch=s, device="cpu")
        pointing.append({"box": box, "hit": bool(hit[0])})

    return {
        "case": record["case"], "model": "../explain/" + record["model"], "input": "../explain/" + record["input"],
        "map": "../explain/" + record["files"]["tensor"], "class": cls, "seed": SEED, "percentiles": PERCENTILES,
        "road": {"least_relevant_first": lerf, "most_relevant_first": morf, "combined": combined},
        "confidence-change": {"score": y, "change": change},
        "average-drop": {"drop": 100 * drop / y, "increase": increase},
        "deletion": causal_curve(model, x.clone(), cam, cls, "del"),
        "insertion": causal_curve(model, x.clone(), cam, cls, "ins"),
        "pointing-game": pointing,
    }


def main():
    records = [r for r in json.loads((EXPLAIN / "cases.json").read_text())["records"] if r["kind"] == "cam_224"]
    out = {
        "versions": {"torch": torch.__version__, "pytorch-grad-cam": getattr(pytorch_grad_cam, "__version__", "1.5.7"),
                     "quantus": quantus.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "made_by": "tools/metrics/reference.py",
        "probability": "softmax of the class",
        "rise_kernel_1d": rise_kernel().sum(axis=1).tolist(),
        "imputation": imputation_case(),
        "cases": [model_case(r) for r in records],
    }
    save_json(OUT, out)
    for case in out["cases"]:
        print(case["case"], "road combined", case["road"]["combined"], "deletion", case["deletion"]["auc"],
              "insertion", case["insertion"]["auc"], "pointing", [p["hit"] for p in case["pointing-game"]])


if __name__ == "__main__":
    main()

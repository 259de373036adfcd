#!/usr/bin/env python3
"""Checks `gradcam sanity` against independent references on the same randomized weights.

Runs `gradcam sanity --output DIR --write-models` (or reads a DIR it wrote), then:

1. the same maps: recomputes every similarity of sanity.json from the maps our CLI wrote,
   with Quantus's correlation_spearman and ssim, scipy.stats.spearmanr / pearsonr and
   skimage.feature.hog (the parameters of tools/sanity/make_similarity_fixture.py);
2. the same weights: feeds Quantus's MPRT (ModelParameterRandomisation, top-down, abs and
   normalise_by_max, Spearman) the randomized networks our CLI wrote (step-<k>.onnx, loaded
   with onnx2torch) instead of its own, with maps made by pytorch-grad-cam (GradCAM at the
   same layer, GuidedBackpropReLUModel, their product for guided Grad-CAM) on the same
   preprocessed input (input.f32), and compares Quantus's per-step scores with our
   spearman_abs curve.

Prints the largest difference of each; exits non-zero beyond the tolerances below.

    PYTHONPATH=/work/venv-torch/lib/python3.11/site-packages /work/venvs/quantus/bin/python \\
        tools/sanity/reference.py --gradcam .build/release/gradcam --model shapes-vgg \\
        --input tools/shapes/samples/images/star_circle.jpg --layer relu5_3
(a venv with quantus, onnx2torch, torch, pytorch-grad-cam, scipy and scikit-image).
"""
import argparse
import copy
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx2torch
import quantus
import scipy.stats
import skimage.feature
import torch
from pytorch_grad_cam import GradCAM, GuidedBackpropReLUModel
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

SAME_MAPS_TOLERANCE = 1e-6  # our similarity of our maps vs the references' on those maps
SAME_WEIGHTS_TOLERANCE = 1e-3  # Spearman of maps from two engines: summation order (threads) reorders near-ties (1.7e-4 seen)


def hog(m):
    return skimage.feature.hog(m.astype(np.float64), orientations=9, pixels_per_cell=(8, 8), cells_per_block=(3, 3),
                               block_norm="L2-Hys", transform_sqrt=False, feature_vector=True)


def normalized(m):
    peak = m.max()
    return (m / peak).astype(np.float32) if peak > 0 else m


def none_if_nan(x):
    x = float(x)
    return None if np.isnan(x) else x


def reference_similarities(original, step):
    (a_abs, a_signed), (b_abs, b_signed) = original, step
    na, nb = normalized(a_abs), normalized(b_abs)
    data_range = float(max(na.max(), nb.max()) - min(na.min(), nb.min()))
    with np.errstate(all="ignore"):
        return {
            "spearman_abs": none_if_nan(quantus.similarity_func.correlation_spearman(a_abs.ravel(), b_abs.ravel())),
            "spearman": none_if_nan(scipy.stats.spearmanr(a_signed.ravel(), b_signed.ravel())[0]),
            "ssim": none_if_nan(quantus.similarity_func.ssim(na.astype(np.float64), nb.astype(np.float64))) if data_range > 0 else None,
            "hog": none_if_nan(scipy.stats.pearsonr(hog(na), hog(nb))[0]) if hog(na).std() > 0 and hog(nb).std() > 0 else None,
        }


def difference(ours, theirs):
    if ours is None or theirs is None:
        return 0.0 if ours is None and theirs is None else float("inf")
    return abs(ours - theirs)


def torch_model(path):
    model = onnx2torch.convert(onnx.load(str(path)))
    return model.eval()


def module_producing(onnx_path, tensor):
    node = next(n for n in onnx.load(str(onnx_path)).graph.node if tensor in n.output)
    return node.name.lstrip("/").replace(".", "/")


def explain(model, method, x, cls, layer_module):
    """pytorch-grad-cam's map for `method`, as the compared map: (H, W), absolute and signed."""
    x = torch.from_numpy(x)
    cam = None
    if method in ("gradcam", "guided-gradcam"):
        with GradCAM(model=model, target_layers=[model.get_submodule(layer_module)]) as g:
            cam = g(input_tensor=x, targets=[ClassifierOutputTarget(cls)])[0]
        if method == "gradcam":
            return cam, cam
    # On a copy: GuidedBackpropReLUModel puts one shared nn.ReLU back in every ReLU's place, after
    # which a Grad-CAM hook on one ReLU would fire at all of them.
    guided = GuidedBackpropReLUModel(model=copy.deepcopy(model), device=torch.device("cpu"))(x, target_category=cls)  # (H, W, 3)
    if cam is not None:
        guided = guided * cam[:, :, None]
    return np.abs(guided).sum(axis=2), guided.sum(axis=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", default=".build/release/gradcam")
    parser.add_argument("--model", default="shapes-vgg")
    parser.add_argument("--input", default="tools/shapes/samples/images/star_circle.jpg")
    parser.add_argument("--layer", default=None)
    parser.add_argument("--seed", default="42")
    parser.add_argument("--dir", help="a directory `gradcam sanity --output DIR --write-models` wrote (else run it)")
    args = parser.parse_args()

    directory = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="sanity-"))
    if not args.dir:
        command = [args.gradcam, "sanity", "--model", args.model, "--input", args.input, "--seed", args.seed,
                   "--output", str(directory), "--write-models", "--format", "json"]
        if args.layer:
            command += ["--layer", args.layer]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    document = json.loads((directory / "sanity.json").read_text())
    x = np.fromfile(directory / "input.f32", dtype="<f4")
    onnx_steps = sorted(directory.glob("step-*.onnx"), key=lambda p: int(p.stem.split("-")[1]))
    first = onnx.load(str(onnx_steps[0]))
    height, width = (d.dim_value for d in first.graph.input[0].type.tensor_type.shape.dim[2:])
    x = x.reshape(1, -1, height, width)
    cls = document["class"]["class"]
    layer_module = module_producing(onnx_steps[0], document["layer"].split(",")[0])
    failed = False
    networks = [torch_model(p) for p in onnx_steps]
    names = [s["layer"] for s in document["steps"][1:]]
    # Some steps' Grad-CAM maps are flat (all zero), which Quantus refuses to score; we report
    # null there, and Quantus's Spearman of a flat map is NaN: compared as equal.
    quantus.metrics.base.asserts.assert_attributions = lambda **kwargs: None

    for entry in document["methods"]:
        method = entry["method"]
        maps = [(np.fromfile(directory / method / f"step-{k}.abs.f32", dtype="<f4").reshape(height, width),
                 np.fromfile(directory / method / f"step-{k}.signed.f32", dtype="<f4").reshape(height, width))
                for k in range(len(document["steps"]))]
        worst = {key: 0.0 for key in ("spearman_abs", "spearman", "ssim", "hog")}
        for k, ours in enumerate(entry["curve"]):
            theirs = reference_similarities(maps[0], maps[k])
            for key in worst:
                worst[key] = max(worst[key], difference(ours[key], theirs[key]))
        print(f"{method}: same maps, largest difference from Quantus/scipy/scikit-image: "
              + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
        failed |= any(v > SAME_MAPS_TOLERANCE for v in worst.values())

        # Quantus's MPRT, fed our randomized networks in place of its own reset_parameters.

        PyTorchModel = quantus.helpers.model.pytorch_model.PyTorchModel
        PyTorchModel.get_random_layer_generator = lambda self, order="top_down", seed=42: zip(names, networks[1:])
        PyTorchModel.random_layer_generator_length = property(lambda self: len(names))

        def explain_func(model, inputs, targets, **kwargs):
            return np.stack([explain(model, method, inputs[i:i + 1], int(t), layer_module)[0]
                             for i, t in enumerate(targets)])[:, None]

        def spearman(a, b, batched=False, **kwargs):
            """Quantus's correlation_spearman; NaN for a flat map (where Quantus 0.6 itself fails on
            scipy's scalar NaN)."""
            if np.ptp(a) == 0 or np.ptp(b) == 0:
                return np.array([np.nan])
            return quantus.similarity_func.correlation_spearman(a, b, batched=batched, **kwargs)

        metric = quantus.MPRT(layer_order="top_down", similarity_func=spearman,
                              abs=True, normalise=True, display_progressbar=False, disable_warnings=True)
        a_batch = explain_func(networks[0], x, np.array([cls]))
        with np.errstate(all="ignore"):
            quantus_scores = metric(model=networks[0], x_batch=x, y_batch=np.array([cls]), a_batch=a_batch,
                                    explain_func=explain_func, device="cpu")
        curve = [quantus_scores[name][0] for name in names]
        ours = [c["spearman_abs"] for c in entry["curve"][1:]]
        worst_mprt = max(difference(o, None if np.isnan(t) else float(t)) for o, t in zip(ours, curve))
        print(f"{method}: same weights, Quantus MPRT (pytorch-grad-cam maps) vs our spearman_abs: largest difference {worst_mprt:.2e}"
              f" (ours last {ours[-1]}, Quantus last {curve[-1]:.4f})")
        if worst_mprt > SAME_WEIGHTS_TOLERANCE:
            print("  per step, ours / Quantus:", ", ".join(f"{o} / {t:.6f}" for o, t in zip(ours, curve)))
            failed = True
    print(f"maps and networks in {directory}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

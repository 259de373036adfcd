"""Side-by-side timing of one Grad-CAM on VGG16 and AlexNet (see bench/compare).

pytorch-grad-cam (GradCAM, GuidedBackpropReLUModel, optionally ScoreCAM and AblationCAM), optionally Captum's
IntegratedGradients (`--captum`: 50 steps, Gauss-Legendre, black baseline, `internal_batch_size`
16 as our batches), optionally torch-cam's SSCAM (`--sscam`: `--sscam-samples` noisy copies of
each channel's mask, default 1 since VGG16 at torch-cam's 35 takes an hour; batch 32; run with
a Python that also has torchcam, e.g. /work/venvs/torchcam with /work/venv-torch on PYTHONPATH)
and onnxruntime's
forward pass run in this process with `--threads` threads; our engine runs in its own
process through `gradcam bench` (in-process timings, same ONNX files, same image). Every
figure is a median over `--runs` calls after `--warmup` calls. Our figure is the compute a
request pays for (forward + backward + map); the PyTorch side is given the preprocessed
tensor, so decoding and encoding are left out of both (ours are printed separately).
"""
import argparse
import copy
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

# Waiting threads do not spin, for torch (libgomp; set before torch loads) and onnxruntime
# alike, as in tools/zoo: on shared cores a descheduled spinner can halve either's speed.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from pytorch_grad_cam import AblationCAM, GradCAM, GuidedBackpropReLUModel, ScoreCAM  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

IG_STEPS, IG_BATCH = 50, 16

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMAGE = ROOT / "Tests/Fixtures/images/chelsea_224.png"
MEAN, STD = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)
# The layer explained: the last convolution's ReLU (torchvision module index).
LAYERS = {"vgg16": 29, "alexnet": 11}


def median_seconds(call, runs, warmup):
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build(name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    return model


def export(model, path):
    x = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(model, x, str(path), input_names=["input"], output_names=["logits"], opset_version=17,
                      dynamo=False, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def image_tensor():
    pixels = np.asarray(Image.open(IMAGE).convert("RGB"), np.float32) / 255
    return torch.from_numpy(((pixels - MEAN) / STD).transpose(2, 0, 1)[None].copy())


def time_pytorch(name, model, x, args):
    layer = model.features[LAYERS[name]]
    with torch.no_grad():
        target = int(model(x).argmax())
    targets = [ClassifierOutputTarget(target)]
    gradcam = GradCAM(model=model, target_layers=[layer])
    result = {"gradcam": median_seconds(lambda: gradcam(input_tensor=x, targets=targets), args.runs, args.warmup)}
    # The guided model swaps every ReLU; a copy keeps the other methods' hooks intact.
    guided = GuidedBackpropReLUModel(model=copy.deepcopy(model), device="cpu")
    result["guided-backprop"] = median_seconds(lambda: guided(x, target_category=target), args.runs, args.warmup)
    result["gradcam+guided-backprop"] = result["gradcam"] + result["guided-backprop"]
    if args.scorecam:
        # ScoreCAM reads its batch size from the attribute `batch_size` (16 when absent): each
        # size is timed once (VGG16: minutes per call) and the reference is the best of them.
        scorecam = ScoreCAM(model=model, target_layers=[layer])
        for size in args.scorecam_batch_sizes:
            scorecam.batch_size = size
            result[f"scorecam batch {size}"] = median_seconds(lambda: scorecam(input_tensor=x, targets=targets), 1, 0)
            print(f"  {name} pytorch-grad-cam ScoreCAM batch {size}: {result[f'scorecam batch {size}']:.2f} s", flush=True)
        result["scorecam"] = min(result[f"scorecam batch {size}"] for size in args.scorecam_batch_sizes)
    if args.ablationcam:
        # Its defaults: batch_size 32, every channel ablated; the layers before the target run
        # for every batch (its docstring). One call (VGG16: a minute or more).
        ablationcam = AblationCAM(model=model, target_layers=[layer])
        result["ablationcam"] = median_seconds(lambda: ablationcam(input_tensor=x, targets=targets), 1, 0)
        print(f"  {name} pytorch-grad-cam AblationCAM: {result['ablationcam']:.2f} s", flush=True)
    if args.captum:
        from captum.attr import IntegratedGradients
        ig = IntegratedGradients(model)
        result["captum-ig"] = median_seconds(
            lambda: ig.attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=IG_STEPS,
                                 method="gausslegendre", internal_batch_size=IG_BATCH), min(args.runs, 3), 1)
    if args.sscam:
        result["sscam"] = time_torchcam_sscam(model, f"features.{LAYERS[name]}", x, target, args)
        print(f"  {name} torch-cam SSCAM ({args.sscam_samples} samples): {result['sscam']:.2f} s", flush=True)
    with torch.no_grad():
        result["forward"] = median_seconds(lambda: model(x), args.runs, args.warmup)
    return result


def time_torchcam_sscam(model, layer, x, target, args):
    """torch-cam's SSCAM, forward pass included (as ours): one call per run, fewer runs (many passes each)."""
    from torchcam.methods import SSCAM

    def call():
        with SSCAM(model, target_layer=layer, batch_size=32, num_samples=args.sscam_samples) as extractor:
            with torch.no_grad():
                model(x)
            extractor(class_idx=target)
    return median_seconds(call, min(args.runs, 3), 1)


def time_onnxruntime(path, x, args):
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {"input": x.detach().numpy()}
    return median_seconds(lambda: session.run(None, feed), args.runs, args.warmup)


def time_ours(path, args, methods, extra=()):
    command = [args.gradcam, "bench", "--model", str(path), "--image", str(IMAGE), "--runs", str(args.runs),
               "--warmup", str(args.warmup), "--threads", str(args.threads), "--format", "json", *extra]
    for method in methods:
        command += ["--method", method]
    document = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    result = {}
    for item in document["results"]:
        stages = item["median_ms"]
        result[item["method"]] = (stages["forward"] + stages["backward"] + stages["map"]) / 1000
        result[item["method"] + " (whole request)"] = stages["total"] / 1000
        result["forward"] = item["forward_only_ms"] / 1000
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", required=True, help="the gradcam executable")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scorecam", action="store_true", help="also time Score-CAM (VGG16: minutes per call)")
    parser.add_argument("--ablationcam", action="store_true", help="also time AblationCAM (VGG16: a minute or more per call)")
    parser.add_argument("--captum", action="store_true", help="also time Captum's IntegratedGradients (50 steps)")
    parser.add_argument("--sscam", action="store_true", help="also time torch-cam's SSCAM against our sscam")
    parser.add_argument("--sscam-samples", type=int, default=1, help="SSCAM's noisy copies per channel (default 1)")
    parser.add_argument("--scorecam-batch-sizes", type=lambda text: [int(v) for v in text.split(",")],
                        default=[16, 32, 64, 128], help="pytorch-grad-cam ScoreCAM batch sizes to try (default 16,32,64,128)")
    parser.add_argument("--models", type=lambda text: text.split(","), default=["vgg16", "alexnet"],
                        help="which of vgg16,alexnet to time (default both)")
    parser.add_argument("--keep", type=pathlib.Path, help="write the ONNX files here (default: a temporary folder)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = image_tensor()
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, {args.threads} threads, "
          f"median of {args.runs} after {args.warmup} warm-up", flush=True)

    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or pathlib.Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for name in args.models:
            model = build(name)
            path = folder / f"{name}.onnx"
            if not path.exists():
                export(model, path)
            methods = (["gradcam", "guided-gradcam"] + (["scorecam"] if args.scorecam else [])
                       + (["ablationcam"] if args.ablationcam else [])
                       + (["integrated-gradients"] if args.captum else []))
            ours = time_ours(path, args, methods)
            if args.sscam:  # its own call: --samples, and fewer runs (many passes each)
                sscam_args = copy.copy(args)
                sscam_args.runs, sscam_args.warmup = min(args.runs, 3), 1
                sscam = time_ours(path, sscam_args, ["sscam"], ["--samples", str(args.sscam_samples)])
                ours |= {key: value for key, value in sscam.items() if key.startswith("sscam")}
            theirs = time_pytorch(name, model, x, args)
            onnx_forward = time_onnxruntime(path, x, args)
            rows.append((name, ours, theirs, onnx_forward))
            print(f"{name}: ours {ours}\n  pytorch-grad-cam {theirs}\n  onnxruntime forward {onnx_forward:.4f}", flush=True)

    print("\n| model | what | ours (s) | reference (s) | ratio |\n|---|---|---|---|---|")
    goals = []
    for name, ours, theirs, onnx_forward in rows:
        pairs = [("gradcam", "gradcam", "pytorch-grad-cam GradCAM"),
                 ("guided-gradcam", "gradcam+guided-backprop", "pytorch-grad-cam GradCAM + GuidedBackprop"),
                 ("forward", "forward", "PyTorch forward")]
        if args.scorecam:
            pairs.append(("scorecam", "scorecam", "pytorch-grad-cam ScoreCAM (its best batch size)"))
        if args.ablationcam:
            pairs.append(("ablationcam", "ablationcam", "pytorch-grad-cam AblationCAM (batch 32)"))
        if args.sscam:
            pairs.append(("sscam", "sscam", f"torch-cam SSCAM ({args.sscam_samples} samples, batch 32)"))
        if args.captum:
            pairs.append(("integrated-gradients", "captum-ig", f"Captum IntegratedGradients ({IG_STEPS} steps)"))
        for mine, reference, label in pairs:
            ratio = theirs[reference] / ours[mine]
            print(f"| {name} | {mine} vs {label} | {ours[mine]:.4f} | {theirs[reference]:.4f} | {ratio:.2f}x |")
        print(f"| {name} | gradcam vs onnxruntime forward alone | {ours['gradcam']:.4f} | {onnx_forward:.4f} | "
              f"{onnx_forward / ours['gradcam']:.2f}x |")
        print(f"| {name} | forward vs onnxruntime forward | {ours['forward']:.4f} | {onnx_forward:.4f} | "
              f"{onnx_forward / ours['forward']:.2f}x |")
        goals.append((f"{name} gradcam >= 4x pytorch-grad-cam", theirs["gradcam"] / ours["gradcam"] >= 4))
        if args.scorecam:
            goals.append((f"{name} scorecam >= 5x pytorch-grad-cam ScoreCAM at its best batch size",
                          theirs["scorecam"] / ours["scorecam"] >= 5))
        if name == "vgg16":
            goals.append(("vgg16 guided-gradcam >= 4x GradCAM + GuidedBackprop",
                          theirs["gradcam+guided-backprop"] / ours["guided-gradcam"] >= 4))
            goals.append(("vgg16 gradcam no slower than onnxruntime's forward", ours["gradcam"] <= onnx_forward))
            if args.captum:
                goals.append(("vgg16 integrated-gradients >= 5x Captum IntegratedGradients",
                              theirs["captum-ig"] / ours["integrated-gradients"] >= 5))
    print()
    for goal, met in goals:
        print(f"{'met ' if met else 'MISSED'}  {goal}")


if __name__ == "__main__":
    main()

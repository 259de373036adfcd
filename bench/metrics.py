"""The time the faithfulness metrics add, ours against pytorch-grad-cam's, on a random-weight
VGG16 (bench/compare.py's: torchvision's architecture, seed 0, exported to ONNX) and the same
224x224 image.

Ours: `gradcam serve` (one worker with `--threads` threads) answering
`POST /gradcam?format=json&metrics=M`, the `metrics` stage of its Server-Timing header (the
metric alone: its perturbations, imputations and forward passes, not the explanation).
Theirs: pytorch-grad-cam's ROADCombined (its default percentiles, 18 imputations and forward
passes) and CamMultImageConfidenceChange on a Grad-CAM map of the same layer, the class's
softmax as the target, in this process with `--threads` torch threads. Medians over `--runs`
calls after one warm-up.

    /work/venv-torch/bin/python bench/metrics.py --gradcam .build-rel/release/gradcam
(bench/compare.py's tools: torch, torchvision, onnx, onnxruntime, pytorch-grad-cam, Pillow, numpy).
"""
import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from compare import IMAGE, build, export, image_tensor, median_seconds  # sets OMP_WAIT_POLICY before torch loads

import torch  # noqa: E402
from pytorch_grad_cam import GradCAM  # noqa: E402
from pytorch_grad_cam.metrics.cam_mult_image import CamMultImageConfidenceChange  # noqa: E402
from pytorch_grad_cam.metrics.road import ROADCombined  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget, ClassifierOutputTarget  # noqa: E402

METRICS = ("road", "confidence-change")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ours(gradcam, folder, target, args):
    port = free_port()
    server = subprocess.Popen([gradcam, "serve", "--models-dir", str(folder), "--port", str(port), "--workers", "1",
                               "--threads", str(args.threads), "--timeout", "600"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        body = IMAGE.read_bytes()
        result = {}
        for metric in METRICS:
            def stage():
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/gradcam?model=vgg16&format=json&class={target}&metrics={metric}",
                    data=body, headers={"Content-Type": "image/png"})
                with urllib.request.urlopen(request, timeout=600) as reply:
                    timing = dict(part.strip().split(";dur=") for part in reply.headers["Server-Timing"].split(","))
                    return float(timing["metrics"]) / 1000
            stage()
            result[metric] = statistics.median(stage() for _ in range(args.runs))
        return result
    finally:
        server.terminate()
        server.wait()


def theirs(model, x, target, args):
    cam = GradCAM(model=model, target_layers=[model.features[29]])(input_tensor=x, targets=[ClassifierOutputTarget(target)])
    targets = [ClassifierOutputSoftmaxTarget(target)]
    road, change = ROADCombined(), CamMultImageConfidenceChange()
    return {"road": median_seconds(lambda: road(x, cam, targets, model), args.runs, 1),
            "confidence-change": median_seconds(lambda: change(x, cam, targets, model), args.runs, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, x = build("vgg16"), image_tensor()
    with torch.no_grad():
        target = int(model(x).argmax())
    with tempfile.TemporaryDirectory() as folder:
        export(model, f"{folder}/vgg16.onnx")
        mine = ours(args.gradcam, folder, target, args)
    other = theirs(model, x, target, args)
    print(f"VGG16 (random weights), class {target}, {args.threads} threads, median of {args.runs} after one warm-up")
    print(f"{'metric':<20} {'ours (s)':>9} {'pytorch-grad-cam (s)':>21} {'ratio':>6}")
    for metric in METRICS:
        print(f"{metric:<20} {mine[metric]:>9.3f} {other[metric]:>21.3f} {other[metric] / mine[metric]:>5.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Classification metrics and the Grad-CAM pointing game on a generated split on disk.

    python tools/shapes/generate.py --out tools/shapes/data/test --seed 2 --count 1000
    python tools/shapes/evaluate.py --model shapes-vgg --data tools/shapes/data/test \
        --checkpoint tools/shapes/runs/shapes-vgg.pt                      # --backend pytorch
    python tools/shapes/evaluate.py --model shapes-vgg --data tools/shapes/data/test \
        --backend gradcam --gradcam .build/release/gradcam                # our Swift CLI

Classification (mAP, per-class AP, accuracy at 0.5 per label and as an exact set) needs the
PyTorch checkpoint, or `--onnx` to score with onnxruntime. Pointing game (Selvaraju et al.):
for every present class of every image, the Grad-CAM map at the model's default layer is
upsampled to 224x224 and its argmax is a hit if it lies within TOLERANCE px of a shape of that
class. Also reported: on images with exactly two shapes of different classes, the fraction
where both classes' peaks land on their own shape.
"""

import argparse
import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import torch
from sklearn.metrics import average_precision_score

from generate import CLASSES, IMAGE_SIZE
from models import MODELS, load, preprocess

TOLERANCE = 15  # pixels at 224x224


def pytorch_peaks(model):
    """A peaks(image, classes) function computing Grad-CAM with pytorch-grad-cam."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    cam = GradCAM(model, [model.get_submodule(model.gradcam_layer)])

    def peaks(image, classes):
        x = preprocess(image, model.input_size)[None].repeat(len(classes), 1, 1, 1)
        maps = cam(x, [ClassifierOutputTarget(c) for c in classes])  # N x S x S, bilinear
        result = []
        for m in maps:
            m = cv2.resize(m, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_LINEAR)
            y, x = np.unravel_index(np.argmax(m), m.shape)
            result.append((x, y) if m.max() > 0 else None)  # an all-zero map points nowhere
        return result

    return peaks


def gradcam_cli_peaks(binary, model_name, models_dir):
    """A peaks(image_path, classes) function asking one `gradcam explain` for every class's map peak."""

    def peaks(path, classes):
        output = subprocess.run([binary, "explain", "--model", model_name, "--input", str(path),
                                 "--class", ",".join(map(str, classes)), "--format", "json", "--models-dir", models_dir],
                                check=True, capture_output=True, text=True).stdout
        explanations = json.loads(output)["explanations"]  # one per class, in the order asked
        return [(e["peak"]["x"], e["peak"]["y"]) if e.get("peak") else None for e in explanations]

    return peaks


def distance_to_class(mask, shapes, c):
    """Map of each pixel's distance in px to the nearest visible pixel of a shape of class index c."""
    ids = [k + 1 for k, s in enumerate(shapes) if s["class"] == CLASSES[c]]
    outside = (~np.isin(mask, ids)).astype(np.uint8)
    return cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def classification(scores, targets):
    predicted = scores >= 0.5
    ap = [average_precision_score(targets[:, c], scores[:, c]) for c in range(len(CLASSES))]
    print(f"mAP {np.mean(ap):.4f}  " + "  ".join(f"{n} {a:.4f}" for n, a in zip(CLASSES, ap)))
    print(f"accuracy@0.5: per label {np.mean(predicted == targets):.4f}, "
          f"exact set {np.mean((predicted == targets).all(axis=1)):.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--data", required=True, help="a folder written by generate.py")
    parser.add_argument("--backend", choices=("pytorch", "gradcam"), default="pytorch")
    parser.add_argument("--checkpoint", help="train.py checkpoint (pytorch backend, classification)")
    parser.add_argument("--onnx", help="score classification with onnxruntime on this ONNX file instead")
    parser.add_argument("--gradcam", default="gradcam", help="path of the Swift CLI (gradcam backend)")
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--limit", type=int, help="evaluate only the first N images")
    args = parser.parse_args()
    torch.set_num_threads(2)

    data = Path(args.data)
    records = json.loads((data / "labels.json").read_text())["images"][:args.limit]
    model = load(args.model, args.checkpoint) if args.checkpoint else MODELS[args.model]().eval()
    if args.backend == "pytorch":
        peaks = pytorch_peaks(model)
    else:
        peaks = gradcam_cli_peaks(args.gradcam, args.model, args.models_dir)
    if args.onnx:
        import onnxruntime
        session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])

    scores, targets, hits, pairs = [], [], [], []
    for record in records:
        image = cv2.imread(str(data / record["image"]))[:, :, ::-1].copy()
        mask = cv2.imread(str(data / record["mask"]), cv2.IMREAD_UNCHANGED)
        classes = [CLASSES.index(n) for n in record["classes"]]
        target = np.isin(np.arange(len(CLASSES)), classes).astype(np.float32)
        x = preprocess(image, model.input_size)[None]
        if args.onnx:
            logits = session.run(None, {"input": x.numpy()})[0][0]
        elif args.checkpoint:
            with torch.no_grad():
                logits = model(x)[0].numpy()
        if args.onnx or args.checkpoint:
            scores.append(1 / (1 + np.exp(-logits)))
            targets.append(target)

        found = peaks(image if args.backend == "pytorch" else data / record["image"], classes)
        distances = [distance_to_class(mask, record["shapes"], c) for c in classes]
        at_peak = [[d[round(p[1]), round(p[0])] if p else np.inf for d in distances] for p in found]
        hits += [at_peak[i][i] <= TOLERANCE for i in range(len(classes))]
        if len(record["shapes"]) == 2 and len(classes) == 2:  # own shape hit, and nearer than the other
            pairs.append(all(at_peak[i][i] <= TOLERANCE and at_peak[i][i] < at_peak[i][1 - i] for i in range(2)))

    if scores:
        classification(np.array(scores), np.array(targets))
    print(f"pointing game ({args.backend}, {model.gradcam_layer}, {TOLERANCE} px): "
          f"{np.mean(hits):.4f} of {len(hits)} (image, class) pairs")
    print(f"two different shapes, each peak on its own shape (and nearer it than the other): {np.mean(pairs):.4f} of {len(pairs)} images")


if __name__ == "__main__":
    main()

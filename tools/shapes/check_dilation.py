"""Checks `gradcam --dilate` against the same dilated network built independently in PyTorch.

    python tools/shapes/check_dilation.py --gradcam .build/release/gradcam

The seed's "dilated VGG16", built from shapes-vgg's checkpoint: every max pooling before
relu5_3 becomes the identity, each later 3x3 convolution gets dilation and padding 2^k (k
poolings removed above it), and pool5 grows from 2x2 to 32x32 so the head sees a 5x5 grid
again; same weights. For every committed sample, the logits of `gradcam predict`-equivalent
`gradcam explain --dilate` must match PyTorch's within 1e-3 of the largest |logit|; exits 1
otherwise.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from models import load, preprocess

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tools/shapes/samples/images"
LAYER_INDEX = 42  # relu5_3 in ShapesVGG.features
TOLERANCE = 1e-3


def dilated(model):
    """ShapesVGG with the poolings before relu5_3 removed and the later convolutions dilated."""
    layers, factor = [], 1
    for index, module in enumerate(model.features):
        if isinstance(module, nn.MaxPool2d):
            if index < LAYER_INDEX:
                layers.append(nn.Identity())
                factor *= 2
            else:
                layers.append(nn.MaxPool2d(2 * factor, 2 * factor))
        elif isinstance(module, nn.Conv2d) and factor > 1:
            conv = nn.Conv2d(module.in_channels, module.out_channels, 3, padding=factor, dilation=factor)
            conv.weight.data, conv.bias.data = module.weight.data, module.bias.data
            layers.append(conv)
        else:
            layers.append(module)
    model.features = nn.Sequential(*layers)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", default=str(ROOT / ".build/release/gradcam"))
    parser.add_argument("--checkpoint", default=str(ROOT / "tools/shapes/runs/shapes-vgg.pt"))
    args = parser.parse_args()
    model = dilated(load("shapes-vgg", args.checkpoint))
    worst = 0.0
    for path in sorted(SAMPLES.glob("*.jpg")):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB").resize((model.input_size,) * 2, Image.BILINEAR))
        with torch.no_grad():
            expected = model(preprocess(pixels, model.input_size)[None])[0].numpy()
        output = subprocess.run([str(Path(args.gradcam).resolve()), "explain", "--model", "shapes-vgg", "--input", str(path), "--dilate",
                                 "--format", "json", "--top", "5"], cwd=ROOT, check=True, capture_output=True, text=True)
        actual = np.zeros_like(expected)
        for p in json.loads(output.stdout)["predictions"]:
            actual[p["class"]] = p["logit"]
        error = float(np.abs(actual - expected).max() / np.abs(expected).max())
        worst = max(worst, error)
        print(f"{path.name}: dilated logits {np.round(actual, 4)}, PyTorch {np.round(expected, 4)}, relative error {error:.1e}")
    print(f"largest relative error {worst:.1e} (tolerance {TOLERANCE:g})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The README's sanity-check figure and table, from our CLI's output (Adebayo et al.'s Fig. 2).

Runs `gradcam sanity --output DIR` on a committed sample image with `shapes-vgg`, then draws
tools/sanity/figures/<model>-cascade.png (rows: Grad-CAM, guided backprop, guided Grad-CAM;
columns: the original network, then each step of the cascade, top layer first; each map its
absolute value over its own maximum, in gray) and <model>-curves.png (Spearman of absolute
maps, Spearman of signed maps, SSIM and HOG similarity per step), and prints the table of
the curves in Markdown.

    /work/venv-torch/bin/python tools/sanity/figure.py --gradcam .build/release/gradcam
(numpy, Pillow and matplotlib).
"""
import argparse
import json
import pathlib
import subprocess
import tempfile

import matplotlib
import numpy as np
from PIL import Image, ImageDraw

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIGURES = ROOT / "tools/sanity/figures"
TITLES = {"gradcam": "Grad-CAM", "guided-backprop": "Guided backprop", "guided-gradcam": "Guided Grad-CAM"}
CELL = 80
LABEL = 130


def short(layer):
    """A node name as a column heading: `/features/features.40/Conv` -> `features.40`."""
    return "original" if layer is None else layer.strip("/").split("/")[-2 if layer.count("/") > 1 else 0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", default=str(ROOT / ".build/release/gradcam"))
    parser.add_argument("--model", default="shapes-vgg")
    parser.add_argument("--input", default=str(ROOT / "tools/shapes/samples/images/star_circle.jpg"))
    parser.add_argument("--seed", default="42")
    args = parser.parse_args()

    directory = pathlib.Path(tempfile.mkdtemp(prefix="sanity-figure-"))
    subprocess.run([args.gradcam, "sanity", "--model", args.model, "--models-dir", str(ROOT / "models"),
                    "--input", args.input, "--seed", args.seed, "--output", str(directory)],
                   check=True, stdout=subprocess.DEVNULL)
    document = json.loads((directory / "sanity.json").read_text())
    x = np.fromfile(directory / "input.f32", dtype="<f4")
    side = int(round((x.size / 3) ** 0.5))
    steps = document["steps"]
    methods = [m["method"] for m in document["methods"]]

    picture = Image.new("L", (LABEL + CELL * (len(steps) + 1), 40 + CELL * len(methods)), 255)
    draw = ImageDraw.Draw(picture)
    photo = Image.open(args.input).convert("L").resize((CELL - 4, CELL - 4))
    picture.paste(photo, (LABEL + 2, 42))
    draw.text((LABEL + 4, 4), "input", fill=0)
    for column, step in enumerate(steps, start=1):
        heading = short(step["layer"])
        draw.text((LABEL + column * CELL + 4, 4), heading, fill=0)
        draw.text((LABEL + column * CELL + 4, 18), f"step {step['step']}", fill=0)
    for row, method in enumerate(methods):
        draw.text((4, 40 + row * CELL + CELL // 2), TITLES.get(method, method), fill=0)
        for column, step in enumerate(steps, start=1):
            m = np.fromfile(directory / method / f"step-{step['step']}.abs.f32", dtype="<f4").reshape(side, side)
            m = m / m.max() if m.max() > 0 else m
            tile = Image.fromarray((m * 255).astype(np.uint8)).resize((CELL - 4, CELL - 4), Image.BILINEAR)
            picture.paste(tile, (LABEL + column * CELL + 2, 40 + row * CELL + 2))
    FIGURES.mkdir(parents=True, exist_ok=True)
    cascade_path = FIGURES / f"{args.model}-cascade.png"
    picture.save(cascade_path, optimize=True)

    keys = [("spearman_abs", "Spearman (absolute)"), ("spearman", "Spearman (signed)"), ("ssim", "SSIM"), ("hog", "HOG similarity")]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2), sharey=True)
    for ax, (key, title) in zip(axes, keys):
        for entry in document["methods"]:
            values = [np.nan if c[key] is None else c[key] for c in entry["curve"]]
            ax.plot(range(len(values)), values, marker="o", markersize=3, label=TITLES.get(entry["method"], entry["method"]))
        ax.set_title(title)
        ax.set_xlabel("layers randomized (from the top)")
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.set_ylim(-0.7, 1.05)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    curves_path = FIGURES / f"{args.model}-curves.png"
    fig.savefig(curves_path, dpi=80)

    print(f"wrote {cascade_path.relative_to(ROOT)} and {curves_path.relative_to(ROOT)}")
    print(f"class {document['class']['label']} (score {document['class']['score']:.3f}), seed {document['seed']}\n")
    header = "| step | randomized | " + " | ".join(f"{TITLES.get(m, m)} ρ abs / ρ / SSIM / HOG" for m in methods) + " |"
    print(header)
    print("|" + "---|" * (2 + len(methods)))
    def cell(c):
        return " / ".join("-" if c[k] is None else f"{c[k]:.2f}" for k, _ in keys)
    for k, step in enumerate(steps):
        print(f"| {k} | {short(step['layer'])} | " + " | ".join(cell(m["curve"][k]) for m in document["methods"]) + " |")
    print("\n" + ", ".join(f"{TITLES.get(m['method'], m['method'])}: {m['verdict']}" for m in document["methods"]))


if __name__ == "__main__":
    main()

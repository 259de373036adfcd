"""The README's side-by-side figure: plain, fused and dilated maps of one class on one image.

    python tools/shapes/figure.py --gradcam .build/release/gradcam

Runs our `gradcam` three times on shapes-vgg (from the repository root, default models/):
plain Grad-CAM at relu5_3, LayerCAM fused over relu5_3, relu4_3 and relu3_3, and Grad-CAM
at relu5_3 of the dilated network (`--dilate`, the seed's high-resolution experiment).
Writes the original and the three overlays side by side to --out and prints a Markdown
table: the map's resolution, the class's probability, the top-1 prediction and its
probability (the dilated network classifies differently, as the seed observed), and the
compute time (median of `gradcam
bench` runs: forward, backward and map, without decoding or encoding).
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = (
    ("plain", ["--method", "gradcam", "--layer", "relu5_3"]),
    ("fused", ["--method", "layercam", "--layer", "relu5_3,relu4_3,relu3_3"]),
    ("dilated", ["--method", "gradcam", "--layer", "relu5_3", "--dilate"]),
)
CAPTION = 34  # px of caption under each tile


def gradcam(binary, *args):
    return subprocess.run([binary, *map(str, args)], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", default=str(ROOT / ".build/release/gradcam"))
    parser.add_argument("--model", default="shapes-vgg")
    parser.add_argument("--image", default=str(ROOT / "tools/shapes/samples/images/cross_square.jpg"))
    parser.add_argument("--class", dest="cls", default="square")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each variant")
    parser.add_argument("--out", default=str(ROOT / "tools/shapes/figures/plain-fused-dilated.png"))
    args = parser.parse_args()

    original = Image.open(args.image).convert("RGB")
    tiles = [(original, "input", f"{original.width}x{original.height}")]
    rows = []
    for name, options in VARIANTS:
        common = ["--model", args.model, "--class", args.cls, *options]
        document = json.loads(gradcam(args.gradcam, "explain", "--input", args.image, "--format", "json", *common))
        with tempfile.TemporaryDirectory() as out:
            gradcam(args.gradcam, "explain", "--input", args.image, "--output", out, *common)
            overlay = Image.open(Path(out) / "gradcam.png").convert("RGB")
        bench = json.loads(gradcam(args.gradcam, "bench", "--image", args.image, "--runs", args.runs, "--warmup", 1,
                                   "--format", "json", *common))["results"][0]["median_ms"]
        compute = bench["forward"] + bench["backward"] + bench["map"]
        explanation = document["explanations"][0]
        grid = f"{explanation['map']['width']}x{explanation['map']['height']}" + (" (all zero)" if explanation["zero"] else "")
        top = document["predictions"][0]
        rows.append((name, " ".join(options), grid, explanation["score"], top["label"], top["score"], compute))
        tiles.append((overlay, name, f"{grid} map, {compute:.0f} ms"))

    width, height = original.width, original.height
    figure = Image.new("RGB", (width * len(tiles), height + CAPTION), "white")
    draw = ImageDraw.Draw(figure)
    for i, (tile, title, detail) in enumerate(tiles):
        figure.paste(tile.resize((width, height)), (i * width, 0))
        draw.text((i * width + 4, height + 3), title, fill="black")
        draw.text((i * width + 4, height + 18), detail, fill="black")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    figure.save(args.out, optimize=True)

    print(f"![plain, fused and dilated maps]({Path(args.out).relative_to(ROOT)})\n")
    print(f"| {args.model} | options | map | `{args.cls}` probability | top-1 | top-1 probability | compute (median of {args.runs}) |")
    print("|---|---|---|---|---|---|---|")
    for name, options, grid, score, label, top_score, compute in rows:
        print(f"| {name} | `{options}` | {grid} | {score:.3f} | {label} | {top_score:.3f} | {compute:.0f} ms |")


if __name__ == "__main__":
    main()

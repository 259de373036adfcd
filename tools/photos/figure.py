"""The README's real-photo figure: EfficientNet-Lite0 (ImageNet) on scikit-image's photographs.

    python tools/photos/figure.py --gradcam .build/release/gradcam

Needs `models/efficientnet-lite0.onnx` (`models/fetch efficientnet-lite0`) and a Python with
scikit-image and Pillow (tools/photos/requirements.txt). From the repository root it writes
scikit-image's `chelsea` and `coffee` (both CC0) as PNG files, and a third image that puts
the two side by side (one picture, two objects of different classes), then runs our
`gradcam`:

- `predict --top 5` on each photo (the Markdown tables it prints);
- `explain` at the model's default layer (the head's ReLU6) for the top-1 class of each photo,
  and on the side-by-side image once for `Egyptian cat` and once for `espresso`: the seed's
  class-discriminative demonstration (the Grad-CAM paper's "boxer and tiger cat") on a real
  ImageNet network.

The figure (--out) has the two photos with their top-1 maps in its first row and the two
classes' maps on the side-by-side image in its second; the Markdown for the README is printed.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from skimage import data

ROOT = Path(__file__).resolve().parents[2]
CAPTION = 34  # px of caption under each tile
TILE_HEIGHT = 200  # px; every tile is scaled to this height
PAIR_CLASSES = ("Egyptian cat", "espresso")


def gradcam(binary, *args):
    return subprocess.run([binary, *map(str, args)], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def side_by_side(left, right):
    """`left` and `right` scaled to the same height and placed next to each other."""
    height = min(left.height, right.height)
    left = left.resize((round(left.width * height / left.height), height), Image.LANCZOS)
    right = right.resize((round(right.width * height / right.height), height), Image.LANCZOS)
    pair = Image.new("RGB", (left.width + right.width, height))
    pair.paste(left, (0, 0))
    pair.paste(right, (left.width, 0))
    return pair


def overlay(binary, model, image, label):
    """Our Grad-CAM overlay of `label` on `image` and the explanation's probability."""
    common = ["--model", model, "--input", image, "--class", label]
    document = json.loads(gradcam(binary, "explain", "--format", "json", *common))
    with tempfile.TemporaryDirectory() as out:
        gradcam(binary, "explain", "--output", out, *common)
        picture = Image.open(Path(out) / "gradcam.png").convert("RGB")
    return picture, document["explanations"][0]["score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradcam", default=str(ROOT / ".build/release/gradcam"))
    parser.add_argument("--model", default="efficientnet-lite0")
    parser.add_argument("--out", default=str(ROOT / "tools/photos/figures/efficientnet-lite0.jpg"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        photos = {name: Image.fromarray(getattr(data, name)()) for name in ("chelsea", "coffee")}
        photos["chelsea and coffee"] = side_by_side(photos["chelsea"], photos["coffee"])
        paths = {}
        for name, photo in photos.items():
            paths[name] = str(Path(folder) / (name.replace(" ", "_") + ".png"))
            photo.save(paths[name])

        tables, tiles = [], []
        for name, path in paths.items():
            predictions = json.loads(gradcam(args.gradcam, "predict", "--model", args.model, "--input", path,
                                             "--top", 5, "--format", "json"))["predictions"]
            tables.append((name, predictions))
            labels = PAIR_CLASSES if name == "chelsea and coffee" else (predictions[0]["label"],)
            if name != "chelsea and coffee":  # the overlays show the side-by-side input well enough
                tiles.append((photos[name], name, "input"))
            for label in labels:
                picture, score = overlay(args.gradcam, args.model, path, label)
                tiles.append((picture, f"Grad-CAM: {label}", f"probability {score:.3f}"))

    scaled = [(tile.resize((round(tile.width * TILE_HEIGHT / tile.height), TILE_HEIGHT), Image.LANCZOS), title, detail)
              for tile, title, detail in tiles]
    rows = [scaled[0:2] + scaled[2:4], scaled[4:]]
    width = max(sum(tile.width for tile, _, _ in row) for row in rows)
    figure = Image.new("RGB", (width, len(rows) * (TILE_HEIGHT + CAPTION)), "white")
    draw = ImageDraw.Draw(figure)
    for r, row in enumerate(rows):
        x, y = 0, r * (TILE_HEIGHT + CAPTION)
        for tile, title, detail in row:
            figure.paste(tile, (x, y))
            draw.text((x + 4, y + TILE_HEIGHT + 3), title, fill="black")
            draw.text((x + 4, y + TILE_HEIGHT + 18), detail, fill="black")
            x += tile.width
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    figure.save(args.out, quality=88, optimize=True)

    print(f"![EfficientNet-Lite0 on scikit-image's photographs]({Path(args.out).relative_to(ROOT)})\n")
    print("| rank | " + " | ".join(f"`{name}`" for name, _ in tables) + " |")
    print("|---|" + "---|" * len(tables))
    for rank in range(5):
        cells = [f"{p[rank]['label']} {p[rank]['score']:.3f}" for _, p in tables]
        print(f"| {rank + 1} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Synthetic "shapes" images: one to three filled shapes over crops of real photographs.

Every image is a pure function of (seed, index), so any split can be regenerated exactly,
in memory (training) or on disk (evaluation, samples):

    python tools/shapes/generate.py --out tools/shapes/data/test --seed 2 --count 1000

writes `images/NNNNNN.png` (224x224 RGB), `masks/NNNNNN.png` (8-bit label map: 0 is
background, k is the visible pixels of shape k) and `labels.json` (present classes and
per-shape class, geometry, colour and visible fraction).
"""

import argparse
import json
import math
from pathlib import Path

import cv2
import numpy as np
import skimage.data

CLASSES = ("circle", "square", "triangle", "star", "cross")
IMAGE_SIZE = 224
SIZE_RANGE = (0.15, 0.40)  # shape size as a fraction of the image's shorter side
SHAPE_COUNT_WEIGHTS = (0.3, 0.4, 0.3)  # probability of 1, 2, 3 shapes
MIN_VISIBLE = 0.75  # every shape keeps at least this fraction of its own area visible
PLACEMENT_TRIES = 50
MIN_CONTRAST = 60.0  # Euclidean RGB distance between fill and the background under the shape
MAX_CONTRAST = 200.0
BACKGROUNDS = ("astronaut", "coffee", "chelsea", "rocket", "coins", "camera", "immunohistochemistry",
               "hubble_deep_field", "retina", "brick", "grass", "gravel", "page", "moon", "text", "clock")

_backgrounds = None


def backgrounds():
    """The bundled scikit-image photographs as (float32 RGB array, is_grey) pairs."""
    global _backgrounds
    if _backgrounds is None:
        _backgrounds = []
        for name in BACKGROUNDS:
            image = getattr(skimage.data, name)()
            grey = image.ndim == 2
            if grey:
                image = np.repeat(image[:, :, None], 3, axis=2)
            _backgrounds.append((image[:, :, :3].astype(np.float32), grey))
    return _backgrounds


def background(rng):
    """A random square-ish crop of a photograph, flipped, tinted and jittered, resized to 224."""
    photo, grey = backgrounds()[rng.integers(len(BACKGROUNDS))]
    h, w = photo.shape[:2]
    side = rng.uniform(0.25, 1.0) * min(h, w)
    ch = int(min(h, side * rng.uniform(0.8, 1.25)))
    cw = int(min(w, side * rng.uniform(0.8, 1.25)))
    y, x = rng.integers(h - ch + 1), rng.integers(w - cw + 1)
    crop = cv2.resize(photo[y:y + ch, x:x + cw], (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if rng.random() < 0.5:
        crop = crop[::-1]
    if grey:  # random tint, so grey photographs are not the only grey backgrounds
        crop = crop * rng.uniform(0.5, 1.0, size=3).astype(np.float32)
    contrast, brightness = rng.uniform(0.6, 1.2), rng.uniform(-30, 30)
    return np.clip((crop - 128) * contrast + 128 + brightness, 0, 255).astype(np.float32)


def outline(cls, size, rng):
    """Vertices of the unrotated shape centred on 0; `size` is its outer diameter in pixels."""
    r = size / 2
    if cls == "circle":
        t = np.linspace(0, 2 * math.pi, 96, endpoint=False)
        return np.stack([np.cos(t), np.sin(t)], 1) * r
    if cls == "square":
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * r
    if cls == "triangle":  # equilateral, side = size, centred on its centroid
        t = -math.pi / 2 + np.arange(3) * 2 * math.pi / 3
        return np.stack([np.cos(t), np.sin(t)], 1) * size / math.sqrt(3)
    if cls == "star":  # five points
        t = -math.pi / 2 + np.arange(10) * math.pi / 5
        radius = np.where(np.arange(10) % 2 == 0, r, r * rng.uniform(0.38, 0.5))
        return np.stack([np.cos(t), np.sin(t)], 1) * radius[:, None]
    if cls == "cross":  # plus sign
        a = r * rng.uniform(0.25, 0.4)
        return np.array([[-a, -r], [a, -r], [a, -a], [r, -a], [r, a], [a, a],
                         [a, r], [-a, r], [-a, a], [-r, a], [-r, -a], [-a, -a]])
    raise ValueError(cls)


def coverage(points):
    """Anti-aliased coverage in [0, 1] of a polygon given in pixel coordinates."""
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    fixed = np.round((points - 0.5) * 16).astype(np.int32)  # 4 fractional bits; pixel centres at +0.5
    cv2.fillPoly(canvas, [fixed], 255, lineType=cv2.LINE_AA, shift=4)
    return canvas.astype(np.float32) / 255


def fill_colour(image, alpha, rng):
    """A uniformly random colour, redrawn until it contrasts with the background under the shape."""
    under = image[alpha > 0.5].mean(axis=0)
    for _ in range(100):
        colour = rng.uniform(0, 255, size=3)
        if MIN_CONTRAST <= np.linalg.norm(colour - under) <= MAX_CONTRAST:
            break
    return colour


def generate(seed, index):
    """Image `index` of split `seed`: (uint8 HxWx3 RGB image, uint8 HxW label map, shape records)."""
    rng = np.random.default_rng([seed, index])
    image = background(rng)
    labels = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    areas, shapes = [], []
    for _ in range(rng.choice(3, p=SHAPE_COUNT_WEIGHTS) + 1):
        cls = CLASSES[rng.integers(len(CLASSES))]
        size = rng.uniform(*SIZE_RANGE) * IMAGE_SIZE
        angle = rng.uniform(0, 360)
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        points = outline(cls, size, rng) @ np.array([[c, s], [-s, c]])
        low, high = -points.min(axis=0), IMAGE_SIZE - points.max(axis=0)
        for _ in range(PLACEMENT_TRIES):
            centre = rng.uniform(low, high)
            alpha = coverage(points + centre)
            inside = alpha > 0.5
            kept = [np.count_nonzero((labels == k + 1) & ~inside) / areas[k] for k in range(len(shapes))]
            if all(f >= MIN_VISIBLE for f in kept):
                break
        else:
            continue  # no position keeps the earlier shapes visible enough: leave this one out
        colour = fill_colour(image, alpha, rng)
        shade = 1 + rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, IMAGE_SIZE, dtype=np.float32)
        shade = np.rot90(np.broadcast_to(shade, (IMAGE_SIZE, IMAGE_SIZE)), rng.integers(4))  # gentle gradient
        fill = np.clip(colour.astype(np.float32) * shade[:, :, None], 0, 255)
        image += alpha[:, :, None] * (fill - image)
        labels[inside] = len(shapes) + 1
        areas.append(np.count_nonzero(inside))
        shapes.append({"class": cls, "center": [round(float(v), 1) for v in centre], "size": round(size, 1),
                       "rotation": round(angle, 1), "color": [int(v) for v in colour]})
    for k, shape in enumerate(shapes):
        shape["visible"] = round(np.count_nonzero(labels == k + 1) / areas[k], 3)
    image += rng.uniform(0, 6) * rng.standard_normal(image.shape, dtype=np.float32)
    sigma = rng.uniform(0, 1.0)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), labels, shapes


def present(shapes):
    """Multi-hot target over CLASSES."""
    target = np.zeros(len(CLASSES), np.float32)
    for shape in shapes:
        target[CLASSES.index(shape["class"])] = 1
    return target


def save(out, name, image, labels, shapes, image_format="png"):
    """Write one image and its label map under `out`; return its labels.json record."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    options = [cv2.IMWRITE_JPEG_QUALITY, 90] if image_format == "jpg" else []
    cv2.imwrite(str(out / "images" / f"{name}.{image_format}"), image[:, :, ::-1], options)
    cv2.imwrite(str(out / "masks" / f"{name}.png"), labels)
    return {"image": f"images/{name}.{image_format}", "mask": f"masks/{name}.png",
            "classes": sorted({s["class"] for s in shapes}, key=CLASSES.index), "shapes": shapes}


def write_labels(out, seed, records):
    document = {"classes": list(CLASSES), "seed": seed, "size": IMAGE_SIZE,
                "mask_format": "8-bit PNG; 0 = background, k = visible pixels of shapes[k-1]", "images": records}
    (Path(out) / "labels.json").write_text(json.dumps(document, indent=1) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=2, help="split seed (0 train, 1 validation, 2 test)")
    parser.add_argument("--count", type=int, default=1000, help="write images 0..count-1")
    args = parser.parse_args()
    records = [save(args.out, f"{i:06d}", *generate(args.seed, i)) for i in range(args.count)]
    write_labels(args.out, args.seed, records)


if __name__ == "__main__":
    main()

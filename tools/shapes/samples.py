"""Write the committed demo set, tools/shapes/samples/, with reference outputs for tests.

    python tools/shapes/samples.py --runs tools/shapes/runs --models-dir models

Six images of split 3: three pairs of different shapes, two single shapes, and one with three
shapes (a star and two crosses); all five classes appear. They were picked from the split's
first 80 among those that both models classify right (every label on the right side of 0.5)
and whose pytorch-grad-cam peaks lie on their shapes: demo images, not an evaluation (that is
evaluate.py's, on 1000 held-out images). Images are JPEG quality 90 (about 10-15 KB; with
photographic backgrounds a PNG is about 80 KB); label maps are PNG.
`labels.json` follows generate.py's schema and adds, per image and model, `reference`: the
logits of the ONNX model under onnxruntime and, for each present class, the Grad-CAM peak in
image pixels (pytorch-grad-cam at the model's default layer, map bilinearly upsampled to
224x224). Both see the JPEG decoded by Pillow and resized by Pillow's bilinear filter, which
is what `gradcam` does, so `integration/models/test_shapes_models.py` can hold our engine to
them tightly.
"""

import argparse
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from PIL import Image

from evaluate import pytorch_peaks
from generate import CLASSES, generate, save, write_labels
from models import MODELS, load, preprocess

SEED = 3
PICKS = {4: "triangle_circle", 72: "star_circle", 23: "cross_square", 10: "star", 30: "cross",
         16: "star_cross_cross"}
OUT = Path(__file__).parent / "samples"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="tools/shapes/runs", help="folder of train.py checkpoints")
    parser.add_argument("--models-dir", default="models", help="folder of the exported ONNX files")
    args = parser.parse_args()
    torch.set_num_threads(2)

    records = [save(OUT, name, *generate(SEED, index), image_format="jpg") for index, name in PICKS.items()]
    for name in MODELS:
        model = load(name, Path(args.runs) / f"{name}.pt")
        session = onnxruntime.InferenceSession(f"{args.models_dir}/{name}.onnx", providers=["CPUExecutionProvider"])
        peaks = pytorch_peaks(model)
        for record in records:
            with Image.open(OUT / record["image"]) as decoded:
                image = np.asarray(decoded.convert("RGB").resize((model.input_size,) * 2, Image.BILINEAR))
            logits = session.run(None, {"input": preprocess(image, model.input_size)[None].numpy()})[0][0]
            classes = [CLASSES.index(c) for c in record["classes"]]
            record.setdefault("reference", {})[name] = {
                "logits": [round(float(v), 4) for v in logits],
                "peaks": {CLASSES[c]: [int(v) for v in p] if p else None for c, p in zip(classes, peaks(image, classes))}}
    write_labels(OUT, SEED, records)


if __name__ == "__main__":
    main()

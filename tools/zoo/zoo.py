"""Exports the zoo with random weights and checks gradcam on every model (see README.md).

For each network of catalog.py (seeded random weights, BatchNorm statistics settled) and
each exporter (TorchScript at opset 17, dynamo at opset 18) it writes OUT/<model>-<exporter>.onnx,
then: does our engine load it (or its refusal message); same top-5 as onnxruntime and the
largest logit error relative to the largest |logit|; is our default layer the recommended
one; Pearson r of our Grad-CAM and pytorch-grad-cam's at the recommended layer; medians of
our Grad-CAM, onnxruntime's forward and pytorch-grad-cam's GradCAM with --threads threads each.
It prints the Markdown table (and writes it to OUT/zoo.md and OUT/results.json).
"""
import argparse
import io
import json
import os
import pathlib
import platform
import re
import time
import traceback
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")
# libgomp's waiting threads spin; on shared cores a descheduled spinner makes torch's forward
# 10-20x slower at two threads (ResNet18 here: 1.9 s against 0.1 s passive), so torch waits
# passively, as onnxruntime does without spinning (measure.session); set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnx
import onnxruntime as ort
import timm
import torch
from PIL import Image
from skimage import data

import catalog
import measure
import report

EXPORTERS = {"torchscript": 17, "dynamo": 18}
SEED = 20261202
DEFAULT_BIN = "/work/main/.build-test/release/gradcam"


def export(model: torch.nn.Module, x: torch.Tensor, exporter: str) -> onnx.ModelProto:
    """The plain export a user would write: input `input`, output `logits`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        if exporter == "torchscript":
            f = io.BytesIO()
            torch.onnx.export(model, (x,), f, dynamo=False, opset_version=EXPORTERS[exporter],
                              input_names=["input"], output_names=["logits"])
            return onnx.load_from_string(f.getvalue())
        program = torch.onnx.export(model, (x,), dynamo=True, opset_version=EXPORTERS[exporter],
                                    input_names=["input"], output_names=["logits"], verbose=False)
        return program.model_proto


def image(size: int, folder: pathlib.Path) -> tuple[pathlib.Path, np.ndarray]:
    """scikit-image's chelsea squashed to size x size, as a PNG and as the preprocessed tensor."""
    path = folder / f"chelsea_{size}.png"
    if not path.exists():
        Image.fromarray(data.chelsea()).resize((size, size), Image.Resampling.BICUBIC).save(path)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    return path, measure.preprocess(rgb)


def recommended_tensor(proto: onnx.ModelProto, module: str, then: str) -> str:
    """The ONNX tensor holding the recommended layer: the module's output, followed into the
    functional activation named by `then`."""
    tensor = measure.layer_tensor(proto, module)
    if then:
        consumers = [n for n in proto.graph.node if tensor in n.input]
        if [n.op_type for n in consumers] != [then.capitalize()]:
            raise ValueError(f"{tensor} is read by {[n.op_type for n in consumers]}, not one {then}")
        tensor = consumers[0].output[0]
    return tensor


def missing_operators(proto: onnx.ModelProto, refusal: str) -> list[str]:
    """Every operator of the graph that the refusal's list of supported operators lacks (the
    engine names only the first node it cannot run)."""
    supported = re.search(r"supported operators: (.*)", refusal)
    if not supported:
        return []
    known = {op.strip() for op in supported.group(1).split(",")}
    return sorted({node.op_type for node in proto.graph.node} - known)


def check_timm_layer(entry: catalog.Entry, model: torch.nn.Module, x: torch.Tensor) -> None:
    """For timm, the recommended module's output must be what forward_features returns, and
    the input size the model's own."""
    if model.pretrained_cfg["input_size"][1:] != (entry.size, entry.size):
        raise ValueError(f"{entry.name}: timm's input size is {model.pretrained_cfg['input_size']}, not {entry.size}")
    module = model.get_submodule(catalog.module_path(model, entry.layer))
    captured = []
    hook = module.register_forward_hook(lambda _m, _i, out: captured.append(out))
    with torch.no_grad():
        features = model.forward_features(x)
    hook.remove()
    if not torch.equal(captured[-1], features):
        raise ValueError(f"{entry.name}: {entry.layer} is not what forward_features returns")


class Reference:
    """pytorch-grad-cam on the torch model, computed once per model, when first needed."""

    def __init__(self, entry: catalog.Entry, model: torch.nn.Module, x: torch.Tensor, cls: int, args):
        self.model, self.layer = catalog.reference_target(entry, model)
        self.x, self.cls, self.args = x, cls, args
        self.cache = {}

    def map(self) -> np.ndarray:
        if "map" not in self.cache:
            self.cache["map"] = measure.reference_map(self.model, self.layer, self.x, self.cls)
        return self.cache["map"]

    def milliseconds(self) -> float:
        if "ms" not in self.cache:
            self.cache["ms"] = measure.reference_milliseconds(self.model, self.layer, self.x, self.cls,
                                                              self.args.runs, self.args.warmup)
        return self.cache["ms"]


def check_export(entry: catalog.Entry, model: torch.nn.Module, exporter: str, png: pathlib.Path, x: torch.Tensor,
                 reference: Reference, args) -> dict:
    """One row of the table: one model through one exporter."""
    row = {"model": entry.name, "exporter": exporter, "opset": EXPORTERS[exporter],
           "recommended_module": entry.layer + (f" + {entry.then}" if entry.then else "")}
    path = args.out / f"{entry.name.replace('/', '-')}-{exporter}.onnx"
    x_np = x.numpy()
    try:
        if args.fresh or not path.exists():
            path.write_bytes(export(model, x, exporter).SerializeToString())
        proto = onnx.load(str(path))
        sess = measure.session(path, args.threads)
        reference_logits = measure.onnxruntime_logits(sess, x_np)
    except Exception as error:  # noqa: BLE001 - an exporter's failure is a result
        traceback.print_exc()
        return row | {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
    try:
        row["recommended"] = recommended_tensor(proto, catalog.module_path(model, entry.layer), entry.then)
    except (KeyError, ValueError) as error:
        row["error"] = f"recommended layer not found in the graph: {error}"
    try:
        logits = measure.our_logits(args.gradcam, path, png, reference_logits.size, args.threads)
    except measure.Refused as refusal:
        return row | {"refused": str(refusal), "missing": missing_operators(proto, str(refusal))}
    row["top5"], row["logit_error"] = measure.agreement(logits, reference_logits)
    try:
        row["default_layer"], _ = measure.our_explanation(args.gradcam, path, png, reference.cls, None, args.threads)
        if "recommended" not in row:
            return row
        layer = row["recommended"]
        _, ours = measure.our_explanation(args.gradcam, path, png, reference.cls, layer, args.threads)
        row["r"] = measure.correlation(ours, reference.map())
        if args.timing:
            row["ours_ms"] = measure.our_milliseconds(args.gradcam, path, png, layer, args.runs, args.warmup,
                                                      args.threads)
            row["onnxruntime_ms"] = measure.onnxruntime_milliseconds(sess, x_np, args.runs, args.warmup)
            row["pytorch_grad_cam_ms"] = reference.milliseconds()
    except (measure.Refused, ValueError) as error:
        row["error"] = str(error)
    return row


def run_model(entry: catalog.Entry, args) -> list[dict]:
    """The rows of one network, one per exporter."""
    model = catalog.settle_batchnorm(catalog.build(entry, SEED), entry.size, SEED)
    png, x_np = image(entry.size, args.out)
    x = torch.from_numpy(x_np)
    if entry.library == "timm":
        check_timm_layer(entry, model, x)
    with torch.no_grad():
        cls = int(model(x)[0].argmax())
    reference = Reference(entry, model, x, cls, args)
    return [check_export(entry, model, exporter, png, x, reference, args) for exporter in args.exporters]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="all",
                        help="comma-separated names from catalog.py (timm ones as timm/NAME), or all")
    parser.add_argument("--exporters", default="torchscript,dynamo", help="torchscript, dynamo or both")
    parser.add_argument("--out", type=pathlib.Path, default=measure.REPO / ".build-zoo",
                        help="where the .onnx files, images and results go (default .build-zoo/)")
    parser.add_argument("--gradcam", default=os.environ.get("GRADCAM_BIN", DEFAULT_BIN),
                        help="the gradcam binary (default: $GRADCAM_BIN, else %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="threads for all three (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="timed repetitions; the median is shown")
    parser.add_argument("--warmup", type=int, default=1, help="untimed repetitions first")
    parser.add_argument("--no-timing", dest="timing", action="store_false",
                        help="only the checks (loads, logits, default layer, r): minutes instead of an hour")
    parser.add_argument("--fresh", action="store_true", help="export again even if OUT has the file")
    parser.add_argument("--keep-others", action="store_true",
                        help="keep OUT/results.json's rows of the models and exporters not run this time")
    parser.add_argument("--last-run", type=pathlib.Path, help="also write the report here (tools/zoo/last-run.md)")
    args = parser.parse_args()
    names = list(catalog.ZOO) if args.models == "all" else args.models.split(",")
    unknown = [n for n in names if n not in catalog.ZOO]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(catalog.ZOO)}")
    args.exporters = args.exporters.split(",")
    if not set(args.exporters) <= set(EXPORTERS):
        parser.error(f"--exporters takes {', '.join(EXPORTERS)}")
    if not os.access(args.gradcam, os.X_OK):
        parser.error(f"{args.gradcam} is not an executable: build it or pass --gradcam / GRADCAM_BIN")
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    versions = {"torch": torch.__version__, "timm": timm.__version__, "onnx": onnx.__version__,
                "onnxruntime": ort.__version__, "python": platform.python_version()}
    results = args.out / "results.json"
    kept = json.loads(results.read_text())["rows"] if args.keep_others and results.exists() else []
    kept = [row for row in kept if row["model"] not in names or row["exporter"] not in args.exporters]
    order = list(catalog.ZOO)
    started, rows = time.time(), []
    for name in names:  # the report is rewritten after each model: a cut-short run keeps what it measured
        print(f"== {name}", flush=True)
        measured = run_model(catalog.ZOO[name], args)
        for row in measured:
            print("  ", json.dumps(row), flush=True)
        rows += measured
        everything = sorted(kept + rows, key=lambda row: order.index(row["model"]))  # stable: exporters in order
        text = report.markdown(everything, versions, args, time.time() - started)
        results.write_text(json.dumps({"versions": versions, "rows": everything}, indent=1) + "\n")
        (args.out / "zoo.md").write_text(text)
        if args.last_run:
            args.last_run.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

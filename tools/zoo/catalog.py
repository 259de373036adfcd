"""The zoo: which networks are exported, and the layer Grad-CAM is recommended at for each.

The recommended layer is the one pytorch-grad-cam's README names for the torchvision
families (`model.layer4[-1]` for ResNets, `model.features[-1]` for VGG, DenseNet and
MobileNet, `model.layers[-1]` for MNASNet): the features that global pooling (or the flatten
before the classifier) reads. Where the README is silent, the same rule names the module:
the last Inception block, the last stage, ShuffleNet's `conv5`, SqueezeNet's classifier ReLU,
and for timm the module whose output `forward_features` returns (checked at run time). VGG16 and AlexNet keep the
seeds' layers, relu5_3 and relu5 (the README's `features[-1]` is their last max pool).

`layer` is a module path as pytorch-grad-cam's users write it, with `-1` meaning the
container's last child. `then` names an activation the network applies *functionally*
after that module (torchvision's DenseNet: `F.relu(self.features(x))`), so the tensor global
pooling reads is that activation's output, not the module's.
"""
from dataclasses import dataclass

import timm
import torch
import torchvision
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class Entry:
    name: str  # as the table shows it: torchvision's name, or timm/<name>
    library: str  # "torchvision" or "timm"
    layer: str  # module path, "-1" for the last child
    then: str = ""  # an activation applied functionally after the module ("relu")
    size: int = 224  # input side

    @property
    def arch(self) -> str:
        return self.name.split("/", 1)[-1]


TORCHVISION = [
    Entry("alexnet", "torchvision", "features.11"),  # relu5 (the seed's layer)
    Entry("vgg16", "torchvision", "features.29"),  # relu5_3 (the seed's layer)
    Entry("vgg16_bn", "torchvision", "features.42"),  # relu5_3
    Entry("resnet18", "torchvision", "layer4.-1"),
    Entry("resnet50", "torchvision", "layer4.-1"),
    Entry("resnext50_32x4d", "torchvision", "layer4.-1"),
    Entry("wide_resnet50_2", "torchvision", "layer4.-1"),
    Entry("densenet121", "torchvision", "features", then="relu"),  # README: features[-1] (norm5), then F.relu
    # Its global pooling reads the ReLU of its 1x1-conv classifier (one map per class), not
    # features[-1] (the last Fire's concatenation): Grad-CAM there is CAM of the class's map.
    Entry("squeezenet1_1", "torchvision", "classifier.2"),
    Entry("googlenet", "torchvision", "inception5b"),
    Entry("inception_v3", "torchvision", "Mixed_7c", size=299),
    Entry("mobilenet_v2", "torchvision", "features.-1"),
    Entry("mobilenet_v3_small", "torchvision", "features.-1"),
    Entry("mobilenet_v3_large", "torchvision", "features.-1"),
    Entry("mnasnet1_0", "torchvision", "layers.-1"),
    Entry("shufflenet_v2_x1_0", "torchvision", "conv5"),
    Entry("efficientnet_b0", "torchvision", "features.-1"),
    Entry("efficientnet_v2_s", "torchvision", "features.-1"),
    Entry("regnet_y_400mf", "torchvision", "trunk_output.-1"),
    Entry("convnext_tiny", "torchvision", "features.-1"),
]

# timm: eleven families; `size` is the model's pretrained_cfg input size.
TIMM = [
    Entry("timm/resnet50d", "timm", "layer4.-1"),
    Entry("timm/efficientnet_b0", "timm", "bn2"),
    Entry("timm/tf_efficientnet_lite0", "timm", "bn2"),
    Entry("timm/mobilenetv3_large_100", "timm", "blocks.-1"),  # its 1x1 conv_head comes after the pooling
    Entry("timm/regnety_008", "timm", "s4"),
    Entry("timm/convnext_nano", "timm", "stages.-1"),
    Entry("timm/densenet121", "timm", "features.-1"),  # norm5 with its ReLU (BatchNormAct2d)
    Entry("timm/inception_v4", "timm", "features.-1", size=299),
    Entry("timm/xception41", "timm", "blocks.-1", size=299),
    Entry("timm/mixnet_s", "timm", "bn2"),
    Entry("timm/cspdarknet53", "timm", "stages.-1", size=256),
]

ZOO = {e.name: e for e in TORCHVISION + TIMM}


def build(entry: Entry, seed: int) -> nn.Module:
    """The network with seeded random weights, in train mode."""
    torch.manual_seed(seed)
    if entry.library == "torchvision":
        extra = {"aux_logits": False, "init_weights": True} if entry.arch in ("googlenet", "inception_v3") else {}
        return getattr(torchvision.models, entry.arch)(weights=None, **extra)
    return timm.create_model(entry.arch, pretrained=False)


def settle_batchnorm(model: nn.Module, size: int, seed: int, batches: int = 4, batch: int = 8) -> nn.Module:
    """Replaces BatchNorm's initial running statistics (mean 0, variance 1, which make deep
    random networks' activations explode or vanish) by the exact averages over a few
    seeded random train-mode batches; returns the model in eval mode."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over the batches
    generator = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch, 3, size, size, generator=generator))
    return model.eval()


def module_path(model: nn.Module, path: str) -> str:
    """`layer4.-1` -> `layer4.2`: resolves each -1 against the container it indexes."""
    resolved = []
    for part in path.split("."):
        if part == "-1":
            container = model.get_submodule(".".join(resolved)) if resolved else model
            part = list(dict(container.named_children()))[-1]
        resolved.append(part)
    return ".".join(resolved)


class ActivationTap(nn.Module):
    """torchvision's DenseNet forward with its functional ReLU as a module (`tap`), so
    pytorch-grad-cam can hook the tensor global pooling reads; same weights, same result."""

    def __init__(self, net: nn.Module, module: str):
        super().__init__()
        self.net, self.module, self.tap = net, module, nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.tap(self.net.get_submodule(self.module)(x))
        return self.net.classifier(torch.flatten(functional.adaptive_avg_pool2d(features, 1), 1))


def reference_target(entry: Entry, model: nn.Module) -> tuple[nn.Module, str]:
    """The model pytorch-grad-cam runs and the module path it hooks."""
    if entry.then == "relu" and entry.arch.startswith("densenet"):
        return ActivationTap(model, module_path(model, entry.layer)), "tap"
    if entry.then:
        raise ValueError(f"{entry.name}: no reference for a functional {entry.then!r}")
    return model, module_path(model, entry.layer)

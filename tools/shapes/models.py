"""The two default classifiers, VGG16 and AlexNet scaled down, and the preprocessing they share.

Both output 5 logits (multi-label: one independent sigmoid per class). Module names follow
torchvision (`features`, `classifier`) so exported ONNX tensor names read like
`/features/features.29/Relu_output_0`.
"""

import cv2
import numpy as np
import torch
from torch import nn

MEAN = np.array([0.485, 0.456, 0.406], np.float32)  # ImageNet, RGB, on pixel / 255
STD = np.array([0.229, 0.224, 0.225], np.float32)

# VGG16's layout (configuration "D": 2, 2, 3, 3, 3 convolutions per block), 1/8 of its channels
# in blocks 1-4 and 1/4 in block 5 (the Grad-CAM layer, which needs class-specific channels).
VGG_BLOCKS = ((8, 2), (16, 2), (32, 3), (64, 3), (128, 3))
# Training images are never repeated, so there is nothing to overfit: light dropout, for the shape.
DROPOUT = 0.1


def vgg_aliases():
    """VGG's layer names (conv{b}_{i}, relu{b}_{i}, pool{b}) -> (index in `features`, ONNX op).

    Each convolution takes three `features` slots (Conv, BatchNorm, ReLU; the exporter folds
    the BatchNorm into the Conv) and each block ends with a MaxPool slot.
    """
    aliases, index = {}, 0
    for block, (_, convs) in enumerate(VGG_BLOCKS, 1):
        for i in range(1, convs + 1):
            aliases[f"conv{block}_{i}"] = (index, "Conv")
            aliases[f"relu{block}_{i}"] = (index + 2, "Relu")
            index += 3
        aliases[f"pool{block}"] = (index, "MaxPool")
        index += 1
    return aliases


class ShapesVGG(nn.Module):
    """conv3x3(pad 1)-BN-ReLU blocks, each closed by 2x2 max pooling, then Linear-ReLU-Dropout x2 + Linear.

    Batch normalisation (as in torchvision's vgg16_bn) makes the 13-conv stack trainable from
    scratch in minutes; the exporter folds it into the convolutions.
    """

    input_size = 160
    gradcam_layer = "features.42"  # ReLU after conv5_3, 10x10 at 160 input
    default_alias = "relu5_3"
    aliases = vgg_aliases()  # conv1_1 ... pool5 -> (features index, ONNX op); see vgg_aliases

    def __init__(self, classes=5, hidden=256):
        super().__init__()
        layers, channels = [], 3
        for width, convs in VGG_BLOCKS:
            for _ in range(convs):
                layers += conv_bn_relu(channels, width, 3, padding=1)
                channels = width
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.globalpool = nn.MaxPool2d(self.input_size // 32)  # 5x5 -> 1x1
        self.classifier = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(), nn.Dropout(DROPOUT),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(DROPOUT),
            nn.Linear(hidden, classes))
        initialize(self)

    def forward(self, x):
        return self.classifier(torch.flatten(self.globalpool(self.features(x)), 1))


class ShapesAlexNet(nn.Module):
    """AlexNet: 11x11 stride-4 conv, LRN, max pooling, grouped (groups=2) convs as in the two-GPU
    original, then global max pooling and Linear-ReLU-Dropout x2 + Linear.

    Batch normalisation after each convolution (folded into it at export) lets it train from
    scratch within the time budget; LRN stays where AlexNet has it.
    """

    input_size = 224
    gradcam_layer = "features.18"  # ReLU after conv5, 13x13 at 224 input
    default_alias = "relu5"
    aliases = {"conv1": (0, "Conv"), "relu1": (2, "Relu"), "norm1": (3, "LRN"), "pool1": (4, "MaxPool"),
               "conv2": (5, "Conv"), "relu2": (7, "Relu"), "norm2": (8, "LRN"), "pool2": (9, "MaxPool"),
               "conv3": (10, "Conv"), "relu3": (12, "Relu"), "conv4": (13, "Conv"), "relu4": (15, "Relu"),
               "conv5": (16, "Conv"), "relu5": (18, "Relu"), "pool5": (19, "MaxPool")}

    def __init__(self, classes=5, hidden=256):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(3, 32, 11, stride=4, padding=2),                 # 0-2: conv1 55x55
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),         # 3: norm1
            nn.MaxPool2d(3, 2),                                            # 4: pool1 27x27
            *conv_bn_relu(32, 64, 5, padding=2, groups=2),                 # 5-7: conv2
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),         # 8: norm2
            nn.MaxPool2d(3, 2),                                            # 9: pool2 13x13
            *conv_bn_relu(64, 96, 3, padding=1),                           # 10-12: conv3
            *conv_bn_relu(96, 96, 3, padding=1, groups=2),                 # 13-15: conv4
            *conv_bn_relu(96, 96, 3, padding=1, groups=2),                 # 16-18: conv5
            nn.MaxPool2d(3, 2))                                            # 19: pool5 6x6
        self.globalpool = nn.MaxPool2d(6)
        self.classifier = nn.Sequential(
            nn.Dropout(DROPOUT), nn.Linear(96, hidden), nn.ReLU(),
            nn.Dropout(DROPOUT), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, classes))
        initialize(self)

    def forward(self, x):
        return self.classifier(torch.flatten(self.globalpool(self.features(x)), 1))


def conv_bn_relu(inputs, outputs, kernel, **options):
    return [nn.Conv2d(inputs, outputs, kernel, **options), nn.BatchNorm2d(outputs), nn.ReLU()]


MODELS = {"shapes-vgg": ShapesVGG, "shapes-alexnet": ShapesAlexNet}


def initialize(model):
    """Kaiming initialisation for convolutions as in torchvision; linears keep PyTorch's default."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


def preprocess(image, size, interpolation=cv2.INTER_LINEAR):
    """uint8 HxWx3 RGB -> float32 3xSxS tensor: bilinear squash to SxS, /255, ImageNet mean/std."""
    if image.shape[:2] != (size, size):
        image = cv2.resize(image, (size, size), interpolation=interpolation)
    x = (image.astype(np.float32) / 255 - MEAN) / STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy())


def load(name, checkpoint):
    """A model in eval mode with weights from a train.py checkpoint."""
    model = MODELS[name]()
    model.load_state_dict(torch.load(checkpoint, map_location="cpu")["state_dict"])
    return model.eval()

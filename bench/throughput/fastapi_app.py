"""The service a user would write instead of gradcam: FastAPI around pytorch-grad-cam.

`POST /gradcam?model=vgg16|alexnet` with an encoded image as the body answers the Grad-CAM
map of the top-1 class at the layer gradcam explains by default (VGG16 relu5_3,
`features.29`; AlexNet relu5, `features.11`), as JSON: `{"class": int, "map": [[...]]}`.
Preprocessing as torchvision's ImageNet weights: shorter side 256, centre crop 224,
mean/std. The models are torchvision's architectures with random weights (the compute is
the weights' shape, not their values), seeded so both workers hold the same ones.

Run by bench/throughput/run as `uvicorn fastapi_app:app --workers 2`, one torch thread per
worker (two workers on two cores, as gradcam's two workers of one thread each).
"""
import io

import torch
import torchvision
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from PIL import Image
from pytorch_grad_cam import GradCAM
from torchvision import transforms

torch.set_num_threads(1)
torch.manual_seed(0)

LAYERS = {"vgg16": lambda m: m.features[29], "alexnet": lambda m: m.features[11]}
MODELS = {}
for _name, _layer in LAYERS.items():
    _model = getattr(torchvision.models, _name)(weights=None).eval()
    MODELS[_name] = (_model, GradCAM(model=_model, target_layers=[_layer(_model)]))

PREPROCESS = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])

app = FastAPI()


@app.post("/gradcam")
async def gradcam(request: Request, model: str):
    if model not in MODELS:
        raise HTTPException(404, f"unknown model {model!r}; models: {', '.join(MODELS)}")
    body = await request.body()
    try:
        image = Image.open(io.BytesIO(body)).convert("RGB")
    except Exception as error:  # an undecodable upload is the client's mistake
        raise HTTPException(400, f"invalid image: {error}") from error
    net, cam = MODELS[model]
    batch = PREPROCESS(image).unsqueeze(0)
    grayscale = cam(input_tensor=batch, targets=None)[0]
    return JSONResponse({"class": int(cam.outputs.argmax(dim=1)[0]), "map": grayscale.tolist()})

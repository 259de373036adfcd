"""KServe's own Python client (`kserve.InferenceRESTClient`, V1 and V2) and NVIDIA's
`tritonclient.http` (V2, in its default binary mode) against the running server
(GRADCAM_URL): what they get back equals what `POST /predict` and `POST /gradcam?format=json`
answer for the same images."""
from __future__ import annotations

import asyncio
import base64
import io
import json
import pathlib
import urllib.parse

import numpy as np
import pytest
import requests
import tritonclient.http as triton
from PIL import Image
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tools" / "shapes" / "samples" / "images"
MODEL = "shapes-vgg"
IMAGES = [(SAMPLES / name).read_bytes() for name in ("star_circle.jpg", "triangle_circle.jpg")]


def predicted(base_url: str, image: bytes, top: int = 5) -> dict:
    reply = requests.post(f"{base_url}/predict", params={"model": MODEL, "top": top}, files={"image": image}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def explained(base_url: str, image: bytes, **parameters: str) -> dict:
    reply = requests.post(f"{base_url}/gradcam", params={"model": MODEL, "format": "json", **parameters},
                          files={"image": image}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def every_score(document: dict, classes: int) -> list[float]:
    scores = [0.0] * classes
    for p in document["predictions"]:
        scores[p["class"]] = p["score"]
    return scores


def kserve_client(protocol: str) -> InferenceRESTClient:
    return InferenceRESTClient(RESTConfig(protocol=protocol, timeout=120))


def test_kserve_v1_model_ready_predict_and_explain(base_url: str) -> None:
    instances = [{"image": {"b64": base64.b64encode(image).decode()}} for image in IMAGES]

    async def run():
        client = kserve_client("v1")
        try:
            ready = await client.is_model_ready(base_url, MODEL)
            predictions = await client.infer(base_url, {"instances": instances, "parameters": {"top": 3}}, model_name=MODEL)
            explanations = await client.explain(base_url, MODEL, {"instances": instances, "parameters": {"class": ["circle", 0], "method": "layercam"}})
            return ready, predictions, explanations
        finally:
            await client.close()

    ready, predictions, explanations = asyncio.run(run())
    assert ready is True
    assert predictions == {"predictions": [predicted(base_url, image, top=3) for image in IMAGES]}
    expected = [explained(base_url, image, **{"class": "circle,0", "method": "layercam"}) for image in IMAGES]
    assert explanations == {"explanations": expected}
    assert [e["class"] for e in expected[0]["explanations"]][1] == 0
    assert expected[0]["explanations"][0]["label"] == "circle"


def test_kserve_v1_server_liveness_at_the_root(base_url: str) -> None:
    async def run():
        client = kserve_client("v1")
        try:
            return await client.is_server_live(base_url)
        finally:
            await client.close()

    assert asyncio.run(run()) is True
    for accept in [None, "*/*", "application/json"]:
        reply = requests.get(f"{base_url}/", headers={"Accept": accept} if accept else {}, timeout=30)
        assert reply.status_code == 200 and reply.json() == {"status": "alive"}, accept
        assert reply.headers["Vary"] == "Accept"
    page = requests.get(f"{base_url}/", headers={"Accept": "text/html"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html") and page.headers["Vary"] == "Accept"


def test_kserve_v1_errors_reach_the_client(base_url: str) -> None:
    import httpx

    async def run():
        client = kserve_client("v1")
        try:
            await client.infer(base_url, {"instances": [{"image": {"b64": "not base64!"}}]}, model_name=MODEL)
        finally:
            await client.close()

    with pytest.raises(httpx.HTTPStatusError) as raised:
        asyncio.run(run())
    assert raised.value.response.status_code == 400
    assert "instance 0's \"b64\" is not standard base64" in str(raised.value)


def test_kserve_v2_health_and_infer_in_binary_and_json(base_url: str) -> None:
    classes = requests.get(f"{base_url}/models/{MODEL}", timeout=30).json()["classes"]

    async def run():
        client = kserve_client("v2")
        try:
            health = (await client.is_server_live(base_url), await client.is_server_ready(base_url),
                      await client.is_model_ready(base_url, MODEL))
            binary = InferInput(name="image", shape=[len(IMAGES)], datatype="BYTES")
            binary.set_data_from_numpy(np.array(IMAGES, dtype=np.object_), binary_data=True)
            request = InferRequest(model_name=MODEL, infer_inputs=[binary], parameters={"class": "circle"},
                                   request_outputs=[RequestedOutput("probabilities", {"binary_data": True}),
                                                    RequestedOutput("heatmap"), RequestedOutput("top_class")])
            first = await client.infer(base_url, request, model_name=MODEL)
            as_json = InferInput(name="image", shape=[len(IMAGES)], datatype="BYTES",
                                 data=[base64.b64encode(image).decode() for image in IMAGES])
            second = await client.infer(base_url, InferRequest(model_name=MODEL, infer_inputs=[as_json],
                                                               request_outputs=[RequestedOutput("top_class")]),
                                        model_name=MODEL)
            return health, first, second
        finally:
            await client.close()

    health, first, second = asyncio.run(run())
    assert health == (True, True, True)
    outputs = {o.name: o for o in first.outputs}
    assert list(outputs) == ["probabilities", "heatmap", "top_class"]
    probabilities = outputs["probabilities"].as_numpy()
    assert probabilities.dtype == np.float32 and probabilities.shape == (len(IMAGES), classes)
    expected = [predicted(base_url, image, top=classes) for image in IMAGES]
    assert probabilities.tolist() == [np.float32(every_score(e, classes)).tolist() for e in expected]
    assert outputs["top_class"].as_numpy().tolist() == [e["predictions"][0]["class"] for e in expected]
    maps = [explained(base_url, image, **{"class": "circle"})["explanations"][0]["map"] for image in IMAGES]
    heatmap = outputs["heatmap"].as_numpy()
    assert heatmap.shape == (len(IMAGES), maps[0]["height"], maps[0]["width"])
    assert heatmap.reshape(len(IMAGES), -1).astype(np.float32).tolist() == [np.float32(m["data"]).tolist() for m in maps]
    assert [o.name for o in second.outputs] == ["top_class"]
    assert second.outputs[0].as_numpy().tolist() == [e["predictions"][0]["class"] for e in expected]


def test_tritonclient_infers_in_its_default_binary_mode(base_url: str) -> None:
    url = urllib.parse.urlsplit(base_url).netloc
    client = triton.InferenceServerClient(url=url, connection_timeout=120, network_timeout=120)
    try:
        assert client.is_server_live() and client.is_server_ready() and client.is_model_ready(MODEL)
        metadata = client.get_model_metadata(MODEL)
        assert [i["name"] for i in metadata["inputs"]] == ["image"]
        assert [o["name"] for o in metadata["outputs"]] == ["probabilities", "top_class", "heatmap", "explanation"]
        assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
        image = triton.InferInput("image", [len(IMAGES)], "BYTES")
        image.set_data_from_numpy(np.array(IMAGES, dtype=np.object_))  # binary_data=True: tritonclient's default
        result = client.infer(MODEL, [image], parameters={"class": "star", "method": "gradcam++", "top": 2})
        # No outputs named: all of them, as binary data (tritonclient asks binary_data_output).
        response = result.get_response()
        assert [o["name"] for o in response["outputs"]] == ["probabilities", "top_class", "heatmap", "explanation"]
        assert all("binary_data_size" in o.get("parameters", {}) for o in response["outputs"])
        documents = [json.loads(element) for element in result.as_numpy("explanation")]
        expected = [explained(base_url, image, **{"class": "star", "method": "gradcam++", "top": "2"}) for image in IMAGES]
        assert documents == expected
        heatmap = result.as_numpy("heatmap")
        assert heatmap.reshape(len(IMAGES), -1).tolist() == [np.float32(d["explanations"][0]["map"]["data"]).tolist() for d in expected]
        assert result.as_numpy("top_class").tolist() == [predicted(base_url, image)["predictions"][0]["class"] for image in IMAGES]

        with pytest.raises(triton.InferenceServerException) as raised:
            wrong = triton.InferInput("pixels", [1, 3, 4, 4], "FP32")
            wrong.set_data_from_numpy(np.zeros((1, 3, 4, 4), dtype=np.float32))
            client.infer(MODEL, [wrong])
        assert 'the input must be named "image"' in str(raised.value)
    finally:
        client.close()


def pixels_and_png(names: tuple[str, ...]) -> tuple[np.ndarray, list[bytes]]:
    """The samples' RGB pixels as one uint8 array [N, H, W, 3], and each as a PNG of exactly those pixels."""
    images = [Image.open(SAMPLES / name).convert("RGB") for name in names]
    pngs = []
    for image in images:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return np.stack([np.asarray(image) for image in images]), pngs


TENSOR_OUTPUTS = ["probabilities", "top_class", "heatmap"]


def test_tritonclient_fp32_image_tensor_answers_as_the_encoded_image(base_url: str) -> None:
    """FP32 pixels 0-255, channels first as binary data (tritonclient's default) and channels
    last as JSON: every output equal to the BYTES input's for the same pixels as PNGs."""
    pixels, pngs = pixels_and_png(("star_circle.jpg", "triangle_circle.jpg"))
    url = urllib.parse.urlsplit(base_url).netloc
    client = triton.InferenceServerClient(url=url, connection_timeout=120, network_timeout=120)
    parameters = {"class": "circle", "method": "gradcam"}
    outputs = [triton.InferRequestedOutput(name) for name in TENSOR_OUTPUTS]
    try:
        encoded = triton.InferInput("image", [len(pngs)], "BYTES")
        encoded.set_data_from_numpy(np.array(pngs, dtype=np.object_))
        reference = client.infer(MODEL, [encoded], parameters=parameters, outputs=outputs)

        channels_first = triton.InferInput("image", [len(pngs), 3, 224, 224], "FP32")
        channels_first.set_data_from_numpy(pixels.transpose(0, 3, 1, 2).astype(np.float32))
        channels_last = triton.InferInput("image", [len(pngs), 224, 224, 3], "FP32")
        channels_last.set_data_from_numpy(pixels.astype(np.float32), binary_data=False)
        json_outputs = [triton.InferRequestedOutput(name, binary_data=False) for name in TENSOR_OUTPUTS]
        for tensor, asked in ((channels_first, outputs), (channels_last, json_outputs)):
            result = client.infer(MODEL, [tensor], parameters=parameters, outputs=asked)
            for name in TENSOR_OUTPUTS:
                assert result.as_numpy(name).tolist() == reference.as_numpy(name).tolist(), name
        assert reference.as_numpy("heatmap").shape[0] == 2

        normalized = triton.InferInput("image", [1, 3, 224, 224], "FP32")
        normalized.set_data_from_numpy(((pixels[:1].transpose(0, 3, 1, 2) / 255.0 - 0.45) / 0.225).astype(np.float32))
        with pytest.raises(triton.InferenceServerException) as raised:
            client.infer(MODEL, [normalized])
        assert "RGB pixel values 0 to 255, not normalized" in str(raised.value)
    finally:
        client.close()


def test_kserve_v2_fp32_image_tensor_answers_as_the_encoded_image(base_url: str) -> None:
    pixels, pngs = pixels_and_png(("cross.jpg", "star.jpg"))

    async def run():
        client = kserve_client("v2")
        try:
            def infer(tensor):
                request = InferRequest(model_name=MODEL, infer_inputs=[tensor], parameters={"class": "star"},
                                       request_outputs=[RequestedOutput(name) for name in TENSOR_OUTPUTS])
                return client.infer(base_url, request, model_name=MODEL)

            encoded = InferInput(name="image", shape=[len(pngs)], datatype="BYTES",
                                 data=[base64.b64encode(png).decode() for png in pngs])
            binary = InferInput(name="image", shape=list(pixels.shape), datatype="FP32")
            binary.set_data_from_numpy(pixels.astype(np.float32), binary_data=True)
            as_json = InferInput(name="image", shape=[len(pngs), 3, 224, 224], datatype="FP32")
            as_json.set_data_from_numpy(pixels.transpose(0, 3, 1, 2).astype(np.float32), binary_data=False)
            return [await infer(tensor) for tensor in (encoded, binary, as_json)]
        finally:
            await client.close()

    reference, binary, as_json = asyncio.run(run())
    expected = {o.name: o.as_numpy().tolist() for o in reference.outputs}
    assert list(expected) == TENSOR_OUTPUTS
    for result in (binary, as_json):
        assert {o.name: o.as_numpy().tolist() for o in result.outputs} == expected


# Method parameters through each client, read as POST /gradcam reads its query: the document
# reports the value used, and a bad value gets POST /gradcam's 400 message, naming it.
STEPS = {"method": "integrated-gradients", "steps": 8}
BAD_STEPS = {"method": "integrated-gradients", "steps": 0}


def refusal(base_url: str, **parameters: str) -> str:
    """POST /gradcam's 400 message for `parameters`."""
    reply = requests.post(f"{base_url}/gradcam", params={"model": MODEL, "format": "json", **parameters},
                          files={"image": IMAGES[0]}, timeout=60)
    assert reply.status_code == 400, reply.text
    return reply.json()["error"]["message"]


def kserve_v1_explain(base_url: str, parameters: dict) -> dict:
    async def run():
        client = kserve_client("v1")
        try:
            return await client.explain(base_url, MODEL, {"instances": [{"b64": base64.b64encode(IMAGES[0]).decode()}],
                                                          "parameters": parameters})
        finally:
            await client.close()

    return asyncio.run(run())


def kserve_v2_explanation(base_url: str, parameters: dict) -> dict:
    async def run():
        client = kserve_client("v2")
        try:
            image = InferInput(name="image", shape=[1], datatype="BYTES")
            image.set_data_from_numpy(np.array(IMAGES[:1], dtype=np.object_), binary_data=True)
            request = InferRequest(model_name=MODEL, infer_inputs=[image], parameters=parameters,
                                   request_outputs=[RequestedOutput("explanation")])
            return await client.infer(base_url, request, model_name=MODEL)
        finally:
            await client.close()

    return json.loads(asyncio.run(run()).outputs[0].as_numpy()[0])


def triton_explanation(base_url: str, parameters: dict) -> dict:
    client = triton.InferenceServerClient(url=urllib.parse.urlsplit(base_url).netloc, connection_timeout=120, network_timeout=120)
    try:
        image = triton.InferInput("image", [1], "BYTES")
        image.set_data_from_numpy(np.array(IMAGES[:1], dtype=np.object_))
        result = client.infer(MODEL, [image], parameters=parameters, outputs=[triton.InferRequestedOutput("explanation")])
        return json.loads(result.as_numpy("explanation")[0])
    finally:
        client.close()


def test_kserve_v1_explain_takes_method_parameters(base_url: str) -> None:
    documents = kserve_v1_explain(base_url, {**STEPS, "baseline": "blurred"})["explanations"]
    assert documents[0]["parameters"]["steps"] == 8 and documents[0]["parameters"]["baseline"] == "blurred"
    assert documents == [explained(base_url, IMAGES[0], method="integrated-gradients", steps="8", baseline="blurred")]


def test_kserve_v1_explain_refuses_a_bad_method_parameter_as_post_gradcam(base_url: str) -> None:
    import httpx

    with pytest.raises(httpx.HTTPStatusError) as raised:
        kserve_v1_explain(base_url, BAD_STEPS)
    assert raised.value.response.status_code == 400
    message = raised.value.response.json()["error"]
    assert message == refusal(base_url, method="integrated-gradients", steps="0")
    assert message.startswith("parameter 'steps': '0' is not an integer in 1...1024")


def test_kserve_v2_infer_takes_method_parameters(base_url: str) -> None:
    document = kserve_v2_explanation(base_url, STEPS)
    assert document["parameters"]["steps"] == 8
    assert document == explained(base_url, IMAGES[0], method="integrated-gradients", steps="8")


def test_kserve_v2_infer_refuses_a_bad_method_parameter_as_post_gradcam(base_url: str) -> None:
    import httpx

    with pytest.raises(httpx.HTTPStatusError) as raised:
        kserve_v2_explanation(base_url, BAD_STEPS)
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == refusal(base_url, method="integrated-gradients", steps="0")


def test_tritonclient_infer_takes_method_parameters(base_url: str) -> None:
    document = triton_explanation(base_url, {"method": "finercam", "comparison_categories": "1,4", "comparison_alpha": 0.5})
    assert document["parameters"] == {"comparison_alpha": 0.5, "comparison_categories": "1,4"}
    assert document == explained(base_url, IMAGES[0], method="finercam", comparison_categories="1,4", comparison_alpha="0.5")


def test_tritonclient_infer_refuses_a_bad_method_parameter_as_post_gradcam(base_url: str) -> None:
    with pytest.raises(triton.InferenceServerException) as raised:
        triton_explanation(base_url, BAD_STEPS)
    assert raised.value.status() == "400"
    assert raised.value.message() == refusal(base_url, method="integrated-gradients", steps="0")

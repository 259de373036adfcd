"""A real Label Studio (from PyPI, on loopback, default SQLite database) with gradcam-server:

(a) tasks carrying the server's predictions (the regions of the `label-studio` export) are
    imported with label-studio-sdk and read back equal;
(b) the server, connected as a project's ML backend (/label-studio/{model}), gives
    pre-annotations for newly imported tasks, fetching their images from Label Studio with its
    access token (the server allows only Label Studio's address). The server runs with
    --api-key-file: Label Studio authenticates with HTTP Basic, the key as the password;
(c) a task whose image cannot be fetched gets no prediction, and the others theirs.

Run by script/test-labelstudio (GRADCAM_BIN, LABEL_STUDIO_BIN)."""
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests
from label_studio_sdk.client import LabelStudio

REPO = pathlib.Path(__file__).resolve().parents[2]
MODEL = "shapes-vgg"
LABELS = (REPO / "models/shapes.labels").read_text().split()
IMAGES = sorted((REPO / "tools/shapes/samples/images").iterdir())
CONFIG = ("<View>\n  <Image name=\"image\" value=\"$image\"/>\n"
          + "  <RectangleLabels name=\"box\" toName=\"image\">" + "".join(f"<Label value=\"{l}\"/>" for l in LABELS)
          + "<Label value=\"hexagon\"/></RectangleLabels>\n"
          + "  <BrushLabels name=\"mask\" toName=\"image\">" + "".join(f"<Label value=\"{l}\"/>" for l in LABELS)
          + "</BrushLabels>\n</View>\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, process, seconds, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited\n{pathlib.Path(log).read_text()[-5000:]}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not up in {seconds} s\n{pathlib.Path(log).read_text()[-5000:]}")


@pytest.fixture(scope="module")
def stack():
    """Label Studio and gradcam serve, both on loopback; stopped after the module."""
    data = tempfile.mkdtemp(prefix="label-studio-")
    token = secrets.token_hex(20)
    api_key = secrets.token_hex(16)
    key_file = os.path.join(data, "api-keys")
    pathlib.Path(key_file).write_text(api_key + "\n")
    ls_port, gc_port = free_port(), free_port()
    ls_url = f"http://127.0.0.1:{ls_port}"
    env = dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=data, LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
               DJANGO_DB="sqlite", LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
               # Label Studio refuses backends and URLs on loopback by default; here both sides are on loopback.
               SSRF_PROTECTION_ENABLED="false", USE_DEFAULT_BANNED_SUBNETS="false")
    ls_log = os.path.join(data, "label-studio.log")
    started = time.monotonic()
    label_studio = subprocess.Popen(
        [os.environ["LABEL_STUDIO_BIN"], "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(ls_port),
         "--username", "test@example.com", "--password", "test-password-15", "--user-token", token],
        env=env, stdout=open(ls_log, "w"), stderr=subprocess.STDOUT)
    gc_log = os.path.join(data, "gradcam.log")
    gradcam = subprocess.Popen(
        [os.environ["GRADCAM_BIN"], "serve", "--models-dir", str(REPO / "models"), "--port", str(gc_port),
         "--fetch-allow", f"127.0.0.1:{ls_port}", "--label-studio-url", ls_url, "--label-studio-token", token,
         "--api-key-file", key_file],
        stdout=open(gc_log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{gc_port}/readyz", gradcam, 120, gc_log)
        wait_for(f"{ls_url}/health", label_studio, 600, ls_log)
        print(f"\nLabel Studio up in {time.monotonic() - started:.0f} s")
        yield {"ls_url": ls_url, "token": token, "gradcam": f"http://127.0.0.1:{gc_port}", "client": LabelStudio(base_url=ls_url, api_key=token),
               "gradcam_log": gc_log, "api_key": api_key}
    finally:
        for process in (gradcam, label_studio):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(data, ignore_errors=True)


def upload(stack, project_id, paths):
    """Uploads image files into a project (Label Studio's own /data/upload/ storage); returns the new tasks."""
    files = [(f"file{i}", (p.name, p.read_bytes(), "image/jpeg" if p.suffix == ".jpg" else "image/png")) for i, p in enumerate(paths)]
    reply = requests.post(f"{stack['ls_url']}/api/projects/{project_id}/import", files=files,
                          headers={"Authorization": f"Token {stack['token']}"}, timeout=120)
    assert reply.status_code == 201, reply.text
    return list(stack["client"].tasks.list(project=project_id))


def backend_prediction(stack, task):
    """What the server's backend route answers for one task (the test calling it, not Label Studio)."""
    reply = requests.post(f"{stack['gradcam']}/label-studio/{MODEL}/predict",
                          json={"tasks": [{"id": task.id, "data": task.data}], "label_config": CONFIG},
                          headers={"Authorization": f"Bearer {stack['api_key']}"}, timeout=120)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["model_version"] == MODEL
    assert body["warnings"] == [f"label 'hexagon' names no class of {MODEL}; it is ignored"]
    return body["results"][0]


def check_regions(prediction):
    types = sorted({r["type"] for r in prediction["result"]})
    assert types == ["brushlabels", "rectanglelabels"], prediction
    for region in prediction["result"]:
        value = region["value"]
        labels = value.get("rectanglelabels") or value.get("brushlabels")
        assert len(labels) == 1 and labels[0] in LABELS
        if region["type"] == "rectanglelabels":
            assert 0 <= value["x"] < 100 and 0 <= value["y"] < 100 and 0 < value["width"] <= 100 and 0 < value["height"] <= 100
        else:
            assert value["format"] == "rle" and len(value["rle"]) > 10


def same_result(exported, read_back):
    """Regions equal as Label Studio stores them (it may add keys such as `origin`)."""
    assert len(exported) == len(read_back)
    for ours, theirs in zip(exported, read_back):
        for key, value in ours.items():
            if key == "value":
                for k, v in value.items():
                    assert theirs["value"][k] == pytest.approx(v) if isinstance(v, float) else theirs["value"][k] == v, (k, v)
            else:
                assert theirs[key] == pytest.approx(value) if isinstance(value, float) else theirs[key] == value, (key, value)


def test_exported_predictions_import_and_read_back_equal(stack):
    client = stack["client"]
    source = client.projects.create(title="gradcam uploads", label_config=CONFIG)
    uploaded = upload(stack, source.id, IMAGES)
    assert len(uploaded) == len(IMAGES)
    exported = [{"data": task.data, "predictions": [backend_prediction(stack, task)]} for task in uploaded]
    for task in exported:
        check_regions(task["predictions"][0])

    target = client.projects.create(title="gradcam export", label_config=CONFIG)
    client.projects.import_tasks(id=target.id, request=exported)
    tasks = list(client.tasks.list(project=target.id))
    assert len(tasks) == len(exported)
    by_image = {task.data["image"]: task for task in tasks}
    for ours in exported:
        task = by_image[ours["data"]["image"]]
        predictions = list(client.predictions.list(task=task.id))
        assert len(predictions) == 1
        assert predictions[0].model_version == MODEL
        assert predictions[0].score == pytest.approx(ours["predictions"][0]["score"])
        same_result(ours["predictions"][0]["result"], [r if isinstance(r, dict) else r.dict() for r in predictions[0].result])
    print(f"(a) {len(exported)} tasks with {sum(len(t['predictions'][0]['result']) for t in exported)} regions imported and read back equal")


def connect_backend(stack, title):
    """A project with the server as its ML backend, connected with HTTP Basic (the API key as the password)."""
    client = stack["client"]
    project = client.projects.create(title=title, label_config=CONFIG)
    backend = client.ml.create(url=f"{stack['gradcam']}/label-studio/{MODEL}", project=project.id, title="gradcam-server",
                               is_interactive=False, auth_method="BASIC_AUTH", basic_auth_user="label-studio",
                               basic_auth_pass=stack["api_key"])
    assert backend.state in ("CO", "CONNECTED", None) or "CO" in str(backend.state), backend
    return project


def retrieve_predictions(stack, project):
    reply = requests.post(f"{stack['ls_url']}/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": project.id},
                          json={"selectedItems": {"all": True, "excluded": []}},
                          headers={"Authorization": f"Token {stack['token']}"}, timeout=300)
    assert reply.status_code == 200, reply.text


def test_the_backend_routes_need_the_api_key(stack):
    url = f"{stack['gradcam']}/label-studio/{MODEL}/predict"
    body = {"tasks": [], "label_config": CONFIG}
    assert requests.post(url, json=body, timeout=30).status_code == 401
    assert requests.post(url, json=body, auth=("label-studio", "wrong"), timeout=30).status_code == 401
    assert requests.post(url, json=body, auth=("label-studio", stack["api_key"]), timeout=30).status_code == 200


def test_connected_backend_pre_annotates_new_tasks(stack):
    client = stack["client"]
    project = connect_backend(stack, "gradcam backend")
    tasks = upload(stack, project.id, IMAGES[:3])
    started = time.monotonic()
    retrieve_predictions(stack, project)
    for task in tasks:
        predictions = list(client.predictions.list(task=task.id))
        assert len(predictions) == 1, f"task {task.id}: {predictions}\n{pathlib.Path(stack['gradcam_log']).read_text()[-3000:]}"
        got = {"model_version": predictions[0].model_version, "score": predictions[0].score,
               "result": [r if isinstance(r, dict) else r.dict() for r in predictions[0].result]}
        assert got["model_version"] == MODEL
        check_regions(got)
        same_result(backend_prediction(stack, task)["result"], got["result"])
    print(f"(b) {len(tasks)} new tasks pre-annotated by the backend in {time.monotonic() - started:.1f} s")


def test_a_task_whose_image_is_missing_gets_no_prediction_and_the_others_theirs(stack):
    client = stack["client"]
    project = connect_backend(stack, "gradcam backend, one image missing")
    good = upload(stack, project.id, IMAGES[3:5])
    client.projects.import_tasks(id=project.id, request=[{"image": "/data/upload/999/no-such-image.png"}])
    tasks = list(client.tasks.list(project=project.id))
    assert len(tasks) == len(good) + 1
    retrieve_predictions(stack, project)
    log = pathlib.Path(stack["gradcam_log"]).read_text()
    for task in tasks:
        predictions = list(client.predictions.list(task=task.id))
        if task.data["image"].endswith("no-such-image.png"):
            assert predictions == [], predictions
            assert f"(id '{task.id}') has no prediction: " in log, log[-3000:]
        else:
            assert len(predictions) == 1 and predictions[0].model_version == MODEL, f"task {task.id}: {predictions}\n{log[-3000:]}"
            check_regions({"result": [r if isinstance(r, dict) else r.dict() for r in predictions[0].result]})
    metrics = requests.get(f"{stack['gradcam']}/metrics", timeout=30).text
    assert "gradcam_label_studio_task_failures_total 1" in metrics
    print(f"(c) {len(good)} tasks pre-annotated, the one whose image is missing left without a prediction")

"""`gradcam batch` as a labeling pipeline runs it: a few dozen images with a corrupt one
planted, the COCO export read back by pycocotools, and a SIGKILL in the middle of a run
followed by `--resume` (every good image exactly once).

The images are drawn here (PIL, seeded): a filled circle, square or triangle over noise,
224x224, so the test needs nothing but the bundled shapes-vgg model.
"""
import json
import pathlib
import random
import re
import shlex
import signal
import subprocess
import time

import pytest
from PIL import Image, ImageDraw
from pycocotools.coco import COCO

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGES = 40


def draw(path, seed):
    rng = random.Random(seed)
    image = Image.effect_noise((224, 224), 40).convert("RGB")
    pen = ImageDraw.Draw(image)
    x, y, r = rng.randint(50, 174), rng.randint(50, 174), rng.randint(25, 45)
    colour = tuple(rng.randint(0, 255) for _ in range(3))
    kind = seed % 3
    if kind == 0:
        pen.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    elif kind == 1:
        pen.rectangle((x - r, y - r, x + r, y + r), fill=colour)
    else:
        pen.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=colour)
    image.save(path)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """IMAGES good PNGs in two folders, and one corrupt PNG (a cut file)."""
    root = tmp_path_factory.mktemp("batch-images")
    good = []
    for i in range(IMAGES):
        folder = root / ("a" if i % 2 else "b")
        folder.mkdir(exist_ok=True)
        path = folder / f"{i:03d}.png"
        draw(path, i)
        good.append(str(path))
    corrupt = root / "a" / "corrupt.png"
    corrupt.write_bytes((root / "a" / "001.png").read_bytes()[:200])
    return root, sorted(good), str(corrupt)


def batch(gradcam_bin, *args):
    return subprocess.run([str(gradcam_bin), "batch", "--model", "shapes-vgg", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def assert_close(actual, expected, tolerance, where="metrics"):
    """JSON values equal, numbers within `tolerance`."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), where
        for key in expected:
            assert_close(actual[key], expected[key], tolerance, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, tolerance, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert abs(actual - expected) <= tolerance, f"{where}: {actual} != {expected}"
    else:
        assert actual == expected, where


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_batch_records_every_image_and_the_corrupt_one_and_coco_loads(gradcam_bin, images, tmp_path):
    root, good, corrupt = images
    out = tmp_path / "out"
    result = batch(gradcam_bin, "--input", root, "--output", out, "--export", "jsonl,coco,masks", "--jobs", 2, "--threads", 1)
    assert result.returncode == 1, result.stderr
    assert f"done {IMAGES}, skipped (already done) 0, failed 1 of {IMAGES + 1} images" in result.stdout

    records = read_jsonl(out / "results.jsonl")
    assert sorted(r["path"] for r in records) == good
    for r in records:
        assert r["model"] == "shapes-vgg" and r["method"] == "gradcam" and len(r["sha256"]) == 64
        assert len(r["explanations"]) == 1 and r["explanations"][0]["class"] == r["predictions"][0]["class"]
    errors = read_jsonl(out / "errors.jsonl")
    assert errors == [{"path": corrupt, "line": None, "error": {"code": "invalid_image", "message": errors[0]["error"]["message"]}}]
    assert errors[0]["error"]["message"]

    # pycocotools reads the dataset, and its annotations as detection results.
    coco = COCO(str(out / "coco.json"))
    detections = coco.loadRes(json.loads((out / "coco.json").read_text())["annotations"])
    assert sorted(coco.imgs[i]["file_name"] for i in coco.getImgIds()) == good
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == (ROOT / "models/shapes.labels").read_text().split()
    by_file = {coco.imgs[i]["file_name"]: i for i in coco.getImgIds()}
    boxes = 0
    for r in records:
        image_id = by_file[r["path"]]
        for e in r["explanations"]:
            found = detections.loadAnns(detections.getAnnIds(imgIds=[image_id], catIds=[e["class"]]))
            if e["box"] is None:
                assert found == []
                continue
            assert len(found) == 1
            box = e["box"]
            assert found[0]["bbox"] == [box["x"], box["y"], box["width"], box["height"]]
            assert 0 < found[0]["score"] <= e["score"]
            boxes += 1
    assert boxes == len(detections.getAnnIds()) and boxes >= IMAGES - 2

    masks = sorted(p.name for p in (out / "masks").iterdir())
    assert len(masks) == IMAGES
    with Image.open(out / "masks" / masks[0]) as mask:
        assert mask.size == (224, 224) and set(mask.convert("L").tobytes()) == {0, 255}


@pytest.mark.parametrize("classes", [[], ["--class", "circle"], ["--top-k", "1"]])
def test_batched_passes_give_each_image_the_documents_of_one_by_one(gradcam_bin, images, tmp_path, classes):
    """--batch-size 8 (batched forward and backward passes) against --batch-size 1: the same
    records and the corrupt image failing alone; maps within 1e-4 and logits within 1e-4 of
    the largest, the tolerance of the engine's batched-equals-alone tests (batched products sum
    in another order)."""
    root, good, corrupt = images
    documents = {}
    for size in (1, 8):
        out = tmp_path / f"out{size}"
        result = batch(gradcam_bin, "--input", root, "--output", out, "--jobs", 2, "--threads", 2, "--batch-size", size, *classes)
        assert result.returncode == 1, result.stderr
        assert f"done {IMAGES}, skipped (already done) 0, failed 1 of {IMAGES + 1} images" in result.stdout
        assert [e["path"] for e in read_jsonl(out / "errors.jsonl")] == [corrupt]
        documents[size] = {r["path"]: r for r in read_jsonl(out / "results.jsonl")}
    assert sorted(documents[1]) == sorted(documents[8]) == good
    for path, alone in documents[1].items():
        batched = documents[8][path]
        assert [p["class"] for p in batched["predictions"]] == [p["class"] for p in alone["predictions"]]
        largest = max(abs(p["logit"]) for p in alone["predictions"])
        for b, a in zip(batched["predictions"], alone["predictions"]):
            assert abs(b["logit"] - a["logit"]) <= 1e-4 * max(largest, 1)
        ((b,), (a,)) = batched["explanations"], alone["explanations"]
        assert b["class"] == a["class"]
        if classes[:1] != ["--class"]:
            assert a["class"] == alone["predictions"][0]["class"]
        assert max(abs(x - y) for x, y in zip(b["map"]["data"], a["map"]["data"])) <= 1e-4


def test_metrics_in_a_batch_equal_explains(gradcam_bin, images, tmp_path):
    """--metrics: every document carries its map's metrics, the same as `gradcam explain
    --metrics` gives for that image (the same passes, one image at a time), seed included; to
    1e-5, since the batch's jobs split the threads and threaded sums round differently."""
    root, good, _ = images
    subset = tmp_path / "list.txt"
    subset.write_text("\n".join(good[:3]) + "\n")
    out = tmp_path / "out"
    result = batch(gradcam_bin, "--input", subset, "--output", out, "--metrics", "deletion,road", "--metrics-seed", 7)
    assert result.returncode == 0, result.stderr
    records = {r["path"]: r for r in read_jsonl(out / "results.jsonl")}
    assert sorted(records) == good[:3]
    for path, record in records.items():
        alone = subprocess.run([str(gradcam_bin), "explain", "--model", "shapes-vgg", "--input", path, "--format", "json",
                                "--metrics", "deletion,road", "--metrics-seed", "7"], cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
        assert alone.returncode == 0, alone.stderr
        expected = json.loads(alone.stdout)["explanations"][0]["metrics"]
        assert set(expected) == {"deletion", "road"}
        assert_close(record["explanations"][0]["metrics"], expected, 1e-5)


def test_killed_batch_resumes_without_redoing_an_image(gradcam_bin, images, tmp_path):
    root, good, corrupt = images
    out = tmp_path / "out"
    args = [str(gradcam_bin), "batch", "--model", "shapes-vgg", "--input", str(root), "--output", str(out),
            "--jobs", "1", "--threads", "1", "--method", "gradcam++", "--export", "overlays"]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if results.exists() and results.read_bytes().count(b"\n") >= 5:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the batch finished before it could be killed"
    before = results.read_bytes().count(b"\n")
    assert 5 <= before < IMAGES

    result = batch(gradcam_bin, "--input", root, "--output", out, "--resume", "--jobs", 2, "--threads", 1,
                   "--method", "gradcam++", "--export", "overlays")
    assert result.returncode == 1, result.stderr
    assert f"done {IMAGES - before}, skipped (already done) {before}, failed 1 of {IMAGES + 1} images" in result.stdout
    paths = [r["path"] for r in read_jsonl(results)]
    assert sorted(paths) == good  # every good image exactly once
    assert [e["path"] for e in read_jsonl(out / "errors.jsonl")] == [corrupt]
    assert len(list((out / "overlays").iterdir())) == IMAGES


def test_resume_redoes_a_changed_image_and_refuses_a_used_directory_without_it(gradcam_bin, images, tmp_path):
    root, good, _ = images
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(good[:3]) + "\n")
    out = tmp_path / "out"
    assert batch(gradcam_bin, "--input", listing, "--output", out, "--jobs", 1).returncode == 0

    refused = batch(gradcam_bin, "--input", listing, "--output", out)
    assert refused.returncode != 0 and "pass --resume" in refused.stderr

    changed = tmp_path / "changed.png"
    draw(changed, 1000)
    listing.write_text("\n".join(good[:3]) + f"\n{changed}\n")
    again = batch(gradcam_bin, "--input", listing, "--output", out, "--resume", "--jobs", 1)
    assert again.returncode == 0 and "done 1, skipped (already done) 3, failed 0" in again.stdout
    draw(changed, 1001)
    again = batch(gradcam_bin, "--input", listing, "--output", out, "--resume", "--jobs", 1, "--export", "coco")
    assert again.returncode == 0 and "done 1, skipped (already done) 3" in again.stdout
    records = read_jsonl(out / "results.jsonl")
    assert [r["path"] for r in records].count(str(changed)) == 2
    # The export keeps the newest record of a redone image.
    coco = json.loads((out / "coco.json").read_text())
    latest = next(r["sha256"] for r in reversed(records) if r["path"] == str(changed))
    assert [i["sha256"] for i in coco["images"] if i["file_name"] == str(changed)] == [latest]
    assert len(coco["images"]) == 4


def test_tasks_input_refuses_urls_and_bad_lines_per_line(gradcam_bin, images, tmp_path):
    _, good, _ = images
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("\n".join([
        json.dumps({"data": {"image": good[0]}}),
        json.dumps({"data": {"image": "https://example.com/a.png"}}),
        "not json",
        json.dumps({"data": {"image": "missing.png"}}),
    ]) + "\n")
    out = tmp_path / "out"
    result = batch(gradcam_bin, "--input", tasks, "--output", out, "--top-k", 2)
    assert result.returncode == 1
    assert "done 1, skipped (already done) 0, failed 3 of 4 images" in result.stdout
    errors = read_jsonl(out / "errors.jsonl")
    assert sorted((e["line"] or 0, e["error"]["code"]) for e in errors) == [
        (0, "unreadable_file"), (2, "url_not_supported"), (3, "invalid_input_line")]
    assert [e["path"] for e in errors if e["line"] is None] == [str(tmp_path / "missing.png")]
    (record,) = read_jsonl(out / "results.jsonl")
    assert [e["class"] for e in record["explanations"]] == [p["class"] for p in record["predictions"][:2]]


def test_label_studio_export_has_each_documents_box_in_percent_and_its_mask(gradcam_bin, images, tmp_path):
    root, good, _ = images
    out = tmp_path / "out"
    result = batch(gradcam_bin, "--input", root, "--output", out, "--export", "label-studio", "--top-k", 2)
    assert result.returncode == 1, result.stderr  # the planted corrupt image
    records = {r["path"]: r for r in read_jsonl(out / "results.jsonl")}
    tasks = json.loads((out / "label-studio.json").read_text())
    assert sorted(t["data"]["image"] for t in tasks) == good
    for task in tasks:
        record = records[task["data"]["image"]]
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == "shapes-vgg"
        width, height = record["image"]["width"], record["image"]["height"]
        regions = {(r["type"], r["value"].get("rectanglelabels", r["value"].get("brushlabels"))[0]): r for r in prediction["result"]}
        for e in record["explanations"]:
            if e["box"] is None:
                continue
            rectangle = regions[("rectanglelabels", e["label"])]
            box = rectangle["value"]
            assert (rectangle["original_width"], rectangle["original_height"]) == (width, height)
            assert box["x"] == pytest.approx(100 * e["box"]["x"] / width) and box["y"] == pytest.approx(100 * e["box"]["y"] / height)
            assert box["width"] == pytest.approx(100 * e["box"]["width"] / width)
            assert box["height"] == pytest.approx(100 * e["box"]["height"] / height)
            mask = regions[("brushlabels", e["label"])]["value"]
            assert mask["format"] == "rle" and len(mask["rle"]) > 0 and all(0 <= v <= 255 for v in mask["rle"])
            assert rectangle["score"] == pytest.approx(e["score"])


@pytest.mark.parametrize("args, message", [
    (["--export", "jsonl,yolo"], "unknown export 'yolo'; exports: jsonl, coco, label-studio, masks, overlays"),
    (["--method", "guided-backprop", "--export", "coco"], "--export coco needs a class map"),
    (["--class", "circle", "--top-k", "2"], "give --class or --top-k, not both"),
    (["--top-k", "65"], "--top-k must be between 1 and 64"),
    (["--metrics", "deletion,pointing-game"], "pointing-game needs each image's object box"),
    (["--metrics", "lime"], "unknown metric 'lime'"),
    (["--box-threshold", "0"], "--box-threshold must be in (0, 1]"),
    (["--batch-size", "0"], "--batch-size must be 1...64"),
    (["--class", "hexagon"], "hexagon"),
])
def test_bad_options_are_refused_with_what_is_accepted(gradcam_bin, images, tmp_path, args, message):
    root, _, _ = images
    result = batch(gradcam_bin, "--input", root, "--output", tmp_path / "out", *args)
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_the_readme_example_runs(gradcam_bin, tmp_path):
    text = (ROOT / "README.md").read_text()
    block = re.search(r"### Batch jobs\n.*?```\n(.*?)```", text, re.S).group(1)
    (command,) = [line for line in block.splitlines() if line.startswith("gradcam batch ")]
    argv = shlex.split(command)[1:]
    argv[argv.index("--output") + 1] = str(tmp_path / "out")
    result = subprocess.run([str(gradcam_bin), *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    samples = sorted((ROOT / "tools/shapes/samples/images").iterdir())
    assert sorted(r["path"] for r in read_jsonl(tmp_path / "out/results.jsonl")) == [str(p) for p in samples]
    assert (tmp_path / "out/coco.json").exists() and len(list((tmp_path / "out/masks").iterdir())) == len(samples)

"""The demo page (GET / and its files under /static/) in a real browser: headless Chromium
driven by Selenium, and its files over plain HTTP.

Runs against the server of `script/test` (GRADCAM_URL); the API-key test starts a server of
its own (GRADCAM_BIN). Needs Debian's `chromium` and `chromium-driver` (script/bootstrap
--python installs them). Every wait is explicit: on the page's `data-state` attributes
(`empty`, `loading`, `ready`, `error`) and on the overlay canvas' `data-render` counter.
"""
import contextlib
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from page_support import (ROOT, compare_with_server_png, open_page, overlay_hash, rows, sample_image, state, upload,
                          visible_errors, wait, wait_explained)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

FIXTURE_MODEL = ROOT / "Tests/Fixtures/models/vgg16_small/model.onnx"
COLORMAPS = ["jet", "turbo", "viridis", "inferno", "gray"]
# The page's overlay against the server's PNG: the same float32 formula on both sides, so
# equal but for rare rounding ties (one level, in at most one pixel in a thousand).
MAX_CHANNEL_DIFF = 1
MAX_DIFFERING_FRACTION = 1 / 1000

# What a browser sends as Accept when it navigates to a page: `/` answers it with the page
# (other clients get KServe V1's liveness there).
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def browser(call, url, headers=None, **options):
    """`requests.get`/`head` as a browser's navigation sends them."""
    return call(url, headers={"Accept": BROWSER_ACCEPT, **(headers or {})}, **options)


# -- tests ---------------------------------------------------------------------------------

def page_files(base_url):
    """Every file the page loads: / and, recursively, its style sheet and ES modules."""
    found, queue = {}, ["/"]
    while queue:
        path = queue.pop()
        if path in found:
            continue
        response = browser(requests.get, base_url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text)
        found[path] = response
        text = response.text
        base = path.rsplit("/", 1)[0] + "/"
        links = re.findall(r'<(?:link|script)[^>]+(?:href|src)="(/[^"]*)"', text) if path == "/" else []
        links += [base + name[2:] for name in re.findall(r"""from '(\./[\w.-]+)'""", text)]
        queue += links
    return found


def test_page_is_served(base_url):
    response = browser(requests.get, f"{base_url}/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    for marker in ['id="file-input"', 'id="overlay-canvas"', 'id="guided-image"', 'id="opacity"',
                   '<script type="module" src="/static/main.js">', 'href="/static/style.css"']:
        assert marker in response.text


def test_page_files_have_types_validators_and_no_external_references(base_url):
    files = page_files(base_url)
    # Every file of Sources/Service/Web is served, and loaded by the page (none is left over),
    # and so is colormaps.js, which the server writes from its own colormap tables.
    web = sorted([f.name for f in (ROOT / "Sources/Service/Web").iterdir() if f.name != "index.html"] + ["colormaps.js"])
    assert sorted(files) == ["/"] + [f"/static/{name}" for name in web]
    types = {path: response.headers["Content-Type"] for path, response in files.items()}
    assert types.pop("/") == "text/html; charset=utf-8"
    assert types.pop("/static/style.css") == "text/css; charset=utf-8"
    assert "/static/colormaps.js" in types and "/static/render.js" in types, sorted(types)
    assert set(types.values()) == {"text/javascript; charset=utf-8"}, types
    etags = set()
    for path, response in files.items():
        assert response.headers["Cache-Control"] == "no-cache", path
        etag = response.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{16}"', etag), (path, etag)
        etags.add(etag)
        text = response.text.replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text, f"{path} must not load anything external"
        # Revalidation: the current tag (alone, weak, or in a list) gives 304 without a body.
        for header in [etag, f"W/{etag}", f'"0000000000000000", {etag}', "*"]:
            again = browser(requests.get, base_url + path, headers={"If-None-Match": header}, timeout=30)
            assert again.status_code == 304 and again.content == b"", (path, header, again.status_code)
            assert again.headers["ETag"] == etag
        assert browser(requests.get, base_url + path, headers={"If-None-Match": '"0000000000000000"'}, timeout=30).status_code == 200
        head = browser(requests.head, base_url + path, timeout=30)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["Content-Type"] == response.headers["Content-Type"] and head.headers["ETag"] == etag
        assert int(head.headers["Content-Length"]) == len(response.content), path
    assert len(etags) == len(files), "each file has its own tag"


def test_unknown_page_files_are_not_found(base_url):
    for path in ["/static/", "/static/nope.js", "/static/style.css/x", "/static/%2e%2e/openapi.yaml", "/static/MAIN.JS"]:
        response = requests.get(base_url + path, timeout=30)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found", path
        assert "/static/main.js" in response.json()["error"]["message"], path
    response = requests.post(f"{base_url}/static/main.js", timeout=30)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"


def test_predict_explain_and_switch_class(driver, base_url, model_name):
    d = driver
    open_page(d, base_url, model_name)
    upload(d, sample_image())
    wait_explained(d)

    assert d.find_element(By.ID, "original-image").is_displayed()
    predictions = rows(d)
    assert 2 <= len(predictions) <= 5
    first, second = predictions[0].get_attribute("data-class"), predictions[1].get_attribute("data-class")
    assert predictions[0].get_attribute("aria-pressed") == "true", "the top-1 class is explained first"
    assert d.find_element(By.ID, "overlay-canvas").get_attribute("data-class") == first
    assert d.find_element(By.ID, "predict-time").text.endswith(("ms", "s"))
    assert d.find_element(By.ID, "overlay-time").text.endswith(("ms", "s"))
    before = overlay_hash(d)

    predictions[1].click()
    wait_explained(d, second)
    assert overlay_hash(d) != before, "another class must give another overlay"
    assert rows(d)[1].get_attribute("aria-pressed") == "true"
    assert rows(d)[0].get_attribute("aria-pressed") == "false"

    # Keyboard: arrow up from the selected row explains the class above it.
    rows(d)[1].send_keys(Keys.ARROW_UP)
    wait_explained(d, first)
    assert overlay_hash(d) == before, "explaining the first class again gives the first overlay"
    assert not visible_errors(d)


def test_the_page_offers_efficientnet_lite0_when_it_is_built(driver, base_url):
    """With `models/fetch efficientnet-lite0` run, the page explains real photographs with it;
    without, it lists the model as unavailable with the command that builds it."""
    d = driver
    built = (ROOT / "models/efficientnet-lite0.onnx").exists()
    if not built:
        open_page(d, base_url, "shapes-vgg")
        option = d.find_element(By.CSS_SELECTOR, "#model-select option[value='efficientnet-lite0']")
        assert not option.is_enabled() and "models/fetch efficientnet-lite0" in option.get_attribute("title")
        return
    open_page(d, base_url, "efficientnet-lite0")
    upload(d, ROOT / "Tests/Fixtures/images/chelsea_224.png")
    wait_explained(d)
    assert rows(d)[0].get_attribute("data-class") == "285", rows(d)[0].text  # ImageNet's "Egyptian cat"
    assert "Egyptian cat" in rows(d)[0].text
    assert d.find_element(By.ID, "overlay-canvas").get_attribute("data-class") == "285"
    assert not visible_errors(d)


def test_overlay_matches_server_png_for_every_colormap(driver, base_url, model_name):
    """The page blends the JSON map itself; it must draw what POST /gradcam (PNG) draws, with
    each colormap the page offers."""
    d = driver
    open_page(d, base_url, model_name)
    offered = d.execute_script("return [...document.getElementById('colormap-select').options].map((o) => o.value)")
    assert offered == COLORMAPS
    upload(d, sample_image())
    wait_explained(d)
    canvas = d.find_element(By.ID, "overlay-canvas")
    results = {}
    for colormap in COLORMAPS:
        render = canvas.get_attribute("data-render")
        d.execute_script("const s = document.getElementById('colormap-select'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))",
                         colormap)
        wait(d, lambda d: canvas.get_attribute("data-render") != render and canvas.get_attribute("data-colormap") == colormap,
             f"the {colormap} overlay was not drawn")
        fields = d.execute_script("""const s = window.gradcamDemo.state, ex = s.explanation;
            return {model: s.model.name, class: String(ex.entry.class), layer: ex.layer, method: ex.method, alpha: '0.5'};""")
        results[colormap] = compare_with_server_png(d, canvas, {**fields, "colormap": colormap})
    for colormap, result in results.items():
        assert "error" not in result, (colormap, result)
        assert result["maxDiff"] <= MAX_CHANNEL_DIFF, (colormap, result)
        assert result["differing"] <= result["pixels"] * MAX_DIFFERING_FRACTION, (colormap, result)
    # The colormaps differ from one another, so a page ignoring the choice would fail above.
    assert len({r["hash"] for r in results.values()}) == len(COLORMAPS), results


def test_opacity_slider_and_marks(driver, base_url, model_name):
    d = driver
    open_page(d, base_url, model_name)
    upload(d, sample_image())
    wait_explained(d)
    canvas = d.find_element(By.ID, "overlay-canvas")
    slider = d.find_element(By.ID, "opacity")
    half = overlay_hash(d)

    def set_opacity(key, expected):
        render = canvas.get_attribute("data-render")
        slider.send_keys(key)
        wait(d, lambda d: canvas.get_attribute("data-render") != render and canvas.get_attribute("data-alpha") == expected,
             f"the overlay was not redrawn at opacity {expected}")

    set_opacity(Keys.END, "1.00")
    full = overlay_hash(d)
    assert full != half, "the opacity slider must change the rendered pixels"
    set_opacity(Keys.HOME, "0.00")
    # At opacity 0 the overlay is the image itself.
    same = d.execute_script("""
        const c = document.getElementById('overlay-canvas');
        const page = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const original = window.gradcamDemo.state.original.pixels;
        for (let i = 0; i < page.length; i++) if (i % 4 !== 3 && page[i] !== original[i]) return false;
        return true;""")
    assert same
    set_opacity(Keys.PAGE_UP, "0.10")
    assert overlay_hash(d) not in (half, full)

    # Peak and box: drawn over the canvas (not into it), toggled by the checkbox.
    marks = d.find_element(By.ID, "overlay-marks")
    zero = d.execute_script("return window.gradcamDemo.state.explanation.entry.zero")
    if not zero:
        assert marks.get_attribute("hidden") is None
        assert d.find_element(By.CSS_SELECTOR, "#overlay-marks [data-testid=box]").get_attribute("width")
        before = overlay_hash(d)
        d.find_element(By.ID, "marks-toggle").click()
        wait(d, lambda d: marks.get_attribute("hidden") is not None, "the marks were not hidden")
        assert overlay_hash(d) == before

    # The colormap is applied client-side too.
    render = canvas.get_attribute("data-render")
    d.execute_script("const s = document.getElementById('colormap-select'); s.value = 'viridis'; s.dispatchEvent(new Event('change'))")
    wait(d, lambda d: canvas.get_attribute("data-render") != render and canvas.get_attribute("data-colormap") == "viridis",
         "the colormap change was not drawn")


def test_guided_gradcam_panel(driver, base_url, model_name):
    d = driver
    open_page(d, base_url, model_name)
    upload(d, sample_image())
    wait_explained(d)
    image = d.find_element(By.ID, "guided-image")
    assert image.is_displayed()
    assert image.get_attribute("src").startswith("blob:")
    assert d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
    assert image.get_attribute("data-class") == rows(d)[0].get_attribute("data-class")
    assert "guided-gradcam" in d.find_element(By.ID, "guided-caption").text
    assert d.find_element(By.ID, "guided-time").text.endswith(("ms", "s"))


def test_drop_anywhere(driver, base_url, model_name):
    """An image dropped on the page (here: the guided image, re-dropped as a PNG file) is explained."""
    d = driver
    open_page(d, base_url, model_name)
    upload(d, sample_image())
    wait_explained(d)
    render = d.find_element(By.ID, "overlay-canvas").get_attribute("data-render")
    d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(document.getElementById('guided-image').src).then((r) => r.blob()).then((blob) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([blob], 'dropped.png', {type: 'image/png'}));
          const target = document.querySelector('.panels');
          for (const type of ['dragenter', 'dragover', 'drop']) {
            target.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
          }
          done();
        });
    """)
    wait(d, lambda d: "dropped.png" in d.find_element(By.ID, "file-meta").text, "the dropped file was not taken")
    wait(d, lambda d: d.find_element(By.ID, "overlay-canvas").get_attribute("data-render") != render, "the drop was not explained")
    wait_explained(d)
    assert d.find_element(By.TAG_NAME, "body").get_attribute("data-dragging") is None


def test_errors_are_shown(driver, base_url, model_name, tmp_path):
    d = driver
    open_page(d, base_url, model_name)

    # A file that is no image: refused before anything is sent, with a message.
    text = tmp_path / "notes.txt"
    text.write_text("these are not pixels\n")
    upload(d, text)
    wait(d, lambda d: visible_errors(d), "no message for a text file")
    message = visible_errors(d)[0]
    assert "notes.txt" in message.text and "PNG or JPEG" in message.text
    message.find_element(By.CSS_SELECTOR, "[data-testid=error-dismiss]").click()
    wait(d, lambda d: not visible_errors(d), "the message could not be dismissed")

    # An error answered by the server: its JSON code and message reach the user.
    upload(d, sample_image())
    wait_explained(d)
    field = d.find_element(By.ID, "other-class")
    field.send_keys("999999", Keys.ENTER)
    wait(d, lambda d: visible_errors(d), "no message for an unknown class")
    message = visible_errors(d)[-1]
    assert message.get_attribute("data-code") == "unknown_class"
    assert "999999" in message.text
    wait(d, lambda d: state(d, "panel-overlay") == "error", "the overlay panel does not show the failure")


def test_narrow_screen_has_no_horizontal_scroll(driver, base_url, model_name):
    d = driver
    try:
        d.set_window_size(390, 844)
        open_page(d, base_url, model_name)
        upload(d, sample_image())
        wait_explained(d)
        overflow = d.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"
        assert d.find_element(By.ID, "overlay-canvas").is_displayed()
    finally:
        d.set_window_size(1280, 900)


# -- API key: a server of our own -----------------------------------------------------------

@contextlib.contextmanager
def serve_with_keys(gradcam_bin, *flags):
    """A server of our own on the fixture model, with the key `s3cret-key` (and `flags`)."""
    with tempfile.TemporaryDirectory() as directory:
        models = pathlib.Path(directory, "models")
        models.mkdir()
        shutil.copy(FIXTURE_MODEL, models / "vgg16_small.onnx")
        keys = pathlib.Path(directory, "keys")
        keys.write_text("# demo page test\ns3cret-key\n")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = subprocess.Popen([str(gradcam_bin), "serve", "--models-dir", str(models), "--port", str(port),
                                    "--api-key-file", str(keys), *flags], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/readyz", headers={"Authorization": "Bearer s3cret-key"}, timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the keyed server did not start: {process.stderr.read().decode() if process.poll() is not None else 'timeout'}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def keyed_server(gradcam_bin):
    with serve_with_keys(gradcam_bin) as url:
        yield url


def test_api_key_is_asked_for_and_kept(driver, keyed_server):
    d = driver
    open_page(d, keyed_server, "vgg16_small")
    upload(d, sample_image())
    dialog = d.find_element(By.ID, "key-dialog")
    wait(d, lambda d: dialog.is_displayed(), "no key dialog after a 401")
    assert "API key" in d.find_element(By.ID, "key-reason").text

    # A wrong key is refused and asked for again.
    d.find_element(By.ID, "key-input").send_keys("wrong", Keys.ENTER)
    wait(d, lambda d: dialog.is_displayed() and "not valid" in d.find_element(By.ID, "key-reason").text,
         "a wrong key was not refused")
    d.find_element(By.ID, "key-input").send_keys("s3cret-key", Keys.ENTER)
    wait_explained(d)
    assert d.execute_script("return localStorage.getItem('gradcam.apiKey')") == "s3cret-key"

    # Kept across reloads: no dialog the second time.
    d.get(keyed_server + "/")
    wait(d, lambda d: d.execute_script("return !!(window.gradcamDemo.state.model)"), "the model never loaded")
    upload(d, sample_image())
    wait_explained(d)
    assert not d.find_element(By.ID, "key-dialog").is_displayed()
    d.execute_script("localStorage.clear()")


def test_page_loads_without_a_key_when_every_endpoint_needs_one(driver, gradcam_bin):
    """With --protect-all the page and its files still load (the page then asks for the key)."""
    with serve_with_keys(gradcam_bin, "--protect-all") as url:
        assert requests.get(f"{url}/models", timeout=30).status_code == 401
        assert len(page_files(url)) > 3
        assert requests.get(f"{url}/static/nope.js", timeout=30).status_code == 404
        d = driver
        d.get(url + "/")
        d.execute_script("localStorage.clear()")
        d.get(url + "/")
        dialog = d.find_element(By.ID, "key-dialog")
        wait(d, lambda d: dialog.is_displayed(), "the page did not start, or did not ask for the key")
        d.find_element(By.ID, "key-input").send_keys("s3cret-key", Keys.ENTER)
        wait(d, lambda d: d.execute_script("return !!(window.gradcamDemo.state.model)"), "the model never loaded with the key")
        d.execute_script("localStorage.clear()")

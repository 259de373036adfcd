"""The demo page (GET /) in a real browser: headless Chromium driven by Selenium.

Runs against the server of `script/test` (GRADCAM_URL); the API-key test starts a server of
its own (GRADCAM_BIN). Needs Debian's `chromium` and `chromium-driver` (script/bootstrap
--python installs them). Every wait is explicit: on the page's `data-state` attributes
(`empty`, `loading`, `ready`, `error`) and on the overlay canvas' `data-render` counter.
"""
import hashlib
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
WAIT = 90  # seconds; explanations on a loaded 2-core machine can be slow
FIXTURE_MODEL = ROOT / "Tests/Fixtures/models/vgg16_small/model.onnx"


def _test_image() -> pathlib.Path:
    """A committed demo sample: a star and a circle (tools/shapes/samples)."""
    return ROOT / "tools/shapes/samples/images/star_circle.jpg"


def _chromium_paths():
    browser = next((p for p in map(shutil.which, ["chromium", "chromium-browser"]) if p), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not browser or not driver:
        pytest.fail("the browser test needs Debian's chromium and chromium-driver: run script/bootstrap --python "
                    "(or apt-get install chromium chromium-driver)")
    return browser, driver


@pytest.fixture(scope="module")
def driver():
    browser, chromedriver = _chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    d = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def model_name(base_url) -> str:
    models = requests.get(f"{base_url}/models", timeout=30).json()["models"]
    assert models, "the server has no model loaded"
    names = [m["name"] for m in models]
    assert "shapes-vgg" in names, f"the bundled demo model is not loaded: {names}"
    return "shapes-vgg"


# -- helpers -------------------------------------------------------------------------------

def wait(d, condition, message, timeout=WAIT):
    return WebDriverWait(d, timeout, poll_frequency=0.1).until(lambda d: condition(d), message)


def state(d, element_id):
    return d.find_element(By.ID, element_id).get_attribute("data-state")


def open_page(d, url, model):
    d.get(url + "/")
    d.execute_script("localStorage.clear()")
    d.get(url + "/")
    wait(d, lambda d: d.find_element(By.ID, "server-status").get_attribute("data-state") in ("ready", "error"),
         "the model list never loaded")
    assert d.find_element(By.ID, "server-status").get_attribute("data-state") == "ready", d.find_element(By.ID, "messages").text
    select = d.find_element(By.ID, "model-select")
    if select.get_attribute("value") != model:
        d.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))", select, model)
    wait(d, lambda d: d.find_element(By.ID, "method-select").is_enabled()
         and d.execute_script("return window.gradcamDemo.state.model && window.gradcamDemo.state.model.name") == model,
         "the model's layers and methods never loaded")


def upload(d, path):
    d.find_element(By.ID, "file-input").send_keys(str(path))


def wait_explained(d, class_index=None):
    """Waits until predictions, overlay and guided panels are ready (for `class_index` if given)."""
    def done(d):
        for panel in ("panel-predictions", "panel-overlay", "panel-guided"):
            if state(d, panel) == "error":
                raise AssertionError(f"{panel} failed: {d.find_element(By.ID, 'messages').text}")
            if state(d, panel) != "ready":
                return False
        if class_index is None:
            return True
        canvas = d.find_element(By.ID, "overlay-canvas").get_attribute("data-class")
        guided = d.find_element(By.ID, "guided-image").get_attribute("data-class")
        return canvas == str(class_index) and guided == str(class_index)
    wait(d, done, f"the explanation{'' if class_index is None else f' of class {class_index}'} never finished")


def overlay_hash(d):
    url = d.execute_script("return document.getElementById('overlay-canvas').toDataURL('image/png')")
    return hashlib.sha256(url.encode()).hexdigest()


def rows(d):
    return d.find_elements(By.CSS_SELECTOR, "[data-testid=prediction]")


def visible_errors(d):
    return [e for e in d.find_elements(By.CSS_SELECTOR, "[data-testid=error-message]") if e.is_displayed()]


# -- tests ---------------------------------------------------------------------------------

def test_page_is_served(base_url):
    response = requests.get(f"{base_url}/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    for marker in ['id="file-input"', 'id="overlay-canvas"', 'id="guided-image"', 'id="opacity"']:
        assert marker in response.text
    assert "http://" not in response.text.replace("http://www.w3.org/2000/svg", ""), "the page must not load anything external"


def test_predict_explain_and_switch_class(driver, base_url, model_name):
    d = driver
    open_page(d, base_url, model_name)
    upload(d, _test_image())
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


def test_overlay_matches_server_png(driver, base_url, model_name):
    """The page blends the JSON map itself; it must draw what POST /gradcam (PNG) draws."""
    d = driver
    open_page(d, base_url, model_name)
    upload(d, _test_image())
    wait_explained(d)
    result = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const s = window.gradcamDemo.state, ex = s.explanation;
        const form = new FormData();
        form.append('image', s.file, s.file.name);
        for (const [k, v] of Object.entries({model: s.model.name, class: ex.entry.class, layer: ex.layer,
                                             method: ex.method, alpha: '0.5', colormap: 'jet'})) form.append(k, v);
        fetch('/gradcam', {method: 'POST', body: form})
          .then((r) => r.ok ? r.blob() : r.text().then((t) => { throw new Error(t); }))
          .then((b) => createImageBitmap(b, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'}))
          .then((bitmap) => {
            const c = document.createElement('canvas');
            c.width = bitmap.width; c.height = bitmap.height;
            const ctx = c.getContext('2d');
            ctx.drawImage(bitmap, 0, 0);
            const server = ctx.getImageData(0, 0, c.width, c.height).data;
            const canvas = document.getElementById('overlay-canvas');
            if (canvas.width !== c.width || canvas.height !== c.height) {
              return done({error: `sizes differ: page ${canvas.width}x${canvas.height}, server ${c.width}x${c.height}`});
            }
            const page = canvas.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let maxDiff = 0, differing = 0;
            for (let i = 0; i < page.length; i += 4) {
              const diff = Math.max(Math.abs(page[i] - server[i]), Math.abs(page[i + 1] - server[i + 1]), Math.abs(page[i + 2] - server[i + 2]));
              if (diff) differing++;
              maxDiff = Math.max(maxDiff, diff);
            }
            done({maxDiff, differing, pixels: page.length / 4});
          })
          .catch((e) => done({error: String(e)}));
    """)
    assert "error" not in result, result
    # Same formula in float32 on both sides: identical but for rare rounding ties.
    assert result["maxDiff"] <= 1, result
    assert result["differing"] <= result["pixels"] // 1000, result


def test_opacity_slider_and_marks(driver, base_url, model_name):
    d = driver
    open_page(d, base_url, model_name)
    upload(d, _test_image())
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
    upload(d, _test_image())
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
    upload(d, _test_image())
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
    upload(d, _test_image())
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
        upload(d, _test_image())
        wait_explained(d)
        overflow = d.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"
        assert d.find_element(By.ID, "overlay-canvas").is_displayed()
    finally:
        d.set_window_size(1280, 900)


# -- API key: a server of our own -----------------------------------------------------------

@pytest.fixture(scope="module")
def keyed_server(gradcam_bin):
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
                                    "--api-key-file", str(keys)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
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


def test_api_key_is_asked_for_and_kept(driver, keyed_server):
    d = driver
    open_page(d, keyed_server, "vgg16_small")
    upload(d, _test_image())
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
    upload(d, _test_image())
    wait_explained(d)
    assert not d.find_element(By.ID, "key-dialog").is_displayed()
    d.execute_script("localStorage.clear()")

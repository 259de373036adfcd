"""What the demo page's browser tests share: the sample image, the waits on the page's
`data-state` attributes, opening the page on a model, and comparing a canvas of the page with
the server's PNG."""
import hashlib
import os
import pathlib
import shutil

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
WAIT = 90  # seconds; explanations on a loaded 2-core machine can be slow


def sample_image() -> pathlib.Path:
    """A committed demo sample: a star and a circle (tools/shapes/samples)."""
    return ROOT / "tools/shapes/samples/images/star_circle.jpg"


def chromium_paths():
    browser = next((p for p in map(shutil.which, ["chromium", "chromium-browser"]) if p), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not browser or not driver:
        pytest.fail("the browser test needs Debian's chromium and chromium-driver: run script/bootstrap --python "
                    "(or apt-get install chromium chromium-driver)")
    return browser, driver


def chromium(width=1280, height=900, *arguments):
    """A headless Chromium at `width` x `height` CSS pixels (one device pixel each)."""
    browser, chromedriver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--force-device-scale-factor=1", *arguments]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


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


def tick_methods(d, methods):
    """Ticks exactly `methods` among the page's method boxes (methods side by side, sanity check)."""
    for box in d.find_elements(By.CSS_SELECTOR, "[data-testid=grid-method]"):
        if box.is_selected() != (box.get_attribute("value") in methods):
            box.click()


def overlay_hash(d):
    url = d.execute_script("return document.getElementById('overlay-canvas').toDataURL('image/png')")
    return hashlib.sha256(url.encode()).hexdigest()


def rows(d):
    return d.find_elements(By.CSS_SELECTOR, "[data-testid=prediction]")


def visible_errors(d):
    return [e for e in d.find_elements(By.CSS_SELECTOR, "[data-testid=error-message]") if e.is_displayed()]


def compare_with_server_png(d, canvas, fields):
    """Asks the server for the PNG of the page's image with the form `fields` and compares it
    with `canvas` pixel by pixel: the largest channel difference, the mean one, the number of
    pixels that differ at all, and a hash of the page's pixels."""
    return d.execute_async_script("""
        const [canvas, fields, done] = arguments;
        const s = window.gradcamDemo.state;
        const form = new FormData();
        form.append('image', s.file, s.file.name);
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        fetch('/gradcam', {method: 'POST', body: form})
          .then((r) => r.ok ? r.blob() : r.text().then((t) => { throw new Error(t); }))
          .then((b) => createImageBitmap(b, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'}))
          .then(async (bitmap) => {
            const c = document.createElement('canvas');
            c.width = bitmap.width; c.height = bitmap.height;
            const ctx = c.getContext('2d');
            ctx.drawImage(bitmap, 0, 0);
            const server = ctx.getImageData(0, 0, c.width, c.height).data;
            if (canvas.width !== c.width || canvas.height !== c.height) {
              return done({error: `sizes differ: page ${canvas.width}x${canvas.height}, server ${c.width}x${c.height}`});
            }
            const page = canvas.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let maxDiff = 0, sum = 0, differing = 0;
            for (let i = 0; i < page.length; i += 4) {
              const diffs = [0, 1, 2].map((k) => Math.abs(page[i + k] - server[i + k]));
              const diff = Math.max(...diffs);
              if (diff) differing++;
              maxDiff = Math.max(maxDiff, diff);
              sum += diffs[0] + diffs[1] + diffs[2];
            }
            const digest = await crypto.subtle.digest('SHA-256', page);
            const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
            done({maxDiff, meanDiff: sum / (page.length / 4 * 3), differing, pixels: page.length / 4, hash});
          })
          .catch((e) => done({error: String(e)}));
    """, canvas, fields)

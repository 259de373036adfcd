"""The demo page's comparison tools in a real browser: methods side by side (one POST /gradcam
per cell, with its time and, when asked, its metrics), the cancel of a pending cell, a method
the model refuses, and the sanity check's curves.

Runs against the server of `script/test` (GRADCAM_URL), on the bundled `shapes-vgg`. Where
a test must control time (a request that stays pending until cancelled) or a field the server
does not send yet (`metrics`), it wraps the page's `fetch` in the browser: the page's code
runs unchanged.
"""
import pytest
import requests

from page_support import (compare_with_server_png, open_page, sample_image, state, tick_methods, upload, visible_errors, wait,
                          wait_explained)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

# A cell draws the class map exactly as the main overlay does (see test_demo_page.py).
MAX_CHANNEL_DIFF = 1
MAX_DIFFERING_FRACTION = 1 / 1000
# A gradient cell is drawn from the JSON gradient and scaled by the browser, the server's PNG
# by Pillow's resampling: the same picture up to interpolation, in levels of 0...255.
MAX_GRADIENT_MEAN_DIFF = 4
METRICS = "road,confidence-change,deletion,insertion,average-drop"


def cells(d):
    return d.find_elements(By.CSS_SELECTOR, "[data-testid=grid-cell]")


def cell(d, method):
    return d.find_element(By.CSS_SELECTOR, f"[data-testid=grid-cell][data-method='{method}']")


def wait_cells(d, states=("ready",)):
    """Waits until no cell is queued or loading, and returns {method: state}."""
    def settled(d):
        found = {c.get_attribute("data-method"): c.get_attribute("data-state") for c in cells(d)}
        return found if found and not {"queued", "loading"} & set(found.values()) else None
    return wait(d, settled, "the cells never finished")


def hold_requests(d, path):
    """Wraps the page's fetch: POSTs to `path` stay pending until aborted; each is recorded in
    `window.held` ({method, aborted}); everything else goes to the server."""
    d.execute_script("""
        const path = arguments[0], real = window.fetch.bind(window);
        window.held = [];
        window.fetch = (url, options = {}) => {
          if (url !== path || options.method !== 'POST') return real(url, options);
          const record = {method: options.body.getAll('method').join(','), aborted: false};
          window.held.push(record);
          return new Promise((resolve, reject) => options.signal.addEventListener('abort', () => {
            record.aborted = true;
            reject(new DOMException('aborted', 'AbortError'));
          }));
        };""", path)


def ready_page(d, base_url, model_name):
    open_page(d, base_url, model_name)
    upload(d, sample_image())
    wait_explained(d)


def test_methods_side_by_side(driver, base_url, model_name):
    d = driver
    ready_page(d, base_url, model_name)
    offered = [b.get_attribute("value") for b in d.find_elements(By.CSS_SELECTOR, "[data-testid=grid-method]")]
    assert offered == requests.get(f"{base_url}/models/{model_name}", timeout=30).json()["methods"], \
        "the boxes list the model's methods, as GET /models/{name} does"
    details = requests.get(f"{base_url}/models/{model_name}", timeout=30).json()["method_details"]
    select_values = lambda select_id: [o.get_attribute("value") for o in d.find_elements(By.CSS_SELECTOR, f"#{select_id} option")]
    assert select_values("method-select") == [m["name"] for m in details if not m["input_attribution"]], \
        "the method select lists the registry's class-map methods"
    assert select_values("guided-select") == [m["name"] for m in details if m["input_attribution"]], \
        "the attribution select lists the registry's input-attribution methods"
    help_text = d.find_element(By.ID, "method-help").text
    assert help_text == next(m["summary"] for m in details if m["name"] == d.find_element(By.ID, "method-select").get_attribute("value"))
    chosen = ["gradcam", "layercam", "guided-backprop"]
    tick_methods(d, chosen)
    d.find_element(By.ID, "grid-run").click()
    assert wait_cells(d) == dict.fromkeys(chosen, "ready"), d.find_element(By.ID, "messages").text
    assert [c.get_attribute("data-method") for c in cells(d)] == chosen
    selected = d.execute_script("return window.gradcamDemo.state.explanation.entry.class")
    layer = d.execute_script("return window.gradcamDemo.state.explanation.layer")
    for method in chosen:
        c = cell(d, method)
        assert c.find_element(By.CSS_SELECTOR, "[data-testid=cell-time]").text.endswith(("ms", "s"))
        assert "On the server: " in c.find_element(By.CSS_SELECTOR, "[data-testid=cell-time]").get_attribute("title")
        assert f"(#{selected}," in c.find_element(By.CSS_SELECTOR, "[data-testid=cell-caption]").text, "one class for every cell"
        assert not c.find_elements(By.CSS_SELECTOR, "[data-testid=cell-metrics]"), "no metrics unless asked"

    # Each cell draws what the server's PNG of the same request shows.
    for method in ["gradcam", "layercam"]:
        result = compare_with_server_png(d, cell(d, method).find_element(By.TAG_NAME, "canvas"),
                                         {"model": model_name, "class": str(selected), "layer": layer, "method": method, "alpha": "0.5"})
        assert "error" not in result, (method, result)
        assert result["maxDiff"] <= MAX_CHANNEL_DIFF, (method, result)
        assert result["differing"] <= result["pixels"] * MAX_DIFFERING_FRACTION, (method, result)
    guided = compare_with_server_png(d, cell(d, "guided-backprop").find_element(By.TAG_NAME, "canvas"),
                                     {"model": model_name, "class": str(selected), "method": "guided-backprop"})
    assert "error" not in guided and guided["meanDiff"] <= MAX_GRADIENT_MEAN_DIFF, guided

    # The cells follow the colormap, as the main overlay does.
    before = d.execute_script("return arguments[0].toDataURL()", cell(d, "gradcam").find_element(By.TAG_NAME, "canvas"))
    d.execute_script("const s = document.getElementById('colormap-select'); s.value = 'viridis'; s.dispatchEvent(new Event('change'))")
    wait(d, lambda d: d.execute_script("return arguments[0].toDataURL()", cell(d, "gradcam").find_element(By.TAG_NAME, "canvas")) != before,
         "the cell was not redrawn with the new colormap")
    assert not visible_errors(d)


def test_metrics_are_asked_for_and_shown(driver, base_url, model_name):
    """With the box ticked each cell sends `metrics=`, and shows the explanation's `metrics`.
    The page's fetch is wrapped: it records the field, asks the server without it, and adds
    a `metrics` object of the documented shape to the answer."""
    d = driver
    ready_page(d, base_url, model_name)
    d.execute_script("""
        const real = window.fetch.bind(window);
        window.sentMetrics = [];
        window.fetch = async (url, options = {}) => {
          if (url !== '/gradcam' || options.method !== 'POST') return real(url, options);
          window.sentMetrics.push(options.body.get('metrics'));
          options.body.delete('metrics');
          const response = await real(url, options);
          const doc = await response.json();
          for (const e of doc.explanations) e.metrics = {'average-drop': {drop: 12.5, increase: 0}, deletion: {auc: 0.123456}, road: {combined: -0.25, steps: [1, 2]}};
          return new Response(JSON.stringify(doc), {status: response.status, headers: response.headers});
        };""")
    tick_methods(d, ["gradcam"])
    d.find_element(By.ID, "grid-run").click()
    assert wait_cells(d) == {"gradcam": "ready"}
    assert d.execute_script("return window.sentMetrics") == [None]
    d.find_element(By.ID, "grid-metrics").click()
    tick_methods(d, ["gradcam", "gradcam++"])
    d.find_element(By.ID, "grid-run").click()
    assert wait_cells(d) == {"gradcam": "ready", "gradcam++": "ready"}
    assert d.execute_script("return window.sentMetrics") == [None, METRICS, METRICS]
    for method in ["gradcam", "gradcam++"]:
        metrics = cell(d, method).find_element(By.CSS_SELECTOR, "[data-testid=cell-metrics]")
        terms = [t.text for t in metrics.find_elements(By.TAG_NAME, "dt")]
        values = [v.text for v in metrics.find_elements(By.TAG_NAME, "dd")]
        assert terms == ["average-drop", "deletion", "road"]
        assert values == ["drop 12.5000 · increase 0", "auc 0.1235", "combined -0.2500 · steps 1 2"]


def test_a_pending_cell_counts_up_and_cancels(driver, base_url, model_name):
    """Two cells run at a time: the third waits. A queued cell cancelled is never sent; a
    running one is aborted, saying how long it ran; the others go on."""
    d = driver
    ready_page(d, base_url, model_name)
    hold_requests(d, "/gradcam")
    tick_methods(d, ["gradcam", "layercam", "scorecam"])   # the cells come in the boxes' order, the model's
    d.find_element(By.ID, "grid-run").click()
    wait(d, lambda d: [c.get_attribute("data-state") for c in cells(d)] == ["loading", "loading", "queued"],
         "two cells should run and one wait")
    time = cell(d, "layercam").find_element(By.CSS_SELECTOR, "[data-testid=cell-time]")
    first = time.text
    wait(d, lambda d: time.text != first, "the pending cell's clock does not run")

    cell(d, "scorecam").find_element(By.CSS_SELECTOR, "[data-testid=cell-cancel]").click()
    assert cell(d, "scorecam").get_attribute("data-state") == "cancelled"
    cell(d, "layercam").find_element(By.CSS_SELECTOR, "[data-testid=cell-cancel]").click()
    assert cell(d, "layercam").get_attribute("data-state") == "cancelled"
    assert time.text.startswith("cancelled at ") and time.text.endswith(" s"), time.text
    assert not cell(d, "layercam").find_element(By.CSS_SELECTOR, "[data-testid=cell-cancel]").is_displayed()
    held = d.execute_script("return window.held")
    assert held == [{"method": "gradcam", "aborted": False}, {"method": "layercam", "aborted": True}], \
        "the cancelled queued cell must never be sent"
    assert cell(d, "gradcam").get_attribute("data-state") == "loading"
    assert not visible_errors(d), "a cancel is no error"

    # The sanity check's own cancel.
    hold_requests(d, "/sanity")
    d.find_element(By.ID, "sanity-run").click()
    wait(d, lambda d: state(d, "sanity") == "loading", "the sanity check did not start")
    d.find_element(By.ID, "sanity-cancel").click()
    assert state(d, "sanity") == "cancelled"
    assert d.execute_script("return window.held") == [{"method": "gradcam,layercam,scorecam", "aborted": True}]


def test_a_method_the_model_refuses(driver, base_url, model_name):
    """CAM needs a global-average-pool head; shapes-vgg has a flatten and fully connected layers."""
    d = driver
    ready_page(d, base_url, model_name)
    tick_methods(d, ["cam", "gradcam"])
    d.find_element(By.ID, "grid-run").click()
    assert wait_cells(d) == {"cam": "error", "gradcam": "ready"}
    caption = cell(d, "cam").find_element(By.CSS_SELECTOR, "[data-testid=cell-caption]").text
    fields = d.execute_script("const ex = window.gradcamDemo.state.explanation; return {class: ex.entry.class, layer: ex.layer}")
    direct = requests.post(f"{base_url}/gradcam", params={"model": model_name, "method": "cam", "format": "json", **fields},
                           files={"image": sample_image().read_bytes()}, timeout=60)
    assert direct.status_code == 400
    assert caption == direct.json()["error"]["message"], "the cell shows the server's reason"
    message = visible_errors(d)[-1]
    assert message.get_attribute("data-code") == direct.json()["error"]["code"]
    assert "CAM failed" in message.text


def test_sanity_check_draws_the_servers_curves(driver, base_url, model_name):
    d = driver
    ready_page(d, base_url, model_name)
    methods = ["gradcam", "guided-backprop"]
    tick_methods(d, methods)
    d.find_element(By.ID, "sanity-run").click()
    wait(d, lambda d: state(d, "sanity") in ("ready", "error"), "the sanity check never finished")
    assert state(d, "sanity") == "ready", d.find_element(By.ID, "messages").text
    assert d.find_element(By.ID, "sanity-time").text.endswith(("ms", "s"))

    selected = d.execute_script("return window.gradcamDemo.state.explanation.entry.class")
    doc = requests.post(f"{base_url}/sanity", params={"model": model_name, "method": ",".join(methods), "class": selected},
                        files={"image": sample_image().read_bytes()}, timeout=120).json()
    assert f"seed {doc['seed']}" in d.find_element(By.ID, "sanity-caption").text

    def drawn():
        """Per method, the y of each drawn point (None where the path breaks), in the chart's units."""
        return d.execute_script("""
            const out = {};
            for (const path of document.querySelectorAll('[data-testid=sanity-curve]')) {
              out[path.dataset.method] = [...path.getAttribute('d').matchAll(/([ML])([-\\d.]+) ([-\\d.]+)/g)].map((m) => [m[1], Number(m[3])]);
            }
            return out;""")

    def expected(measure):
        """The server's curves as the chart draws them: y = top + (1 − v) / 2 · height."""
        top, height = 10, 240 - 10 - 34
        out = {}
        for m in doc["methods"]:
            points, pen = [], False
            for point in m["curve"]:
                v = point[measure]
                if v is None:
                    pen = False
                    continue
                points.append(["L" if pen else "M", top + (1 - v) / 2 * height])
                pen = True
            out[m["method"]] = points
        return out

    def same(page, server):
        """The same pen moves, and each point within the page's rounding (0.1 of a unit)."""
        return page.keys() == server.keys() and all(
            len(page[m]) == len(server[m]) and all(a[0] == b[0] and abs(a[1] - b[1]) <= 0.06 for a, b in zip(page[m], server[m]))
            for m in page)

    assert list(drawn()) == methods
    assert same(drawn(), expected("spearman_abs")), (drawn(), expected("spearman_abs"))
    verdicts = d.find_elements(By.CSS_SELECTOR, "[data-testid=sanity-verdict]")
    assert [v.get_attribute("data-method") for v in verdicts] == methods
    for v, m in zip(verdicts, doc["methods"]):
        assert m["verdict"] in v.text and f"{m['mean_spearman_abs']:.2f}" in v.text
        assert ("warn" in v.get_attribute("class")) == m["verdict"].startswith("insensitive")

    d.execute_script("const s = document.getElementById('sanity-measure'); s.value = 'ssim'; s.dispatchEvent(new Event('change'))")
    assert same(drawn(), expected("ssim")), (drawn(), expected("ssim"))
    assert not same(expected("ssim"), expected("spearman_abs"))

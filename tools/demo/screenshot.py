#!/usr/bin/env python3
"""The README's picture of the demo page: Grad-CAM, Score-CAM and guided backprop side by
side on a sample of `shapes-vgg`, and the sanity check of the default three methods.

Usage: tools/demo/screenshot.py [SERVER_URL]   (default http://127.0.0.1:8080, e.g. script/serve)
Runs with the integration tests' venv (.venv: selenium, Pillow) and Debian's chromium and
chromium-driver; writes tools/demo/demo-page.jpg and prints each cell's time.
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration/browser"))

import io  # noqa: E402

from PIL import Image  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from page_support import chromium, open_page, sample_image, state, tick_methods, upload, wait, wait_explained  # noqa: E402

OUTPUT = ROOT / "tools/demo/demo-page.jpg"
GRID = ["gradcam", "scorecam", "guided-backprop"]
SANITY = ["gradcam", "guided-backprop", "guided-gradcam"]


def main():
    url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
    d = chromium(1280, 2600, "--force-prefers-color-scheme=light")
    try:
        open_page(d, url, "shapes-vgg")
        upload(d, sample_image())
        wait_explained(d)
        tick_methods(d, GRID)
        d.find_element(By.ID, "grid-run").click()
        wait(d, lambda d: all(c.get_attribute("data-state") == "ready" for c in d.find_elements(By.CSS_SELECTOR, "[data-testid=grid-cell]")),
             "the cells never finished", timeout=300)
        for cell in d.find_elements(By.CSS_SELECTOR, "[data-testid=grid-cell]"):
            print(cell.get_attribute("data-method"), cell.find_element(By.CSS_SELECTOR, "[data-testid=cell-time]").text)
        grid = Image.open(io.BytesIO(d.find_element(By.ID, "methods-card").screenshot_as_png)).convert("RGB")
        tick_methods(d, SANITY)
        d.find_element(By.ID, "sanity-run").click()
        wait(d, lambda d: state(d, "sanity") == "ready", "the sanity check never finished", timeout=300)
        print("sanity check", d.find_element(By.ID, "sanity-time").text)
        sanity = Image.open(io.BytesIO(d.find_element(By.ID, "sanity").screenshot_as_png)).convert("RGB")
    finally:
        d.quit()
    gap = 12
    page = Image.new("RGB", (max(grid.width, sanity.width), grid.height + gap + sanity.height), (244, 246, 249))
    page.paste(grid, (0, 0))
    page.paste(sanity, (0, grid.height + gap))
    page = page.resize((page.width * 3 // 4, page.height * 3 // 4), Image.LANCZOS)
    page.save(OUTPUT, quality=85, optimize=True, progressive=True)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()

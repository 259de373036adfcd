"""The demo page colours maps with the server's tables, which have one home.

`tools/make_colormap_tables.py` writes Sources/Imaging/ColormapTables.swift; the server writes
the page's `/static/colormaps.js` from those tables (Sources/Service/ColormapModule.swift).
These tests read the tables back from the Swift file, check that it is exactly what the
generator writes for them (so a table edited by hand, or a generator changed without
regenerating, fails here), and that the module the server serves holds the same tables. They
need neither OpenCV nor matplotlib: only the generator's formatting function.
"""
import importlib.util
import pathlib
import re

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("make_colormap_tables", ROOT / "tools/make_colormap_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(text, pattern):
    return {name: [int(v) for v in body.replace(",", " ").split()] for name, body in re.findall(pattern, text, flags=re.S)}


def _swift_tables():
    return _tables(_generator().SWIFT.read_text(), r"static let (\w+): \[UInt8\] = \[(.*?)\]")


def test_swift_tables_are_complete():
    tables = _swift_tables()
    assert list(tables) == _generator().NAMES
    for name, values in tables.items():
        assert len(values) == 768 and all(0 <= v <= 255 for v in values), name


def test_committed_tables_are_the_generators_output():
    generator = _generator()
    assert generator.SWIFT.read_text() == generator.swift_source(_swift_tables()), "ColormapTables.swift was edited by hand"


def test_the_pages_module_holds_the_servers_tables(base_url):
    response = requests.get(f"{base_url}/static/colormaps.js", timeout=30)
    assert response.status_code == 200
    assert _tables(response.text, r"(\w+): new Uint8Array\(\[(.*?)\]\)") == _swift_tables()

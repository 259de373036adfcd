"""The demo page colours maps with the server's tables: both files come from one generator.

`tools/make_colormap_tables.py` writes Sources/Imaging/ColormapTables.swift and
Sources/Service/Web/colormaps.js. This test reads the tables back from the Swift file and
checks that each committed file is exactly what the generator writes for them, so a table
edited in one file only (or a generator changed without regenerating) fails here. It needs
neither OpenCV nor matplotlib: only the generator's formatting functions.
"""
import importlib.util
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("make_colormap_tables", ROOT / "tools/make_colormap_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _swift_tables(text):
    tables = {}
    for name, body in re.findall(r"static let (\w+): \[UInt8\] = \[(.*?)\]", text, flags=re.S):
        tables[name] = [int(v) for v in body.replace(",", " ").split()]
    return tables


def test_swift_tables_are_complete():
    generator = _generator()
    tables = _swift_tables(generator.SWIFT.read_text())
    assert list(tables) == generator.NAMES
    for name, values in tables.items():
        assert len(values) == 768 and all(0 <= v <= 255 for v in values), name


def test_committed_files_are_the_generators_output_for_one_set_of_tables():
    generator = _generator()
    tables = _swift_tables(generator.SWIFT.read_text())
    assert generator.SWIFT.read_text() == generator.swift_source(tables), "ColormapTables.swift was edited by hand"
    assert generator.JS.read_text() == generator.js_source(tables), \
        "Sources/Service/Web/colormaps.js differs from the Swift tables: run tools/make_colormap_tables.py"

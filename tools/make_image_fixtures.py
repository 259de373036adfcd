#!/usr/bin/env python3
"""Generates the Imaging test fixtures (the colormap tables: tools/make_colormap_tables.py).

Writes
  Tests/ImagingTests/Fixtures/   encoded images and what Pillow / OpenCV make of them:
      <name>.png|.jpg            the input
      <name>.ppm                 Image.open(f).convert("RGB") (JPEG: then ImageOps.exif_transpose)
      jpeg_scaled_1_<s>.ppm      Pillow's draft() decode of jpeg_scaled.jpg at 1/s
      resize_<w>x<h>.ppm         resize_source.png resized with Image.BILINEAR
      reduce_<name>_<fx>x<fy>.ppm  <name>.png converted to RGB, then Image.reduce((fx, fy))
      tall_1x70000.png           a PNG with a side over 65536 (decoded box-reduced)
      plane_*.npy                Float planes: a source, cv2.resize INTER_LINEAR upsamplings
                                 and Pillow mode "F" BILINEAR downsamplings
      bad_*                      crafted invalid inputs (valid structure, bad dimensions)

Everything is deterministic. Run from the repository root with the project venv
(Pillow, numpy, opencv-python-headless, pypng):

    /work/venv/bin/python tools/make_image_fixtures.py
"""

import io
import struct
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import png  # pypng: Pillow cannot write interlaced or 2/4-bit gray PNGs
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "ImagingTests" / "Fixtures"


def photo(width, height, seed):
    """Smooth gradients, hard edges and noise: exercises filters, DCT and chroma."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    red = 128 + 100 * np.sin(x / 5.0 + y / 9.0)
    green = 255 * x / max(width - 1, 1)
    blue = 255 * (1 - y / max(height - 1, 1))
    img = np.stack([red, green, blue], axis=-1)
    img[height // 4: height // 2, width // 5: width // 2] = (250, 30, 40)
    inside = (x - 0.7 * width) ** 2 + (y - 0.6 * height) ** 2 < (0.2 * min(width, height)) ** 2
    img[inside] = (20, 20, 230)
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write(name, data):
    (FIXTURES / name).write_bytes(data)


def reference(name, image):
    image.save(FIXTURES / f"{name}.ppm")


def pillow_rgb(data):
    return Image.open(io.BytesIO(data)).convert("RGB")


# ---------------------------------------------------------------- PNG

def pypng_bytes(rows, width, height, **options):
    out = io.BytesIO()
    png.Writer(width, height, **options).write(out, rows)
    return out.getvalue()


def pillow_png(image, **options):
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def make_png():
    w, h = 37, 23
    rgb = photo(w, h, 1)
    gray8 = (rgb.astype(np.uint32) @ np.array([299, 587, 114]) // 1000).astype(np.uint8)
    alpha8 = np.tile(np.linspace(0, 255, w).astype(np.uint8), (h, 1))
    rgb16 = rgb.astype(np.uint16) * 257 + np.random.default_rng(2).integers(0, 257, rgb.shape).astype(np.uint16)
    gray16 = gray8.astype(np.uint16) * 257 + np.random.default_rng(3).integers(0, 257, gray8.shape).astype(np.uint16)
    alpha16 = alpha8.astype(np.uint16) * 257

    def rows(a):
        return a.reshape(a.shape[0], -1).tolist()

    palette = [tuple(int(v) for v in c) for c in photo(16, 1, 4)[0]]
    index4 = (gray8 // 16).astype(np.uint8)
    index1 = (gray8 > 127).astype(np.uint8)
    index2 = (gray8 // 64).astype(np.uint8)

    cases = {
        "png_rgb8": pillow_png(Image.fromarray(rgb)),
        "png_rgba8": pillow_png(Image.fromarray(np.dstack([rgb, alpha8]))),
        "png_gray8": pillow_png(Image.fromarray(gray8)),
        "png_gray_alpha8": pillow_png(Image.fromarray(np.dstack([gray8, alpha8]), "LA")),
        "png_gray1": pypng_bytes(rows(index1), w, h, greyscale=True, bitdepth=1),
        "png_gray2": pypng_bytes(rows(index2), w, h, greyscale=True, bitdepth=2),
        "png_gray4": pypng_bytes(rows(index4), w, h, greyscale=True, bitdepth=4),
        "png_gray8_trns": pypng_bytes(rows(gray8), w, h, greyscale=True, bitdepth=8, transparent=int(gray8[0, 0])),
        "png_rgb8_trns": pypng_bytes(rows(rgb), w, h, greyscale=False, bitdepth=8,
                                     transparent=tuple(int(v) for v in rgb[0, 0])),
        "png_palette1": pypng_bytes(rows(index1), w, h, palette=palette[:2], bitdepth=1),
        "png_palette2": pypng_bytes(rows(index2), w, h, palette=palette[:4], bitdepth=2),
        "png_palette4_trns": pypng_bytes(rows(index4), w, h, bitdepth=4,
                                         palette=[c + (i * 16,) for i, c in enumerate(palette)]),
        "png_palette8_trns": pillow_png(Image.fromarray(rgb).quantize(200), transparency=3),
        "png_rgb16": pypng_bytes(rows(rgb16), w, h, greyscale=False, bitdepth=16),
        "png_rgba16": pypng_bytes(rows(np.dstack([rgb16, alpha16])), w, h, greyscale=False, alpha=True, bitdepth=16),
        "png_gray16": pypng_bytes(rows(gray16), w, h, greyscale=True, bitdepth=16),
        "png_gray_alpha16": pypng_bytes(rows(np.dstack([gray16, alpha16])), w, h, greyscale=True, alpha=True,
                                        bitdepth=16),
        "png_rgb8_interlaced": pypng_bytes(rows(rgb), w, h, greyscale=False, bitdepth=8, interlace=True),
        "png_rgba16_interlaced": pypng_bytes(rows(np.dstack([rgb16, alpha16])), w, h, greyscale=False,
                                             alpha=True, bitdepth=16, interlace=True),
        "png_gray4_interlaced": pypng_bytes(rows(index4), w, h, greyscale=True, bitdepth=4, interlace=True),
        "png_palette4_interlaced": pypng_bytes(rows(index4), w, h, palette=palette, bitdepth=4, interlace=True),
        # Gamma 1.0 in gAMA: Pillow ignores it and so must we.
        "png_rgb8_gamma": pypng_bytes(rows(rgb), w, h, greyscale=False, bitdepth=8, gamma=1.0),
    }
    for name, data in cases.items():
        write(f"{name}.png", data)
        if name.startswith("png_gray16"):
            # Pillow's convert("RGB") of mode I;16 clips at 255 instead of scaling; like every
            # other 16-bit type we keep the high byte.
            high = (gray16 >> 8).astype(np.uint8)
            reference(name, Image.fromarray(np.dstack([high] * 3)))
        else:
            reference(name, pillow_rgb(data))
    # Resize source.
    write("resize_source.png", pillow_png(Image.fromarray(photo(61, 47, 5))))


def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width, height):
    """A well-formed PNG (correct CRCs) whose IHDR declares width x height RGB8 pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- JPEG

def jpeg(image, **options):
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def exif_orientation(value, big_endian=False):
    if big_endian:  # Pillow writes little-endian EXIF; check the other byte order by hand.
        return b"Exif\0\0MM\0*" + struct.pack(">IHHHIHHI", 8, 1, 0x0112, 3, 1, value, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def with_ycck_transform(data):
    """Sets the Adobe APP14 colour transform of a 4-component JPEG to 2 (YCCK)."""
    at = data.index(b"\xff\xee")
    length = struct.unpack(">H", data[at + 2: at + 4])[0]
    assert data[at + 4: at + 9] == b"Adobe" and length == 14
    return data[: at + 15] + b"\x02" + data[at + 16:]


def with_sof_size(data, width, height):
    """Rewrites the frame size in the SOF0/SOF2 header."""
    at = min(i for i in (data.find(b"\xff\xc0"), data.find(b"\xff\xc2")) if i >= 0)
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9:]


def make_jpeg():
    w, h = 45, 29
    rgb = Image.fromarray(photo(w, h, 6))
    cmyk = np.asarray(rgb.convert("CMYK")).copy()
    cmyk[..., 3] = np.linspace(0, 120, w).astype(np.uint8)
    # Stored components are inverted by Pillow's writer; after the patch they read as Y, Cb, Cr, K.
    ycc = np.asarray(rgb.convert("YCbCr"))
    ycck = np.dstack([255 - ycc, 255 - cmyk[..., 3:]])
    cases = {
        "jpeg_420": jpeg(rgb, quality=85),
        "jpeg_422": jpeg(rgb, quality=85, subsampling="4:2:2"),
        "jpeg_444": jpeg(rgb, quality=95, subsampling="4:4:4"),
        "jpeg_progressive": jpeg(rgb, quality=85, progressive=True),
        "jpeg_restart": jpeg(rgb, quality=85, restart_marker_blocks=2),
        "jpeg_gray": jpeg(rgb.convert("L"), quality=85),
        "jpeg_gray_progressive": jpeg(rgb.convert("L"), quality=85, progressive=True),
        "jpeg_cmyk": jpeg(Image.fromarray(cmyk, "CMYK"), quality=90),
        "jpeg_ycck": with_ycck_transform(jpeg(Image.fromarray(ycck, "CMYK"), quality=90)),
    }
    small = Image.fromarray(photo(24, 16, 7))
    for value in range(1, 9):
        cases[f"jpeg_orientation{value}"] = jpeg(small, quality=90, exif=exif_orientation(value))
    cases["jpeg_orientation6_big_endian"] = jpeg(small, quality=90, exif=exif_orientation(6, big_endian=True))
    for name, data in cases.items():
        write(f"{name}.jpg", data)
        reference(name, ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))

    # DCT scaling: Pillow's draft() decodes at 1/s with the same libjpeg scaling.
    scaled = jpeg(Image.fromarray(photo(160, 120, 8)), quality=85)
    write("jpeg_scaled.jpg", scaled)
    for s in (1, 2, 4, 8):
        image = Image.open(io.BytesIO(scaled))
        image.draft("RGB", (160 // s, 120 // s))
        assert image.size == (160 // s, 120 // s)
        reference(f"jpeg_scaled_1_{s}", image.convert("RGB"))
    write("jpeg_scaled_orientation6.jpg",
          jpeg(Image.fromarray(photo(160, 120, 8)), quality=85, exif=exif_orientation(6)))

    write("bad_png_100000x100000.png", png_declaring(100000, 100000))
    write("bad_png_0x0.png", png_declaring(0, 0))
    write("bad_jpeg_60000x60000.jpg", with_sof_size(cases["jpeg_420"], 60000, 60000))
    write("bad_jpeg_45x0.jpg", with_sof_size(cases["jpeg_420"], 45, 0))


# ---------------------------------------------------------------- resize

def make_resize():
    source = Image.open(FIXTURES / "resize_source.png").convert("RGB")
    # Both pass orders of Pillow 13: vertical first when the height shrinks more than twice the width.
    for size in [(29, 17), (8, 5), (3, 40), (1, 1), (150, 100), (61, 20), (120, 47), (200, 13), (40, 4),
                 (120, 30)]:
        reference(f"resize_{size[0]}x{size[1]}", source.resize(size, Image.Resampling.BILINEAR))

    plane = np.random.default_rng(9).random((14, 14), dtype=np.float64).astype(np.float32)
    np.save(FIXTURES / "plane_source.npy", plane)
    for width, height in [(56, 56), (33, 47), (14, 100)]:
        up = cv2.resize(plane, (width, height), interpolation=cv2.INTER_LINEAR)
        np.save(FIXTURES / f"plane_cv2_{width}x{height}.npy", up)
    for width, height in [(5, 3), (7, 14), (1, 1)]:
        down = Image.fromarray(plane, "F").resize((width, height), Image.Resampling.BILINEAR)
        np.save(FIXTURES / f"plane_pillow_{width}x{height}.npy", np.asarray(down, dtype=np.float32))


# ---------------------------------------------------------------- reduce

def make_reduce():
    """What Pillow's reduce() makes of decoded PNGs: the arithmetic of a reduced decode."""
    for name, factors in [("resize_source", [(2, 2), (3, 3), (6, 6), (61, 47)]),
                          ("png_rgb8", [(2, 2), (5, 5)]), ("png_palette4_trns", [(3, 3)]),
                          ("png_rgba16", [(2, 2)])]:
        source = Image.open(FIXTURES / f"{name}.png").convert("RGB")
        for fx, fy in factors:
            reference(f"reduce_{name}_{fx}x{fy}", source.reduce((fx, fy)))
    column = (np.arange(70000, dtype=np.uint32) * 7 % 251).astype(np.uint8)
    tall = np.dstack([column, 255 - column, column // 2]).reshape(70000, 1, 3)
    write("tall_1x70000.png", pillow_png(Image.fromarray(tall)))
    reference("reduce_tall_1x70000_1x2", Image.fromarray(tall).reduce((1, 2)))


def main():
    # convert("RGB") of a palette image with tRNS bytes warns; dropping the alpha is the point.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in FIXTURES.iterdir():
        old.unlink()
    make_png()
    make_jpeg()
    make_resize()
    make_reduce()
    total = sum(f.stat().st_size for f in FIXTURES.iterdir())
    print(f"{len(list(FIXTURES.iterdir()))} fixtures, {total} bytes in {FIXTURES}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference similarities for the sanity check's tests: Tests/Fixtures/sanity/similarity.json.

For a few pairs of float32 maps (smooth CAM-like maps with flat zero regions, signed
gradient-like maps, noise, heavily tied values), the values `Similarities` must reproduce:

- spearman_abs, spearman: scipy.stats.spearmanr of the absolute and of the signed maps
  (also Quantus's correlation_spearman, checked equal here);
- ssim: Quantus's ssim (skimage.metrics.structural_similarity, default 7x7 uniform window,
  K1 0.01, K2 0.03, sample covariance, data_range = max - min of both maps) on the absolute
  maps divided by their maximum in float32 (Quantus's normalise_by_max);
- hog: Pearson's r (scipy.stats.pearsonr) of skimage.feature.hog features of those normalized
  maps, with hog's defaults: orientations 9, pixels_per_cell (8, 8), cells_per_block (3, 3),
  block_norm 'L2-Hys', transform_sqrt False, feature_vector True; and the features of the
  first map of each pair.

Run with /work/venv-torch/bin/python (scipy, scikit-image) and, for the Quantus cross-check,
Quantus on the path: PYTHONPATH=/work/venv-torch/lib/python3.11/site-packages
/work/venvs/quantus/bin/python tools/sanity/make_similarity_fixture.py
"""
import json
import pathlib

import numpy as np
import scipy.stats
import skimage.feature
import skimage.metrics

try:
    from quantus.functions import similarity_func as quantus_similarity
except ImportError:  # the fixture does not depend on Quantus; it only cross-checks it
    quantus_similarity = None

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/Fixtures/sanity/similarity.json"
HEIGHT, WIDTH = 32, 40


def blob(rng, centre_jitter):
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    cy, cx = HEIGHT / 2 + centre_jitter * rng.standard_normal(), WIDTH / 2 + centre_jitter * rng.standard_normal()
    m = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 120.0) - 0.2
    return np.maximum(m, 0).astype(np.float32)  # ReLU: a flat zero region, ties


def cases():
    rng = np.random.default_rng(14)
    a = blob(rng, 3)
    yield "cam-like", a, a, blob(rng, 6), None
    g = rng.standard_normal((HEIGHT, WIDTH)).astype(np.float32)
    h = (0.7 * g + 0.3 * rng.standard_normal((HEIGHT, WIDTH))).astype(np.float32)
    yield "gradient-like", np.abs(g), g, np.abs(h), h
    q = np.round(rng.random((HEIGHT, WIDTH)) * 4).astype(np.float32)
    r = np.round(rng.random((HEIGHT, WIDTH)) * 4).astype(np.float32)
    yield "tied", q, q - 2, r, r - 2


class Float32s:
    """A float32 array written as its shortest exact decimal form (str of np.float32), not as doubles."""

    def __init__(self, array):
        self.placeholder = "@[" + ",".join(str(np.float32(v)) for v in array.ravel()) + "]@"


def normalized(m):
    return (m / m.max()).astype(np.float32)


def hog(m):
    return skimage.feature.hog(m.astype(np.float64), orientations=9, pixels_per_cell=(8, 8),
                               cells_per_block=(3, 3), block_norm="L2-Hys", transform_sqrt=False, feature_vector=True)


def main():
    records = []
    for name, a_abs, a_signed, b_abs, b_signed in cases():
        b_signed = b_abs if b_signed is None else b_signed
        na, nb = normalized(a_abs), normalized(b_abs)
        lo, hi = min(na.min(), nb.min()), max(na.max(), nb.max())
        ssim = skimage.metrics.structural_similarity(na.astype(np.float64), nb.astype(np.float64), data_range=float(hi - lo))
        expected = {
            "spearman_abs": float(scipy.stats.spearmanr(a_abs.ravel(), b_abs.ravel())[0]),
            "spearman": float(scipy.stats.spearmanr(a_signed.ravel(), b_signed.ravel())[0]),
            "ssim": float(ssim),
            "hog": float(scipy.stats.pearsonr(hog(na), hog(nb))[0]),
        }
        if quantus_similarity is not None:
            q_spearman = quantus_similarity.correlation_spearman(a_abs.ravel(), b_abs.ravel())
            q_ssim = quantus_similarity.ssim(na.astype(np.float64), nb.astype(np.float64))
            assert abs(q_spearman - expected["spearman_abs"]) < 1e-12, (q_spearman, expected)
            assert abs(q_ssim - expected["ssim"]) < 1e-8, (q_ssim, expected)
        records.append({
            "case": name, "width": WIDTH, "height": HEIGHT,
            "a_abs": Float32s(a_abs), "a_signed": Float32s(a_signed),
            "b_abs": Float32s(b_abs), "b_signed": Float32s(b_signed),
            "expected": expected, "hog_a": hog(na).tolist(),
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "tools/sanity/make_similarity_fixture.py", "cases": records},
                              default=lambda v: v.placeholder).replace('"@', "").replace('@"', "") + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); quantus cross-check: {quantus_similarity is not None}")


if __name__ == "__main__":
    main()

// The server's arithmetic, in float32 like its Swift: Pillow's bilinear resampling
// (FloatPlane.resized), the heatmap's upsampling (Heatmap.upsampled), the colormap index
// (Colormap.index(for:)) and the blend (Image.overlaid(with:colormap:alpha:)), so the page
// draws what POST /gradcam draws.
import { COLORMAP_TABLES } from './colormaps.js';

export const f32 = Math.fround;

/** ResampleKernel (Pillow's precompute_coeffs for BILINEAR): weights in double, normalized, stored as Float. */
function resampleKernel(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const inverse = 1 / filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize), count = new Int32Array(outSize), weights = new Float32Array(outSize * taps);
  const w = new Float64Array(taps);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const low = Math.max(Math.trunc(centre - support + 0.5), 0);
    const high = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let sum = 0;
    for (let k = 0; k < high - low; k++) {
      w[k] = Math.max(0, 1 - Math.abs((k + low - centre + 0.5) * inverse));
      sum += w[k];
    }
    for (let k = 0; k < high - low; k++) weights[i * taps + k] = sum !== 0 ? w[k] / sum : w[k];
    first[i] = low;
    count[i] = high - low;
  }
  return { taps, first, count, weights };
}
/** FloatPlane.resized: horizontal pass, then vertical, accumulating in Float (float32). */
function resizePlane(values, width, height, newWidth, newHeight) {
  let plane = Float32Array.from(values), w = width;
  if (newWidth !== width) {
    const k = resampleKernel(width, newWidth);
    const out = new Float32Array(newWidth * height);
    for (let y = 0; y < height; y++) {
      for (let i = 0; i < newWidth; i++) {
        let sum = 0;
        const base = y * width + k.first[i], wb = i * k.taps;
        for (let t = 0; t < k.count[i]; t++) sum = f32(sum + f32(plane[base + t] * k.weights[wb + t]));
        out[y * newWidth + i] = sum;
      }
    }
    plane = out; w = newWidth;
  }
  if (newHeight !== height) {
    const k = resampleKernel(height, newHeight);
    const out = new Float32Array(w * newHeight);
    for (let i = 0; i < newHeight; i++) {
      const wb = i * k.taps, first = k.first[i], n = k.count[i];
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let t = 0; t < n; t++) sum = f32(sum + f32(plane[(first + t) * w + x] * k.weights[wb + t]));
        out[i * w + x] = sum;
      }
    }
    plane = out;
  }
  return plane;
}
/** Heatmap.upsampled: resize, then ReLU and min-max normalize again (a zero map stays zero). */
export function upsampleHeatmap(data, width, height, newWidth, newHeight, zero) {
  const resized = resizePlane(data, width, height, newWidth, newHeight);
  if (zero) return resized;
  let lo = Infinity, hi = -Infinity, finite = true;
  for (let i = 0; i < resized.length; i++) {
    const v = resized[i] > 0 ? resized[i] : 0;
    resized[i] = v;
    if (!Number.isFinite(v)) finite = false;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = f32(hi - lo);
  if (!(range > 0) || !Number.isFinite(range) || !finite) return resized.fill(0);
  const scale = f32(1 / f32(range + f32(1e-7)));
  for (let i = 0; i < resized.length; i++) resized[i] = f32(f32(resized[i] - lo) * scale);
  return resized;
}
/** Colormap.index(for:): Int(255 * v) truncated, clamped to 0...255. */
export function colormapIndex(v) {
  const scaled = f32(255 * v);
  return scaled >= 255 ? 255 : (scaled > 0 ? Math.trunc(scaled) : 0);
}

/** The RGB table (256 × 3 bytes) of a colormap by name; jet for an unknown name. */
export function colormapTable(name) {
  return COLORMAP_TABLES[name] || COLORMAP_TABLES.jet;
}

/** Image.overlaid(with:colormap:alpha:): out = UInt8(Float((1 − α)·v) + Float(α·c) + 0.5)
 *  inside `rect` (where `indices` holds one colormap index per pixel, row by row), the image
 *  outside. `pixels` is RGBA of `width` columns; returns a new RGBA array. */
export function overlaid(pixels, width, rect, indices, table, alpha) {
  const imageTerm = new Float32Array(256), colorTerm = new Float32Array(768);
  const keep = f32(1 - alpha);
  for (let v = 0; v < 256; v++) imageTerm[v] = keep * v;
  for (let j = 0; j < 768; j++) colorTerm[j] = alpha * table[j];
  const out = new Uint8ClampedArray(pixels), src = pixels;
  for (let y = 0; y < rect.height; y++) {
    let p = ((rect.y + y) * width + rect.x) * 4, m = y * rect.width;
    for (let x = 0; x < rect.width; x++, p += 4, m++) {
      const c = indices[m] * 3;
      out[p] = Math.trunc(f32(f32(imageTerm[src[p]] + colorTerm[c]) + 0.5));
      out[p + 1] = Math.trunc(f32(f32(imageTerm[src[p + 1]] + colorTerm[c + 1]) + 0.5));
      out[p + 2] = Math.trunc(f32(f32(imageTerm[src[p + 2]] + colorTerm[c + 2]) + 0.5));
      out[p + 3] = 255;
    }
  }
  return out;
}

/** Rendering.gradientImage: a gradient of `channels` planes of `width` × `height` (CHW, the
 *  model's colour order) as RGBA, pytorch-grad-cam's `deprocess_image` over all channels:
 *  v = (g − mean) / (std + 1e-5) · 0.1 + 0.5, clipped to [0, 1], × 255 (truncated); the
 *  channels reversed for a BGR model. */
export function gradientPixels(data, channels, width, height, bgr) {
  const n = data.length;
  let mean = 0, variance = 0;
  for (let i = 0; i < n; i++) mean += data[i];
  mean /= n;
  for (let i = 0; i < n; i++) variance += (data[i] - mean) ** 2;
  const std = Math.sqrt(variance / n), plane = width * height;
  const out = new Uint8ClampedArray(plane * 4);
  for (let c = 0; c < Math.min(channels, 3); c++) {
    const target = bgr ? 2 - c : c;
    for (let i = 0; i < plane; i++) {
      const v = (data[c * plane + i] - mean) / (std + 1e-5) * 0.1 + 0.5;
      out[i * 4 + target] = Math.trunc(Math.min(Math.max(v, 0), 1) * 255);
    }
  }
  for (let i = 0; i < plane; i++) out[i * 4 + 3] = 255;
  return out;
}

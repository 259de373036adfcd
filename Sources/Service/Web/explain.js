// The explanation of the selected class (POST /gradcam, format=json), drawn by the page
// over the image with the chosen colormap and opacity: peak, box, caption, read-out, legend.
import { ApiError, api, formBody, isAbort, supersede } from './api.js';
import { updateCurl } from './compare.js';
import { el } from './dom.js';
import { clearGrid, repaintGrid } from './grid.js';
import { runGuided } from './guided.js';
import { drawOriginalRegion, svgEl, visibleRegion } from './image.js';
import { announce, showError } from './messages.js';
import { methodTitle } from './models.js';
import { formatTime, setPanel } from './panels.js';
import { formatScore, markSelection, renderPredictions, runPredict } from './predictions.js';
import { colormapIndex, colormapTable, f32, overlaid, upsampleHeatmap } from './render.js';
import { clearSanity } from './sanity.js';
import { state } from './state.js';

/** A new image, model or key: predicts and explains the top-1 class afresh. */
export function refreshAll() {
  state.selectedClass = null;
  state.explanation = null;
  clearGrid();
  clearSanity();
  drawOriginalRegion();
  runPredict();
  runOverlay();
  runGuided();
}

/** Explains `classIndex` in the overlay and guided panels, unless both show it already. */
export function explainClass(classIndex) {
  if (!state.file || !state.model) return;
  if (classIndex === state.selectedClass && el.overlayPanel.dataset.state === 'ready' && state.guided?.classIndex === classIndex) return;
  state.selectedClass = classIndex;
  markSelection();
  runOverlay();
  runGuided();
}

export function currentLayer() { return el.layer.value || state.model?.default_layer; }

export async function runOverlay() {
  if (!state.file || !state.model) return;
  const controller = supersede('overlay');
  const method = el.method.value || 'gradcam';
  const params = { model: state.model.name, method, layer: currentLayer(), format: 'json', top: 5 };
  if (state.selectedClass !== null) params.class = state.selectedClass;
  setPanel(el.overlayPanel, 'loading', el.overlayTime, `Computing ${methodTitle(method)}`);
  el.pin.disabled = true;
  el.otherButton.disabled = true;
  markSelection();
  updateCurl();
  const start = performance.now();
  try {
    const response = await api('/gradcam', { method: 'POST', body: formBody(params), signal: controller.signal });
    const doc = await response.json();
    if (controller.signal.aborted) return;
    const ms = performance.now() - start;
    const entry = doc.explanations[0];
    if (!entry || entry.map.channels) throw new ApiError(0, 'unexpected_response', 'The server answered without a class map.');
    state.explanation = prepareExplanation(doc, entry, ms);
    state.selectedClass = entry.class;
    if (!state.predictions) state.predictions = { model: doc.model, image: doc.image, predictions: doc.predictions };
    renderOverlay();
    setPanel(el.overlayPanel, 'ready', el.overlayTime, formatTime(ms));
    renderPredictions();
    renderCaption();
    updateCurl();
    el.pin.disabled = false;
    el.otherButton.disabled = false;
    announce(`${methodTitle(method)} of ${entry.label} ready`);
  } catch (e) {
    if (isAbort(e)) return;
    el.otherButton.disabled = false;
    setPanel(el.overlayPanel, 'error', el.overlayTime, 'failed');
    el.overlayError.textContent = e.message;
    markSelection();
    showError(e, `${methodTitle(method)} failed`);
  }
}

/** Everything needed to draw an explanation over the image at the work size (see prepareMap). */
function prepareExplanation(doc, entry, ms) {
  return { doc, entry, ms, ...prepareMap(doc, entry, state.original), layer: doc.layer, method: doc.method, render: 0 };
}

/** Where the map of `doc` lies in `base` (an image at a work size: {width, height, work:
 *  {width, height, scale}, pixels}): the region the model saw, in image pixels and, as `rect`,
 *  in work pixels. */
export function workRect(doc, base) {
  const scale = base.work.scale;
  // Server coordinates are in the decoded (oriented) image; normally the same size as ours.
  const sx = base.width / doc.image.width, sy = base.height / doc.image.height;
  const region = visibleRegion(doc.image.width, doc.image.height);
  const rx = Math.round(region.x * sx * scale), ry = Math.round(region.y * sy * scale);
  const rw = Math.max(1, Math.min(base.work.width - rx, Math.round(region.width * sx * scale)));
  const rh = Math.max(1, Math.min(base.work.height - ry, Math.round(region.height * sy * scale)));
  return { region, rect: { x: rx, y: ry, width: rw, height: rh } };
}

/** A class map as the server draws it over `base` (see workRect): upsampled over the visible
 *  region exactly as the server does (bilinear, renormalized), and its colormap indices. */
export function prepareMap(doc, entry, base) {
  const { region, rect } = workRect(doc, base);
  const values = upsampleHeatmap(entry.map.data, entry.map.width, entry.map.height, rect.width, rect.height, entry.zero);
  const indices = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) indices[i] = colormapIndex(values[i]);
  return { region, imageSize: doc.image, rect, values, indices };
}

/** Draws `map` (see prepareMap) over `base` on `canvas` (see `overlaid` in render.js), with
 *  the chosen colormap and opacity. */
export function paintMap(canvas, base, map) {
  const { width, height } = base.work;
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const pixels = overlaid(base.pixels, width, map.rect, map.indices, colormapTable(el.colormap.value), f32(currentAlpha()));
  canvas.getContext('2d').putImageData(new ImageData(pixels, width, height), 0, 0);
}

export function currentAlpha() { return Number(el.opacity.value) / 100; }

/** Draws the overlay on the canvas, at the work size. */
function renderOverlay() {
  const ex = state.explanation, o = state.original;
  if (!ex || !o) return;
  paintMap(el.canvas, o, ex);
  ex.render++;
  el.canvas.dataset.class = String(ex.entry.class);
  el.canvas.dataset.alpha = f32(currentAlpha()).toFixed(2);
  el.canvas.dataset.colormap = el.colormap.value;
  el.canvas.dataset.render = String(++renderCount);
  el.canvas.setAttribute('aria-label', `${methodTitle(ex.method)} heatmap of ${ex.entry.label} over the image`);
  el.canvas.hidden = false;
  el.overlayPlaceholder.hidden = true;
  renderMarks();
}
let renderCount = 0;

let pendingFrame = 0;
export function scheduleRender() {
  if (pendingFrame) return;
  pendingFrame = requestAnimationFrame(() => { pendingFrame = 0; renderOverlay(); repaintGrid(); });
}

export function renderMarks() {
  const ex = state.explanation;
  const show = !!ex && el.marksToggle.checked && !ex.entry.zero && ex.entry.peak && ex.entry.box;
  el.marks.toggleAttribute('hidden', !show);
  if (!show) return;
  const { width, height } = ex.imageSize;
  const { peak, box } = ex.entry;
  el.marks.setAttribute('viewBox', `0 0 ${width} ${height}`);
  el.marks.setAttribute('preserveAspectRatio', 'none');
  const radius = Math.max(width, height) * 0.022;
  const rectAttrs = { x: box.x + 0.5, y: box.y + 0.5, width: Math.max(0, box.width - 1), height: Math.max(0, box.height - 1), fill: 'none', 'vector-effect': 'non-scaling-stroke' };
  const cx = peak.x + 0.5, cy = peak.y + 0.5;
  const cross = `M ${cx - radius * 1.8} ${cy} H ${cx - radius * 0.6} M ${cx + radius * 0.6} ${cy} H ${cx + radius * 1.8} M ${cx} ${cy - radius * 1.8} V ${cy - radius * 0.6} M ${cx} ${cy + radius * 0.6} V ${cy + radius * 1.8}`;
  const ring = { cx, cy, r: radius, fill: 'none', 'vector-effect': 'non-scaling-stroke' };
  el.marks.replaceChildren(
    svgEl('rect', { ...rectAttrs, stroke: 'rgba(0,0,0,.65)', 'stroke-width': 4, 'data-testid': 'box-shadow' }),
    svgEl('rect', { ...rectAttrs, stroke: '#fff', 'stroke-width': 2, 'data-testid': 'box' }),
    svgEl('path', { d: cross, stroke: 'rgba(0,0,0,.65)', 'stroke-width': 4, 'vector-effect': 'non-scaling-stroke' }),
    svgEl('circle', { ...ring, stroke: 'rgba(0,0,0,.65)', 'stroke-width': 4 }),
    svgEl('path', { d: cross, stroke: '#fff', 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }),
    svgEl('circle', { ...ring, stroke: '#fff', 'stroke-width': 2, 'data-testid': 'peak' }),
  );
}

function renderCaption() {
  const ex = state.explanation;
  if (!ex) { el.overlayCaption.textContent = '—'; return; }
  const e = ex.entry;
  el.overlayCaption.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = `${e.label}`;
  el.overlayCaption.append(strong, ` (#${e.class}, score ${formatScore(e.score)}) · ${ex.method} at ${shortLayer(ex.layer)} · map ${e.map.width}×${e.map.height}`);
  if (e.zero) {
    const warn = document.createElement('span');
    warn.className = 'warn';
    warn.dataset.testid = 'zero-warning';
    warn.textContent = 'The map is zero: nothing at this layer speaks for this class (all weights negative after the ReLU). There is no peak or box.';
    el.overlayCaption.append(warn);
  } else if (e.peak && e.box) {
    el.overlayCaption.append(document.createElement('br'), `peak (${e.peak.x}, ${e.peak.y}) · box ${e.box.width}×${e.box.height} at (${e.box.x}, ${e.box.y})`);
  }
  if (ex.method === 'eigencam') {
    const warn = document.createElement('span');
    warn.className = 'warn';
    warn.textContent = 'Eigen-CAM is class-agnostic: other classes give the same map.';
    el.overlayCaption.append(warn);
  }
}
export function shortLayer(name) {
  const layer = state.model?.layers.find((l) => l.name === name);
  const alias = layer?.aliases[0];
  return alias ? `${alias} (${name})` : name;
}

// Hover read-out: the map value under the pointer.
el.overlayStage.addEventListener('pointermove', (event) => {
  const ex = state.explanation, o = state.original;
  if (!ex || el.canvas.hidden) return;
  const box = el.canvas.getBoundingClientRect();
  const wx = Math.floor((event.clientX - box.left) / box.width * o.work.width);
  const wy = Math.floor((event.clientY - box.top) / box.height * o.work.height);
  const ix = Math.floor((event.clientX - box.left) / box.width * ex.imageSize.width);
  const iy = Math.floor((event.clientY - box.top) / box.height * ex.imageSize.height);
  const r = ex.rect;
  const inside = wx >= r.x && wy >= r.y && wx < r.x + r.width && wy < r.y + r.height;
  el.readout.textContent = inside ? `(${ix}, ${iy}) map ${ex.values[(wy - r.y) * r.width + (wx - r.x)].toFixed(3)}` : `(${ix}, ${iy}) outside what the model sees`;
});
el.overlayStage.addEventListener('pointerleave', () => { el.readout.textContent = ''; });

export function drawLegend() {
  const table = colormapTable(el.colormap.value);
  const ctx = el.legend.getContext('2d');
  const image = ctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    image.data[i * 4] = table[i * 3]; image.data[i * 4 + 1] = table[i * 3 + 1]; image.data[i * 4 + 2] = table[i * 3 + 2]; image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

// Methods side by side: the ticked methods for one class and layer, one POST /gradcam per
// cell (two at a time: the server has few workers), each with its time, its faithfulness
// metrics when asked, and a clock and a cancel while it waits or runs.
import { api, cancel, formBody, isAbort, serverTiming, supersede } from './api.js';
import { el } from './dom.js';
import { currentLayer, paintMap, prepareMap, workRect } from './explain.js';
import { announce, showError } from './messages.js';
import { methodTitle } from './models.js';
import { formatTime, setAspect, setCancelled, setPanel } from './panels.js';
import { formatScore } from './predictions.js';
import { gradientPixels } from './render.js';
import { loadPrefs, savePrefs, state } from './state.js';

/** `metrics=` when the box is ticked: every faithfulness metric of POST /gradcam. */
const METRICS = 'road,confidence-change,deletion,insertion,average-drop';
const CONCURRENT = 2;
/** Ticked until the user ticks others: Adebayo et al.'s three, also the sanity check's default. */
const DEFAULT_PICKS = ['gradcam', 'guided-backprop', 'guided-gradcam'];

let cells = [];   // the grid's cells: {method, figure, time, canvas, caption, controller, map}

/** One checkbox per method of the model (GET /models/{name}'s `methods`), the last picks kept. */
export function fillMethodPicks(detail) {
  const picked = new Set(loadPrefs().gridMethods || DEFAULT_PICKS);
  el.gridMethods.replaceChildren(...detail.methods.map((method) => {
    const label = document.createElement('label');
    label.className = 'check';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = method;
    box.checked = picked.has(method);
    box.dataset.testid = 'grid-method';
    label.append(box, method);
    return label;
  }));
}
export function pickedMethods() {
  return [...el.gridMethods.querySelectorAll('input:checked')].map((box) => box.value);
}

/** Cancels the cells and empties the grid (a new image, model or key). */
export function clearGrid() {
  cancel('grid');
  cells = [];
  el.grid.replaceChildren();
}

export async function runGrid() {
  if (!state.file || !state.model) { showError('Choose an image first.', 'Nothing to compare'); return; }
  const methods = pickedMethods();
  if (!methods.length) { showError('Tick at least one method.', 'Nothing to compare'); return; }
  const run = supersede('grid');
  const params = {
    model: state.model.name, layer: currentLayer(), format: 'json',
    class: state.selectedClass ?? state.explanation?.entry.class, metrics: el.gridMetrics.checked ? METRICS : null,
  };
  cells = methods.map((method) => newCell(method, run.signal));
  el.grid.replaceChildren(...cells.map((cell) => cell.figure));
  const queue = [...cells];
  const worker = async () => { for (let cell; (cell = queue.shift());) await runCell(cell, { ...params, method: cell.method }); };
  await Promise.all(Array.from({ length: CONCURRENT }, worker));
  if (!run.signal.aborted) announce(`${methods.length} methods compared`);
}

/** A queued cell: its own AbortController, aborted by its Cancel button or by a newer run. */
function newCell(method, runSignal) {
  const figure = document.createElement('figure');
  figure.className = 'cell';
  figure.dataset.testid = 'grid-cell';
  figure.dataset.method = method;
  figure.innerHTML = `<div class="cell-head"><h3></h3><span class="status"><span class="spin" aria-hidden="true"></span>
    <span class="time" data-testid="cell-time"></span></span><button type="button" class="btn small cancel" data-testid="cell-cancel">Cancel</button></div>
    <div class="stage"><canvas role="img" hidden></canvas><div class="busy"><span class="spin" aria-hidden="true"></span></div></div>
    <figcaption class="caption" data-testid="cell-caption"></figcaption>`;
  const cell = {
    method, figure, controller: new AbortController(), map: null,
    time: figure.querySelector('.time'), canvas: figure.querySelector('canvas'), caption: figure.querySelector('figcaption'),
  };
  figure.querySelector('h3').textContent = methodTitle(method);
  const cancel = figure.querySelector('.cancel');
  cancel.setAttribute('aria-label', `Cancel ${methodTitle(method)}`);
  cancel.addEventListener('click', () => { setCancelled(figure, cell.time); cell.controller.abort(); });
  runSignal.addEventListener('abort', () => cell.controller.abort(), { once: true });
  setAspect(figure.querySelector('.stage'), state.original.width, state.original.height);
  setPanel(figure, 'queued', cell.time, 'queued');
  return cell;
}

async function runCell(cell, params) {
  const signal = cell.controller.signal;
  if (signal.aborted) return;
  setPanel(cell.figure, 'loading', cell.time, `Computing ${methodTitle(cell.method)}`);
  const start = performance.now();
  try {
    const response = await api('/gradcam', { method: 'POST', body: formBody(params), signal });
    const doc = await response.json();
    if (signal.aborted) return;
    const entry = doc.explanations[0];
    if (entry.map.channels) {
      paintGradient(cell.canvas, doc, entry);
    } else {
      cell.map = prepareMap(doc, entry, state.thumbnail);
      paintMap(cell.canvas, state.thumbnail, cell.map);
    }
    cell.canvas.hidden = false;
    cell.canvas.setAttribute('aria-label', `${methodTitle(cell.method)} of ${entry.label}`);
    const page = performance.now() - start, server = serverTiming(response);
    setPanel(cell.figure, 'ready', cell.time, formatTime(server ? server.ms : page));
    if (server) cell.time.title = `On the server: ${server.stages}; ${formatTime(page)} as seen by this page`;
    captionCell(cell, doc, entry);
  } catch (e) {
    if (isAbort(e)) {   // cancelled by its button (the cell says so already), or by a newer run
      if (cell.figure.dataset.state === 'loading') setCancelled(cell.figure, cell.time);
      return;
    }
    setPanel(cell.figure, 'error', cell.time, 'failed');
    cell.caption.textContent = e.message;
    showError(e, `${methodTitle(cell.method)} failed`);
  }
}

/** A gradient (`"channels": 3`: guided and input-attribution methods) as the server's PNG
 *  draws it: over the region the model saw, neutral grey elsewhere (Rendering.gradientImage). */
function paintGradient(canvas, doc, entry) {
  const { channels, width, height, data } = entry.map;
  const source = document.createElement('canvas');
  source.width = width; source.height = height;
  const bgr = state.model.preprocessing.color.toUpperCase() === 'BGR';
  source.getContext('2d').putImageData(new ImageData(gradientPixels(data, channels, width, height, bgr), width, height), 0, 0);
  const base = state.thumbnail, { rect } = workRect(doc, base);
  canvas.width = base.work.width; canvas.height = base.work.height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, rect.x, rect.y, rect.width, rect.height);
}

function captionCell(cell, doc, entry) {
  const strong = document.createElement('strong');
  strong.textContent = entry.label;
  cell.caption.replaceChildren(strong, ` (#${entry.class}, score ${formatScore(entry.score)}) · map ${entry.map.width}×${entry.map.height}`);
  if (entry.zero) cell.caption.append(' · zero map');
  if (entry.metrics) cell.caption.append(metricsList(entry.metrics));
}

/** The explanation's `metrics` ({name: number | array | object}) as a definition list. */
function metricsList(metrics) {
  const list = document.createElement('dl');
  list.className = 'metrics';
  list.dataset.testid = 'cell-metrics';
  for (const [name, value] of Object.entries(metrics)) {
    const term = document.createElement('dt');
    term.textContent = name;
    const detail = document.createElement('dd');
    detail.textContent = formatMetric(value);
    list.append(term, detail);
  }
  return list;
}
function formatMetric(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (Array.isArray(value)) return value.map(formatMetric).join(' ');
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k} ${formatMetric(v)}`).join(' · ');
  return String(value);
}

/** Redraws the class-map cells with the current colormap and opacity. */
export function repaintGrid() {
  for (const cell of cells) if (cell.map) paintMap(cell.canvas, state.thumbnail, cell.map);
}

el.gridMethods.addEventListener('change', () => savePrefs({ gridMethods: pickedMethods() }));
el.gridRun.addEventListener('click', runGrid);

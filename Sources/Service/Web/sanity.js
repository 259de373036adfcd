// The sanity check (POST /sanity): the model's weights randomized layer by layer from the
// scores down, and each method's map at every step compared with the original's. One curve
// per method (the chosen similarity per step, an inline SVG) and its verdict.
import { api, cancel, formBody, isAbort, serverTiming, supersede } from './api.js';
import { el } from './dom.js';
import { currentLayer, shortLayer } from './explain.js';
import { pickedMethods } from './grid.js';
import { svgEl } from './image.js';
import { announce, showError } from './messages.js';
import { methodTitle } from './models.js';
import { formatTime, setCancelled, setPanel } from './panels.js';
import { formatScore } from './predictions.js';
import { state } from './state.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];
/** The chart's size in SVG units and its margins (axis labels). */
const W = 640, H = 240, LEFT = 40, RIGHT = 12, TOP = 10, BOTTOM = 34;

let shown = null;   // the document drawn, redrawn when the similarity changes

/** Cancels a running check and hides the card (a new image, model or key). */
export function clearSanity() {
  cancel('sanity');
  shown = null;
  setPanel(el.sanity, 'empty', el.sanityTime);
  el.sanity.hidden = true;
}

/** Checks the ticked methods (none: the server's default) for the class and layer of the view above. */
export async function runSanity() {
  if (!state.file || !state.model) { showError('Choose an image first.', 'Nothing to check'); return; }
  const controller = supersede('sanity');
  shown = null;
  el.sanity.hidden = false;
  el.sanityChart.replaceChildren();
  el.sanityVerdicts.replaceChildren();
  el.sanityCaption.textContent = 'Randomizing the weights layer by layer, from the scores down, and explaining again at each step…';
  setPanel(el.sanity, 'loading', el.sanityTime, 'Randomizing');
  const params = {
    model: state.model.name, layer: currentLayer(), method: pickedMethods().join(','),
    class: state.selectedClass ?? state.explanation?.entry.class,
  };
  const start = performance.now();
  try {
    const response = await api('/sanity', { method: 'POST', body: formBody(params), signal: controller.signal });
    const doc = await response.json();
    if (controller.signal.aborted) return;
    shown = doc;
    drawSanity();
    const server = serverTiming(response);
    setPanel(el.sanity, 'ready', el.sanityTime, formatTime(server ? server.ms : performance.now() - start));
    announce(`Sanity check: ${doc.methods.map((m) => `${methodTitle(m.method)} ${m.verdict}`).join('; ')}`);
  } catch (e) {
    if (isAbort(e)) return;
    setPanel(el.sanity, 'error', el.sanityTime, 'failed');
    el.sanityCaption.textContent = e.message;
    showError(e, 'Sanity check failed');
  }
}

/** Draws the shown document: axes, one path per method (broken where a similarity is null,
 *  e.g. a flat map), a dot per step with its layer, and the verdicts. */
function drawSanity() {
  const doc = shown;
  if (!doc) return;
  const measure = el.sanityMeasure.value;
  const last = Math.max(1, doc.steps.length - 1);
  const x = (step) => LEFT + step / last * (W - LEFT - RIGHT);
  const y = (v) => TOP + (1 - v) / 2 * (H - TOP - BOTTOM);
  const text = (attrs, content) => { const t = svgEl('text', attrs); t.textContent = content; return t; };
  const nodes = [];
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    nodes.push(svgEl('line', { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }),
      text({ x: LEFT - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  for (const s of doc.steps) {
    const tick = text({ x: x(s.step), y: H - BOTTOM + 14, 'text-anchor': 'middle' }, String(s.step));
    tick.append(titleOf(stepName(s)));
    nodes.push(tick);
  }
  nodes.push(text({ x: (LEFT + W - RIGHT) / 2, y: H - 4, 'text-anchor': 'middle' }, 'step: layers randomized, from the scores down'));
  doc.methods.forEach((m, i) => {
    const color = COLORS[i % COLORS.length];
    let d = '', pen = false;
    const dots = [];
    m.curve.forEach((point, step) => {
      const v = point[measure];
      if (v === null || v === undefined) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(step).toFixed(1)} ${y(v).toFixed(1)} `;
      pen = true;
      const dot = svgEl('circle', { cx: x(step), cy: y(v), r: 3, fill: color });
      dot.append(titleOf(`${m.method}, ${stepName(doc.steps[step])}: ${measure} ${v.toFixed(3)}`));
      dots.push(dot);
    });
    nodes.push(svgEl('path', { d, stroke: color, fill: 'none', 'stroke-width': 2, 'data-testid': 'sanity-curve', 'data-method': m.method }), ...dots);
  });
  el.sanityChart.setAttribute('viewBox', `0 0 ${W} ${H}`);
  el.sanityChart.setAttribute('aria-label', `${measure} of each method's map with the original's, per step of ${doc.steps.length - 1}`);
  el.sanityChart.replaceChildren(...nodes);
  el.sanityVerdicts.replaceChildren(...doc.methods.map((m, i) => verdictItem(m, COLORS[i % COLORS.length])));
  el.sanityCaption.textContent = `${doc.class.label} (#${doc.class.class}, score ${formatScore(doc.class.score)}) at ${shortLayer(doc.layer)} · ` +
    `${doc.steps.length - 1} layers randomized one more at each step · seed ${doc.seed}. ${doc.rule}.`;
}
function stepName(s) { return s.step === 0 ? 'step 0: the original network' : `step ${s.step}: ${s.layer} (${s.op})`; }
function titleOf(content) { const t = svgEl('title', {}); t.textContent = content; return t; }

function verdictItem(m, color) {
  const item = document.createElement('li');
  item.dataset.testid = 'sanity-verdict';
  item.dataset.method = m.method;
  item.classList.toggle('warn', m.verdict.startsWith('insensitive'));
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = color;
  swatch.setAttribute('aria-hidden', 'true');
  const name = document.createElement('strong');
  name.textContent = methodTitle(m.method);
  item.append(swatch, name, `: ${m.verdict} (mean ρ of the absolute maps ${m.mean_spearman_abs.toFixed(2)})`);
  return item;
}

el.sanityRun.addEventListener('click', runSanity);
el.sanityCancel.addEventListener('click', () => { setCancelled(el.sanity, el.sanityTime); cancel('sanity'); });
el.sanityMeasure.addEventListener('change', drawSanity);

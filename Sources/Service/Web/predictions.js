// The top-5 predictions (POST /predict): rows to click, or to walk with the arrow keys.
import { api, formBody, isAbort, supersede } from './api.js';
import { el } from './dom.js';
import { explainClass } from './explain.js';
import { announce, showError } from './messages.js';
import { formatTime, setPanel } from './panels.js';
import { state } from './state.js';

export function formatScore(score) {
  if (score >= 0.1) return `${(score * 100).toFixed(1)}%`;
  if (score >= 0.0001) return `${(score * 100).toFixed(2)}%`;
  return score.toExponential(1);
}

export async function runPredict() {
  if (!state.file || !state.model) return;
  const controller = supersede('predict');
  setPanel(el.predPanel, 'loading', el.predTime, 'Predicting');
  el.predHelp.hidden = true;
  el.predictions.replaceChildren(...Array.from({ length: 5 }, () => {
    const li = document.createElement('li');
    li.className = 'skeleton';
    li.setAttribute('aria-hidden', 'true');
    return li;
  }));
  const start = performance.now();
  try {
    const response = await api('/predict', { method: 'POST', body: formBody({ model: state.model.name, top: 5 }), signal: controller.signal });
    const doc = await response.json();
    if (controller.signal.aborted) return;
    state.predictions = doc;
    renderPredictions();
    setPanel(el.predPanel, 'ready', el.predTime, formatTime(performance.now() - start));
    announce(`Top prediction: ${doc.predictions[0]?.label}`);
  } catch (e) {
    if (isAbort(e)) return;
    el.predictions.replaceChildren();
    el.predHelp.hidden = false;
    el.predHelp.textContent = 'No predictions: see the message above.';
    setPanel(el.predPanel, 'error', el.predTime, 'failed');
    showError(e, 'Prediction failed');
  }
}

function predictionRow(p, rank, extra) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'prediction';
  button.dataset.testid = 'prediction';
  button.dataset.class = String(p.class);
  button.setAttribute('aria-pressed', 'false');
  button.title = `class ${p.class} · score ${p.score} · logit ${p.logit}`;
  const rankEl = document.createElement('span');
  rankEl.className = 'rank';
  rankEl.textContent = extra ? '·' : String(rank);
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = p.label;
  const score = document.createElement('span');
  score.className = 'score';
  score.textContent = formatScore(p.score);
  const bar = document.createElement('span');
  bar.className = 'bar';
  const fill = document.createElement('span');
  fill.style.width = `${Math.max(0, Math.min(1, p.score)) * 100}%`;
  bar.append(fill);
  const sub = document.createElement('span');
  sub.className = 'sub';
  sub.innerHTML = '';
  const spin = document.createElement('span');
  spin.className = 'spin';
  spin.setAttribute('aria-hidden', 'true');
  sub.append(`#${p.class} · logit ${p.logit.toFixed(2)} `);
  sub.append(spin);
  const meter = document.createElement('span');
  meter.className = 'meter';
  meter.append(bar, sub);
  button.append(rankEl, label, score, meter);
  button.setAttribute('aria-label', `${p.label}, class ${p.class}, score ${formatScore(p.score)}${extra ? ', not in the top 5' : `, rank ${rank}`}`);
  button.addEventListener('click', () => explainClass(p.class));
  li.append(button);
  return li;
}

let predictionsKey = null;   // what the rows show; rebuilt only when it changes (keeps keyboard focus)
export function renderPredictions() {
  const doc = state.predictions;
  if (!doc) return;
  const extra = state.explanation?.entry;
  const extraClass = extra && !doc.predictions.some((p) => p.class === extra.class) ? extra.class : null;
  const key = [doc, extraClass];
  if (predictionsKey && predictionsKey[0] === key[0] && predictionsKey[1] === key[1]) { markSelection(); return; }
  predictionsKey = key;
  const rows = doc.predictions.map((p, i) => predictionRow(p, i + 1, false));
  if (extraClass !== null) {
    const sep = document.createElement('li');
    sep.className = 'separator';
    sep.textContent = 'Explaining (not in the top 5):';
    rows.push(sep, predictionRow(extra, 0, true));
  }
  el.predictions.replaceChildren(...rows);
  el.predHelp.hidden = false;
  el.predHelp.textContent = 'Click a class (or use ↑/↓) to explain it.';
  markSelection();
}

export function markSelection() {
  const computing = el.overlayPanel.dataset.state === 'loading';
  for (const button of el.predictions.querySelectorAll('.prediction')) {
    const on = state.selectedClass !== null && Number(button.dataset.class) === state.selectedClass;
    button.setAttribute('aria-pressed', String(on));
    button.toggleAttribute('data-computing', on && computing);
  }
}

el.predictions.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  const buttons = [...el.predictions.querySelectorAll('.prediction')];
  const i = buttons.indexOf(document.activeElement);
  if (i < 0) return;
  event.preventDefault();
  const next = buttons[(i + (event.key === 'ArrowDown' ? 1 : buttons.length - 1)) % buttons.length];
  next.focus();
  next.click();
});

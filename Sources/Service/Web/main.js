// The demo page's entry point: wires the controls, drop and paste, and starts by listing
// the models.
import { api, formBody, isAbort, supersede } from './api.js';
import { pinCurrent, updateCurl } from './compare.js';
import { COLORMAP_TABLES } from './colormaps.js';
import { el } from './dom.js';
import { currentAlpha, currentLayer, drawLegend, explainClass, renderMarks, runOverlay, scheduleRender } from './explain.js';
import { placeGuided, runGuided } from './guided.js';
import { setImage } from './image.js';
import { updateKeyButton } from './keydialog.js';
import { showError } from './messages.js';
import { loadModels, selectModel, updateLayerHelp, updateMethodHelp, usesLayer } from './models.js';
import { loadPrefs, savePrefs, state } from './state.js';

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
const rerunExplanations = debounce(() => { runOverlay(); if (usesLayer(el.guidedSelect.value)) runGuided(); }, 200);
const rerunOverlay = debounce(runOverlay, 200);

el.fileInput.addEventListener('change', () => {
  const file = el.fileInput.files[0];
  el.fileInput.value = '';   // choosing the same file again still fires change
  setImage(file);
});
el.model.addEventListener('change', () => selectModel(el.model.value));
el.layer.addEventListener('change', () => { updateLayerHelp(); updateCurl(); rerunExplanations(); });
el.method.addEventListener('change', () => { savePrefs({ method: el.method.value }); updateMethodHelp(); updateCurl(); rerunOverlay(); });
el.guidedSelect.addEventListener('change', () => { savePrefs({ guided: el.guidedSelect.value }); runGuided(); });
el.opacity.addEventListener('input', () => {
  el.opacityValue.textContent = currentAlpha().toFixed(2);
  savePrefs({ alpha: el.opacity.value });
  updateCurl();
  scheduleRender();
});
el.colormap.addEventListener('change', () => { savePrefs({ colormap: el.colormap.value }); drawLegend(); updateCurl(); scheduleRender(); });
el.marksToggle.addEventListener('change', () => { savePrefs({ marks: el.marksToggle.checked }); renderMarks(); });
el.overlayRetry.addEventListener('click', runOverlay);
el.guidedRetry.addEventListener('click', runGuided);
el.pin.addEventListener('click', pinCurrent);
el.compareClear.addEventListener('click', () => { el.compareGrid.replaceChildren(); el.compare.hidden = true; });
el.otherForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = el.otherInput.value.trim();
  if (!text || !state.file) return;
  const index = /^\d+$/.test(text) ? Number(text) : null;
  if (index === null) {
    // A label: the server resolves it; the answer says which class it was.
    runLabel(text);
  } else {
    explainClass(index);
  }
});
/** Explains a class named by its label: the server resolves the label. */
async function runLabel(label) {
  const controller = supersede('label');
  try {
    // Resolve locally when the label is known, so both panels ask for the same index.
    const labels = state.model.labels;
    let index = labels.indexOf(label);
    if (index < 0) index = labels.findIndex((l) => l.toLowerCase() === label.toLowerCase());
    if (index >= 0) { explainClass(index); return; }
    // Unknown here: let the server say why (it suggests close labels).
    const response = await api('/gradcam', { method: 'POST', signal: controller.signal,
      body: formBody({ model: state.model.name, class: label, format: 'json', layer: currentLayer(), method: el.method.value }) });
    const doc = await response.json();
    explainClass(doc.explanations[0].class);
  } catch (e) {
    if (isAbort(e)) return;
    showError(e, `Cannot explain '${label}'`);
  }
}

// Drop an image anywhere; paste one.
let dragDepth = 0;
const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes('Files');
window.addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth++;
  document.body.setAttribute('data-dragging', '');
});
window.addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) document.body.removeAttribute('data-dragging');
});
window.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  document.body.removeAttribute('data-dragging');
  const file = event.dataTransfer?.files?.[0];
  if (file) setImage(file);
});
window.addEventListener('paste', (event) => {
  const file = [...(event.clipboardData?.files || [])][0];
  if (file && !(event.target instanceof HTMLInputElement && event.target.type === 'text')) {
    event.preventDefault();
    setImage(file);
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !el.keyDialog.open) el.messages.lastElementChild?.remove();
});
window.addEventListener('resize', () => { if (state.guided) placeGuided(); });

// ---------------------------------------------------------------- start

(function start() {
  const prefs = loadPrefs();
  if (prefs.colormap && Object.hasOwn(COLORMAP_TABLES, prefs.colormap)) el.colormap.value = prefs.colormap;
  if (prefs.alpha !== undefined && !Number.isNaN(Number(prefs.alpha))) el.opacity.value = prefs.alpha;
  el.opacityValue.textContent = currentAlpha().toFixed(2);
  if (prefs.marks === false) el.marksToggle.checked = false;
  updateKeyButton();
  drawLegend();
  loadModels();
})();

// For debugging from the console.
window.gradcamDemo = { state, version: 1 };

// The model, layer and method choices, from GET /models and GET /models/{name}.
import { api, isAbort, supersede } from './api.js';
import { el } from './dom.js';
import { refreshAll } from './explain.js';
import { fillMethodPicks } from './grid.js';
import { showError } from './messages.js';
import { setServerStatus } from './panels.js';
import { loadPrefs, savePrefs, state } from './state.js';

export async function loadModels() {
  const controller = supersede('models');
  setServerStatus('loading', 'Loading models…');
  try {
    const response = await api('/models', { signal: controller.signal });
    const list = await response.json();
    state.models = list.models || [];
    const prefs = loadPrefs();
    el.model.replaceChildren();
    for (const m of state.models) {
      el.model.append(new Option(m.name, m.name));
    }
    for (const u of list.unavailable || []) {
      const option = new Option(`${u.name} (unavailable)`, u.name);
      option.disabled = true;
      option.title = u.reason;
      el.model.append(option);
    }
    const unavailable = (list.unavailable || []).map((u) => `${u.name}: ${u.reason}`).join('; ');
    el.modelHelp.textContent = unavailable ? `Not loaded: ${unavailable}` : '';
    if (!state.models.length) {
      setServerStatus('error', 'No model loaded');
      showError(unavailable || 'The server has no model loaded.', 'No model to explain with');
      return;
    }
    setServerStatus('ready', `${state.models.length} model${state.models.length > 1 ? 's' : ''} ready`);
    el.model.disabled = false;
    const name = state.models.some((m) => m.name === prefs.model) ? prefs.model : state.models[0].name;
    el.model.value = name;
    await selectModel(name);
  } catch (e) {
    if (isAbort(e)) return;
    if (e.status === 503) {
      const wait = e.retryAfter || 2;
      setServerStatus('loading', `Server starting: retrying in ${wait} s`);
      setTimeout(loadModels, wait * 1000);
      return;
    }
    setServerStatus('error', 'Server unavailable');
    showError(e, 'Could not list the models');
  }
}

export async function selectModel(name) {
  const controller = supersede('model');
  const previousModel = state.model?.name;
  el.layer.disabled = el.method.disabled = true;
  try {
    const response = await api(`/models/${encodeURIComponent(name)}`, { signal: controller.signal });
    const detail = await response.json();
    state.model = detail;
    savePrefs({ model: name });
    fillLayers(detail, previousModel === detail.name);
    fillMethods(detail);
    fillMethodPicks(detail);
    el.labels.replaceChildren(...detail.labels.map((label, i) => { const o = new Option(`${i}`, label); o.label = `${i}`; return o; }));
    el.otherButton.disabled = !state.file;
    const p = detail.preprocessing;
    el.modelHelp.textContent = [
      `${detail.classes} classes (${detail.scores})`,
      p.resize === 'shorter-side-then-center-crop' ? `center crop ${p.size[1]}×${p.size[0]}` : `resized to ${p.size[1]}×${p.size[0]}`,
      detail.source ? detail.source.split(':')[0] : null,
    ].filter(Boolean).join(' · ');
    if (state.file) refreshAll();
  } catch (e) {
    if (isAbort(e)) return;
    showError(e, `Could not load model '${name}'`);
  }
}

function shapeText(shape) {
  const s = shape.length === 4 ? shape.slice(1) : shape;
  return s.length === 3 ? `${s[0]}×${s[1]}×${s[2]}` : s.join('×');
}
function fillLayers(detail, keepLayer) {
  const previous = el.layer.value;
  el.layer.replaceChildren();
  const byName = new Map();
  for (const layer of detail.layers) {
    if (layer.op === 'input') continue;       // the input is no feature map
    const aliases = layer.aliases.length ? `${layer.aliases.join(', ')} = ` : '';
    const isDefault = layer.name === detail.default_layer;
    const option = new Option(`${aliases}${layer.name} · ${layer.op} ${shapeText(layer.shape)}${isDefault ? ' (default)' : ''}`, layer.name);
    option.title = `node ${layer.node}`;
    byName.set(layer.name, layer);
    el.layer.append(option);
  }
  el.layer.value = keepLayer && byName.has(previous) ? previous : detail.default_layer;
  el.layer.disabled = false;
  updateLayerHelp();
}
export function updateLayerHelp() {
  const layer = state.model?.layers.find((l) => l.name === el.layer.value);
  if (!layer) { el.layerHelp.textContent = ''; return; }
  const s = layer.shape.length === 4 ? layer.shape.slice(1) : layer.shape;
  const where = layer.aliases.length ? `alias ${layer.aliases.join(', ')}` : `node ${layer.node}`;
  el.layerHelp.textContent = `${s.length === 3 ? `map ${s[2]}×${s[1]}, ${s[0]} channels` : shapeText(layer.shape)} · ${where}${layer.name === state.model.default_layer ? ' · default' : ''}`;
}
/** Fills the method choices from the model's `method_details` (the server's registry):
 * class-map methods in the main select, input attributions in the attribution panel's. */
function fillMethods(detail) {
  state.methodDetails = Object.fromEntries(detail.method_details.map((d) => [d.name, d]));
  const prefs = loadPrefs();
  fillSelect(el.method, detail.method_details.filter((d) => !d.input_attribution), el.method.value || prefs.method || 'gradcam');
  fillSelect(el.guidedSelect, detail.method_details.filter((d) => d.input_attribution), el.guidedSelect.value || prefs.guided || 'guided-gradcam');
  updateMethodHelp();
}
function fillSelect(select, methods, previous) {
  select.replaceChildren(...methods.map((d) => new Option(d.name, d.name)));
  if (methods.some((d) => d.name === previous)) select.value = previous;
  select.disabled = methods.length === 0;
}
export function updateMethodHelp() {
  const m = el.method.value;
  el.methodHelp.textContent = state.methodDetails?.[m]?.summary || '';
  el.overlayTitle.textContent = methodTitle(m);
}
/** A method's display name: its registry summary up to the colon ("Grad-CAM: ..."). */
export function methodTitle(m) {
  const summary = state.methodDetails?.[m]?.summary || '';
  return summary.includes(':') ? summary.slice(0, summary.indexOf(':')) : m;
}
/** Whether a method's map depends on the layer (the registry's `uses_layer`). */
export function usesLayer(m) {
  return state.methodDetails?.[m]?.uses_layer ?? true;
}

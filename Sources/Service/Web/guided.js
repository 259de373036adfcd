// The attribution panel: an input-attribution method (guided Grad-CAM, guided backprop, ...), as the server's PNG.
import { ApiError, api, formBody, isAbort, supersede } from './api.js';
import { el } from './dom.js';
import { currentLayer, shortLayer } from './explain.js';
import { methodTitle, usesLayer } from './models.js';
import { showError } from './messages.js';
import { formatTime, setPanel } from './panels.js';
import { state } from './state.js';

export function clearGuided() {
  if (state.guided?.url) URL.revokeObjectURL(state.guided.url);
  state.guided = null;
  el.guidedImage.hidden = true;
  el.guidedImage.removeAttribute('src');
  el.guidedBackdrop.hidden = true;
  el.guidedPlaceholder.hidden = false;
  el.guidedCaption.textContent = '—';
}

export async function runGuided() {
  if (!state.file || !state.model) return;
  const controller = supersede('guided');
  const method = el.guidedSelect.value;
  const params = { model: state.model.name, method, format: 'png' };
  if (usesLayer(method)) params.layer = currentLayer();
  if (state.selectedClass !== null) params.class = state.selectedClass;
  el.guidedTitle.textContent = methodTitle(method);
  setPanel(el.guidedPanel, 'loading', el.guidedTime, 'Computing');
  const start = performance.now();
  try {
    const response = await api('/gradcam', { method: 'POST', body: formBody(params), signal: controller.signal });
    const blob = await response.blob();
    if (controller.signal.aborted) return;
    const url = URL.createObjectURL(blob);
    const probe = new Image();
    probe.src = url;
    try { await probe.decode(); } catch { URL.revokeObjectURL(url); throw new ApiError(0, 'bad_image', 'The server answered with an image the browser cannot show.'); }
    if (controller.signal.aborted) { URL.revokeObjectURL(url); return; }
    const ms = performance.now() - start;
    const header = (name) => { const v = response.headers.get(name); try { return v && decodeURIComponent(v); } catch { return v; } };
    if (state.guided?.url) URL.revokeObjectURL(state.guided.url);
    state.guided = { url, classIndex: Number(header('X-Gradcam-Class')), label: header('X-Gradcam-Label'), method, layer: header('X-Gradcam-Layer'), ms };
    placeGuided();
    el.guidedImage.src = url;
    el.guidedImage.hidden = false;
    el.guidedBackdrop.hidden = false;
    el.guidedPlaceholder.hidden = true;
    el.guidedImage.alt = `${el.guidedTitle.textContent} of ${state.guided.label}`;
    el.guidedImage.dataset.class = String(state.guided.classIndex);
    setPanel(el.guidedPanel, 'ready', el.guidedTime, formatTime(ms));
    el.guidedCaption.replaceChildren();
    const strong = document.createElement('strong');
    strong.textContent = state.guided.label;
    el.guidedCaption.append(strong, ` (#${state.guided.classIndex}) · ${method}${usesLayer(method) ? ` at ${shortLayer(state.guided.layer)}` : ''} · ${probe.naturalWidth}×${probe.naturalHeight}`);
  } catch (e) {
    if (isAbort(e)) return;
    setPanel(el.guidedPanel, 'error', el.guidedTime, 'failed');
    el.guidedError.textContent = e.message;
    showError(e, `${el.guidedTitle.textContent} failed`);
  }
}
/** The server draws the guided image at the upload's size (grey outside the region the model saw): fill the stage. */
export function placeGuided() {
  Object.assign(el.guidedImage.style, { left: '0', top: '0', width: '100%', height: '100%' });
}

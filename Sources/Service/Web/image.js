// The chosen image: checked, decoded at work size, shown with the region the model sees.
import { cancel } from './api.js';
import { el } from './dom.js';
import { refreshAll } from './explain.js';
import { clearGuided } from './guided.js';
import { showError } from './messages.js';
import { setAspect } from './panels.js';
import { state } from './state.js';

const MAX_WORK_SIDE = 2048;   // overlays of larger images are computed at this size
const THUMBNAIL_SIDE = 480;   // the grid's cells are drawn at most this size

/** 'PNG' or 'JPEG' from the file's first bytes, or null. */
function sniff(bytes) {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4E && bytes[3] === 0x47) return 'PNG';
  if (bytes.length >= 3 && bytes[0] === 0xFF && bytes[1] === 0xD8 && bytes[2] === 0xFF) return 'JPEG';
  return null;
}

export async function setImage(file) {
  if (!file) return;
  const name = file.name || 'pasted image';
  let format = null;
  try { format = sniff(new Uint8Array(await file.slice(0, 8).arrayBuffer())); } catch { /* unreadable */ }
  if (!format) {
    showError(`“${name}” is not a PNG or JPEG image${file.type ? ` (it is ${file.type})` : ''}. Choose a .png or .jpg file.`, 'Cannot use this file');
    return;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    showError(`“${name}” looks like a ${format} file but the browser cannot decode it; it may be truncated or damaged.`, 'Cannot read the image');
    return;
  }
  cancel('predict', 'overlay', 'guided', 'label');
  const width = bitmap.width, height = bitmap.height;
  state.original = atWorkSize(bitmap, MAX_WORK_SIDE);
  state.thumbnail = atWorkSize(bitmap, THUMBNAIL_SIDE);
  bitmap.close();
  state.file = file;
  state.predictions = null;
  state.explanation = null;
  state.selectedClass = null;
  clearGuided();

  if (state.imageURL) URL.revokeObjectURL(state.imageURL);
  state.imageURL = URL.createObjectURL(file);
  el.originalImage.src = state.imageURL;
  el.originalImage.hidden = false;
  el.originalPlaceholder.hidden = true;
  for (const stage of [el.originalStage, el.overlayStage, el.guidedStage]) setAspect(stage, width, height);
  el.originalPanel.dataset.state = 'ready';
  const size = file.size >= 1048576 ? `${(file.size / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(file.size / 1024))} KB`;
  el.fileMeta.innerHTML = '';
  const strong = document.createElement('strong');
  strong.textContent = name;
  el.fileMeta.append(strong, ` · ${format} · ${width}×${height} · ${size}`);
  el.canvas.hidden = true;
  el.marks.setAttribute('hidden', '');
  el.overlayPlaceholder.hidden = false;
  el.overlayPlaceholder.textContent = 'Computing…';
  el.otherButton.disabled = !state.model;
  drawOriginalRegion();
  if (state.model) refreshAll();
}

/** The image scaled to fit `maxSide`: {width, height (the image's), work: {width, height, scale},
 *  pixels: Uint8ClampedArray (RGBA at the work size)}. */
function atWorkSize(bitmap, maxSide) {
  const { width, height } = bitmap;
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const work = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
  const canvas = document.createElement('canvas');
  canvas.width = work.width; canvas.height = work.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, work.width, work.height);
  return { width, height, work, pixels: ctx.getImageData(0, 0, work.width, work.height).data };
}

/** The part of the image the model sees (a centre crop, or all of it), in image pixels:
 *  Preprocessing.visibleRegion of the server. */
export function visibleRegion(width, height) {
  const p = state.model?.preprocessing;
  if (!p || p.resize !== 'shorter-side-then-center-crop') return { x: 0, y: 0, width, height };
  const [h, w] = p.size;
  const shorter = p.shorter_side || Math.round(Math.min(w, h) * 8 / 7);
  const factor = Math.min(width, height) / shorter;
  const rw = Math.min(width, Math.round(w * factor)), rh = Math.min(height, Math.round(h * factor));
  return { x: Math.floor((width - rw) / 2), y: Math.floor((height - rh) / 2), width: rw, height: rh };
}

const SVG = 'http://www.w3.org/2000/svg';
export function svgEl(name, attrs) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
export function drawOriginalRegion() {
  const o = state.original;
  if (!o) return;
  const r = visibleRegion(o.width, o.height);
  const full = r.x === 0 && r.y === 0 && r.width === o.width && r.height === o.height;
  el.originalMarks.setAttribute('viewBox', `0 0 ${o.width} ${o.height}`);
  el.originalMarks.setAttribute('preserveAspectRatio', 'none');
  el.originalMarks.replaceChildren();
  if (!full) {
    const attrs = { x: r.x + 0.5, y: r.y + 0.5, width: r.width - 1, height: r.height - 1, fill: 'none', 'vector-effect': 'non-scaling-stroke' };
    el.originalMarks.append(svgEl('rect', { ...attrs, stroke: 'rgba(0,0,0,.6)', 'stroke-width': 3 }),
      svgEl('rect', { ...attrs, stroke: '#fff', 'stroke-width': 1.5, 'stroke-dasharray': '6 4' }));
  }
  el.originalMarks.toggleAttribute('hidden', full);   // an SVG element has no `hidden` property
  const p = state.model?.preprocessing;
  el.originalCaption.textContent = !p ? `${o.width}×${o.height}`
    : full ? `${o.width}×${o.height}; the model sees all of it, resized to ${p.size[1]}×${p.size[0]}.`
    : `${o.width}×${o.height}; the model sees the dashed ${r.width}×${r.height} centre crop, resized to ${p.size[1]}×${p.size[0]}.`;
}

// Pinned results for comparison, and the same request as a curl command.
import { el } from './dom.js';
import { currentAlpha, currentLayer, shortLayer } from './explain.js';
import { methodTitle } from './models.js';
import { formatTime } from './panels.js';
import { state, storedKey } from './state.js';

export function pinCurrent() {
  const ex = state.explanation;
  if (!ex) return;
  const thumb = document.createElement('canvas');
  const scale = Math.min(1, 320 / Math.max(el.canvas.width, el.canvas.height));
  thumb.width = Math.round(el.canvas.width * scale);
  thumb.height = Math.round(el.canvas.height * scale);
  const ctx = thumb.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(el.canvas, 0, 0, thumb.width, thumb.height);
  const figure = document.createElement('figure');
  figure.className = 'pin';
  figure.dataset.testid = 'pin';
  const img = document.createElement('img');
  img.src = thumb.toDataURL('image/png');
  img.alt = `${ex.method} of ${ex.entry.label} at ${ex.layer}`;
  const caption = document.createElement('figcaption');
  const strong = document.createElement('strong');
  strong.textContent = `${ex.entry.label} (#${ex.entry.class})`;
  caption.append(strong, `${methodTitle(ex.method)} · ${shortLayer(ex.layer)} · ${el.colormap.value} ${currentAlpha().toFixed(2)} · ${formatTime(ex.ms)}`);
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.textContent = '×';
  remove.setAttribute('aria-label', `Remove ${img.alt}`);
  remove.addEventListener('click', () => { figure.remove(); el.compare.hidden = !el.compareGrid.children.length; });
  figure.append(img, caption, remove);
  el.compareGrid.append(figure);
  el.compare.hidden = false;
}

function shellQuote(text) { return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`; }
export function updateCurl() {
  if (!state.file || !state.model) { el.curl.textContent = 'Choose an image first.'; return; }
  const parts = ['curl', '-sS', '-F', shellQuote(`image=@${state.file.name || 'image.png'}`), '-F', `model=${shellQuote(state.model.name)}`];
  const cls = state.selectedClass ?? state.explanation?.entry.class;
  if (cls !== null && cls !== undefined) parts.push('-F', `class=${cls}`);
  parts.push('-F', shellQuote(`layer=${currentLayer()}`), '-F', `method=${shellQuote(el.method.value)}`);
  if (el.colormap.value !== 'jet') parts.push('-F', `colormap=${el.colormap.value}`);
  if (currentAlpha() !== 0.5) parts.push('-F', `alpha=${currentAlpha()}`);
  if (storedKey()) parts.push('-H', '"Authorization: Bearer $GRADCAM_API_KEY"');
  parts.push(shellQuote(`${location.origin}/gradcam`), '-o', 'overlay.png');
  el.curl.textContent = `${parts.join(' ')}\n\n# the numbers instead of the picture: add -F format=json`;
}
el.copyCurl.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(el.curl.textContent);
    el.copyCurl.textContent = 'Copied';
  } catch {
    getSelection().selectAllChildren(el.curl);
    el.copyCurl.textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => { el.copyCurl.textContent = 'Copy'; }, 1500);
});

// Panel states (empty, loading with a running clock, ready, error), the server status
// on the top bar, and the stages' aspect ratio.
import { el } from './dom.js';

const timers = new Map();
export function formatTime(ms) { return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`; }
/** Sets a panel's state: 'empty' | 'queued' | 'loading' | 'ready' | 'error' | 'cancelled'; while
 *  loading, `timeEl` counts up. */
export function setPanel(panel, stateName, timeEl, text) {
  panel.dataset.state = stateName;
  panel.setAttribute('aria-busy', String(stateName === 'loading'));
  clearInterval(timers.get(panel));
  timers.delete(panel);
  if (!timeEl) return;
  if (stateName === 'loading') {
    const start = performance.now();
    timeEl.title = `${text || 'Computing'}…`;
    const tick = () => { timeEl.textContent = `${((performance.now() - start) / 1000).toFixed(1)} s`; };
    tick();
    timers.set(panel, setInterval(tick, 100));
  } else {
    timeEl.textContent = text || '';
    timeEl.title = stateName === 'ready' ? 'Time the request took, as seen by this page' : '';
  }
}
/** Marks a panel's request cancelled, saying how long it had run ('cancelled at 2.3 s'). */
export function setCancelled(panel, timeEl) {
  const ran = panel.dataset.state === 'loading' ? ` at ${timeEl.textContent}` : '';
  setPanel(panel, 'cancelled', timeEl, `cancelled${ran}`);
}
export function setServerStatus(stateName, text) {
  el.status.dataset.state = stateName;
  el.status.querySelector('.text').textContent = text;
}
export function setAspect(stage, width, height) {
  stage.style.setProperty('--aspect', `${width} / ${height}`);
  stage.style.setProperty('--ratio', String(width / height));
}

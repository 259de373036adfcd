// The API key dialog: opened by the top bar's button, or by a request the server refused
// with 401; the key is kept in localStorage and sent as a Bearer token.
import { el } from './dom.js';
import { refreshAll } from './explain.js';
import { state, storeKey, storedKey } from './state.js';

/** Shows on the top bar's button whether a key is stored. */
export function updateKeyButton() {
  const set = !!storedKey();
  el.keyButton.innerHTML = set ? 'API key <span class="key-set" aria-label="(set)">●</span>' : 'API key';
  el.keyButton.title = set ? 'An API key is stored in this browser' : 'Set the API key sent with requests';
}

let keyPrompt = null;   // {promise, resolve}: one dialog for every request that got a 401
/** Asks for a key after a 401 (`reason`: the server's message); resolves true when one was saved. */
export function askForKey(reason, hadKey) {
  if (keyPrompt) return keyPrompt.promise;
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  keyPrompt = { promise, resolve };
  el.keyReason.textContent = hadKey ? `The server refused the stored key: ${reason}` : `This server needs an API key: ${reason}`;
  el.keyInput.value = '';
  openKeyDialog();
  return promise;
}
function openKeyDialog() {
  if (!keyPrompt) el.keyReason.textContent = '';
  el.keyForget.disabled = !storedKey();
  el.keyDialog.returnValue = '';
  if (!el.keyDialog.open) el.keyDialog.showModal();
  el.keyInput.focus();
}
function finishKeyPrompt(entered) {
  const prompt = keyPrompt;
  keyPrompt = null;
  prompt?.resolve(entered);
}
el.keyButton.addEventListener('click', () => { el.keyInput.value = storedKey(); openKeyDialog(); });
el.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = el.keyInput.value.trim();
  if (!key) { el.keyInput.focus(); return; }
  storeKey(key);
  updateKeyButton();
  el.keyDialog.close('saved');
  const waiting = !!keyPrompt;
  finishKeyPrompt(true);
  if (!waiting && state.file) refreshAll();
});
el.keyCancel.addEventListener('click', () => el.keyDialog.close('cancel'));
// Cancel, Escape: the requests waiting for a key fail with the 401 (Save resolves them itself).
el.keyDialog.addEventListener('close', () => { if (el.keyDialog.returnValue !== 'saved') finishKeyPrompt(false); });
el.keyForget.addEventListener('click', () => { storeKey(''); updateKeyButton(); el.keyInput.value = ''; el.keyForget.disabled = true; });

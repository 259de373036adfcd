// Requests to the server: the stored key sent along, errors as ApiError with the server's
// code and message, a 401 answered by asking for a key, one live request per kind.
import { askForKey } from './keydialog.js';
import { state, storedKey } from './state.js';

/** A failed request: HTTP status (0: no answer), the server's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}
export const isAbort = (e) => e && e.name === 'AbortError';

/** One AbortController per kind of request: a new request of a kind cancels the previous one. */
const controllers = new Map();
export function supersede(kind) {
  controllers.get(kind)?.abort();
  const controller = new AbortController();
  controllers.set(kind, controller);
  return controller;
}
export function cancel(...kinds) {
  for (const kind of kinds.length ? kinds : [...controllers.keys()]) controllers.get(kind)?.abort();
}
let inFlight = 0;
function busy(delta) {
  inFlight += delta;
  document.body.toggleAttribute('data-busy', inFlight > 0);
}

/** fetch with the stored key; 4xx/5xx become ApiError with the server's code and message,
 *  a 401 asks for a key and retries. `body` is a function so a retry can rebuild it. */
export async function api(path, { method = 'GET', body, signal, accept } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = {};
    const key = storedKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    if (accept) headers.Accept = accept;
    let response;
    busy(+1);
    try {
      response = await fetch(path, { method, headers, body: body ? body() : undefined, signal });
    } catch (e) {
      if (isAbort(e)) throw e;
      throw new ApiError(0, 'network_error', `The server could not be reached (${e.message || e}). Is it running?`);
    } finally {
      busy(-1);
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if (response.status === 401 && attempt < 3) {
      const entered = await askForKey(error.message, !!key);
      if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
      if (entered) continue;
    }
    throw error;
  }
}
async function errorOf(response) {
  let code = `http_${response.status}`, message = `${response.status} ${response.statusText || 'error'}`;
  try {
    const text = await response.text();
    try {
      const json = JSON.parse(text);
      if (json && json.error) { code = json.error.code || code; message = json.error.message || message; }
    } catch { if (text.trim()) message = text.trim().slice(0, 500); }
  } catch { /* body unreadable */ }
  const retryAfter = Number(response.headers.get('Retry-After')) || undefined;
  return new ApiError(response.status, code, message, retryAfter);
}
/** The server's compute time from a response's `Server-Timing` header (`name;dur=ms, …`):
 *  {ms: the sum of the stages, stages: 'name 1.2 ms, …'}, or null when the header is absent. */
export function serverTiming(response) {
  const header = response.headers.get('Server-Timing');
  if (!header) return null;
  const stages = header.split(',').map((part) => part.trim().match(/^([\w-]+);dur=([\d.]+)$/)).filter(Boolean);
  if (!stages.length) return null;
  return {
    ms: stages.reduce((sum, m) => sum + Number(m[2]), 0),
    stages: stages.map((m) => `${m[1]} ${m[2]} ms`).join(', '),
  };
}
export function formBody(fields) {
  return () => {
    const form = new FormData();
    form.append('image', state.file, state.file.name || 'image');
    for (const [name, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined && value !== '') form.append(name, String(value));
    }
    return form;
  };
}

// What the page holds: the models, the image, the current explanation; and what the
// browser keeps across visits (preferences and the API key, in localStorage).

export const state = {
  models: [],          // GET /models summaries
  model: null,         // GET /models/{name} of the chosen model
  file: null,          // the chosen File
  original: null,      // {width, height, work: {width, height, scale}, pixels: Uint8ClampedArray (RGBA at work size)}
  thumbnail: null,     // the same at the grid's cell size
  imageURL: null,
  predictions: null,   // POST /predict document
  selectedClass: null, // the class being explained (null: the top-1, until the server says which)
  explanation: null,   // the rendered overlay: see prepareExplanation
  guided: null,        // {url, classIndex, label, method}
  methodDetails: null, // the model's method_details by name (the server's method registry)
};

const KEY_STORAGE = 'gradcam.apiKey';
const PREFS_STORAGE = 'gradcam.demo';

/** The page's choices (model, method, colormap, opacity, ...), kept across visits. */
export function loadPrefs() {
  try { return JSON.parse(localStorage.getItem(PREFS_STORAGE) || '{}') || {}; } catch { return {}; }
}
export function savePrefs(patch) {
  try { localStorage.setItem(PREFS_STORAGE, JSON.stringify({ ...loadPrefs(), ...patch })); } catch { /* storage unavailable */ }
}
/** The API key kept in this browser, or ''. */
export function storedKey() {
  try { return localStorage.getItem(KEY_STORAGE) || ''; } catch { return ''; }
}
/** Keeps `key` in this browser, or forgets the stored key when `key` is empty. */
export function storeKey(key) {
  try { key ? localStorage.setItem(KEY_STORAGE, key) : localStorage.removeItem(KEY_STORAGE); } catch { /* storage unavailable */ }
}

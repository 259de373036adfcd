// Error messages (dismissible, deduplicated) and announcements for screen readers.
import { el } from './dom.js';

let messageCount = 0;
/** Shows a dismissible error: `error` is an ApiError, an Error or a string; `context` says what failed.
 *  The same failure reported by several panels is shown once, naming them all. */
export function showError(error, context) {
  const messageText = typeof error === 'string' ? error : (error && error.message) || String(error);
  const key = `${error?.status || ''}|${error?.code || ''}|${messageText}`;
  const same = [...el.messages.children].find((m) => m.dataset.key === key);
  if (same) {
    const title = same.querySelector('.title .what');
    if (context && !title.textContent.includes(context)) title.textContent = `${title.textContent}; ${context}`;
    return same;
  }
  const id = `message-${++messageCount}`;
  const box = document.createElement('div');
  box.className = 'message';
  box.id = id;
  box.setAttribute('role', 'alert');
  box.dataset.testid = 'error-message';
  box.dataset.key = key;
  if (error && error.code) box.dataset.code = error.code;
  const icon = document.createElement('span');
  icon.className = 'icon'; icon.textContent = '!'; icon.setAttribute('aria-hidden', 'true');
  const body = document.createElement('div');
  body.className = 'body';
  const title = document.createElement('div');
  title.className = 'title';
  const what = document.createElement('span');
  what.className = 'what';
  what.textContent = context || 'Something went wrong';
  title.append(what);
  const text = document.createElement('div');
  text.dataset.testid = 'error-text';
  text.textContent = messageText;
  if (error && error.code) {
    const code = document.createElement('code');
    code.textContent = error.status ? ` ${error.status} ${error.code}` : ` ${error.code}`;
    title.append(code);
  }
  body.append(title, text);
  const close = document.createElement('button');
  close.type = 'button'; close.className = 'close'; close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss this message');
  close.dataset.testid = 'error-dismiss';
  close.addEventListener('click', () => box.remove());
  box.append(icon, body, close);
  el.messages.append(box);
  while (el.messages.children.length > 4) el.messages.firstElementChild.remove();
  return box;
}
function clearMessages() { el.messages.replaceChildren(); }
export function announce(text) { el.announcer.textContent = text; }

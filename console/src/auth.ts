// The console token: read once from the URL fragment (#token=…, as
// `assumed serve` prints the console's URL), then kept in sessionStorage
// for the tab's life and removed from the address bar.

const storageKey = 'assumed.console.token';

/** memory holds the token where sessionStorage refuses it. */
let memory = '';

/** takeTokenFromFragment moves a #token=… of the URL into storage. */
export function takeTokenFromFragment(): void {
  const frag = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = frag.get('token');
  if (token === null) return;
  setToken(token);
  history.replaceState(null, '', location.pathname + location.search);
}

/** getToken returns the stored token, or "". */
export function getToken(): string {
  try {
    return sessionStorage.getItem(storageKey) ?? memory;
  } catch {
    return memory;
  }
}

/** setToken stores the token ("" forgets it). */
export function setToken(token: string): void {
  memory = token;
  try {
    if (token) sessionStorage.setItem(storageKey, token);
    else sessionStorage.removeItem(storageKey);
  } catch {
    // Storage refused (private mode): the token lives as long as the page.
  }
}

// Calls to assumed's console API. Every call carries the console token
// as a bearer token; the URLs are relative to the page, which is served
// under /_assumed/console/.
import type { Finding, Graph, Query, Trace, WhoAmI } from './model';
import { getToken } from './auth';

/** ApiError is an answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** call sends one request and decodes the JSON answer. */
async function call<T>(path: string, init: RequestInit = {}, token = getToken()): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  let res: Response;
  try {
    res = await fetch(new URL(path, document.baseURI), { ...init, headers, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'NetworkError', `cannot reach the server: ${(e as Error).message}`);
  }
  if (res.ok) {
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, 'BadAnswer', `${path}: the answer is not JSON`);
    }
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: the text is the message.
  }
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiError(res.status, err?.code ?? `HTTP${res.status}`, err?.message ?? (text.trim() || res.statusText || `HTTP ${res.status}`));
}

/** whoami says what the token lets the reader see. */
export const whoami = (token?: string) => call<WhoAmI>('whoami', {}, token);

/** signIn trades an account's access key for a console token. */
export const signIn = (accessKeyId: string, secretAccessKey: string) =>
  call<{ token: string; account?: string }>('session', { method: 'POST', body: JSON.stringify({ accessKeyId, secretAccessKey }) }, '');

/** graph fetches the access graph. */
export const graph = () => call<Graph>('../graph');

/** findings fetches the findings. */
export const findings = async () => (await call<{ findings: Finding[] | null }>('../findings')).findings ?? [];

/** explain asks for the trace of a query. */
export const explain = (q: Query) => call<Trace>('../explain', { method: 'POST', body: JSON.stringify(q) });

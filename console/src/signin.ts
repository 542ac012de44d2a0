// The sign-in form, for a page opened without a token: paste the console
// token `assumed serve` printed, or trade an account's access key for a
// token limited to that account's view.
import { h, replaceChildren } from './dom';
import { signIn } from './api';
import { setToken } from './auth';

/** showSignIn shows the form in el, with an optional message; done runs once signed in. */
export function showSignIn(el: HTMLElement, message: string, done: () => void): void {
  const error = h('p', { className: 'error', 'data-testid': 'signin-error', hidden: !message }, message);
  const fail = (msg: string) => {
    error.textContent = msg;
    error.hidden = false;
  };
  const token = h('input', { type: 'password', 'data-testid': 'signin-token', autocomplete: 'off', placeholder: 'the token from the console URL' });
  const keyId = h('input', { type: 'text', 'data-testid': 'signin-access-key-id', autocomplete: 'off', spellcheck: 'false', placeholder: 'AKIA…' });
  const secret = h('input', { type: 'password', 'data-testid': 'signin-secret-access-key', autocomplete: 'off' });
  const byToken = h('form', { className: 'card' }, h('h3', {}, 'Console token'), h('p', { className: 'muted' }, 'assumed serve prints the console URL with its token, and writes the token to DATA-DIR/console-token.'),
    h('label', { className: 'field' }, h('span', {}, 'Token'), token), h('button', { type: 'submit', className: 'primary', 'data-testid': 'signin-token-submit' }, 'Open the console'));
  const byKey = h('form', { className: 'card' }, h('h3', {}, 'An account\'s access key'), h('p', { className: 'muted' }, 'See one account\'s view: its principals, and what reaches them.'),
    h('label', { className: 'field' }, h('span', {}, 'Access key ID'), keyId), h('label', { className: 'field' }, h('span', {}, 'Secret access key'), secret),
    h('button', { type: 'submit', className: 'primary', 'data-testid': 'signin-key-submit' }, 'Sign in'));
  byToken.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!token.value.trim()) return fail('Paste the console token.');
    setToken(token.value.trim());
    done();
  });
  byKey.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!keyId.value.trim() || !secret.value) return fail('Give the access key ID and the secret access key.');
    try {
      const res = await signIn(keyId.value.trim(), secret.value);
      setToken(res.token);
      secret.value = '';
      done();
    } catch (e) {
      fail((e as Error).message);
    }
  });
  replaceChildren(el, h('div', { className: 'signin-box', 'data-testid': 'signin' }, h('h2', {}, 'assumed console'), error, h('div', { className: 'cards' }, byToken, byKey)));
  el.hidden = false;
}

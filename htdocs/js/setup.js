/**
 * setup: the first-setup page (setup.html) for a host without a shell.
 * Sends the setup code, the first account's email, name and password to
 * POST /setup, which applies the migrations and creates that account,
 * and says plainly what happened. setupOutcome() is the pure decision.
 */

/**
 * What to tell the person after POST /setup answered status with body
 * (null when it was not JSON; status 0: no answer at all).
 * Returns { ok, text }.
 */
export function setupOutcome(status, body) {
  const applied = Array.isArray(body?.migrations) ? body.migrations : [];
  const migrated = applied.length
    ? `Database tables created or updated (${applied.join(', ')}).`
    : 'The database tables were already up to date.';
  if (status === 201 && body?.user) {
    return {
      ok: true,
      text: `${migrated} The account ${body.user.email} exists: sign in with it. ` +
        'Now delete the setup_code line from tether.conf.',
    };
  }
  if (status === 200) return { ok: true, text: migrated };
  const messages = {
    400: body?.message || 'Something in the form is not valid.',
    403: 'That setup code is not the one in tether.conf.',
    404: 'Setup is switched off: there is no setup_code in tether.conf.',
    409: 'Setup is already done: an account exists. Sign in with it, and delete ' +
      'the setup_code line from tether.conf.',
    500: body?.message || 'The server could not finish the setup; its error log says why.',
    503: 'The server cannot reach the database. Check database_url in tether.conf ' +
      'and try again.',
  };
  return {
    ok: false,
    text: messages[status] ||
      (status === 0 ? 'The server could not be reached. Try again.'
        : `The server answered ${status}. Try again.`),
  };
}

function wire() {
  const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content;
  const base = meta('tether-api') || '/api/auth';
  const $ = (id) => document.getElementById(id);
  const form = $('setup');
  const errorBox = $('form-error');
  const done = $('done');

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errorBox.hidden = true;
    $('submit').disabled = true;
    const body = {
      setup_code: $('code').value,
      email: $('email').value.trim(),
      password: $('password').value,
    };
    if ($('name').value.trim()) body.display_name = $('name').value.trim();
    let status = 0;
    let answer = null;
    try {
      const r = await fetch(`${base}/setup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
      status = r.status;
      answer = await r.json().catch(() => null);
    } catch {
      status = 0;
    }
    const out = setupOutcome(status, answer);
    $('submit').disabled = false;
    if (out.ok) {
      form.hidden = true;
      done.textContent = out.text;
      const a = document.createElement('a');
      a.href = 'index.html';
      a.textContent = 'Go to the sign-in page';
      done.append(' ', a);
      done.hidden = false;
      done.focus();
    } else {
      errorBox.textContent = out.text;
      errorBox.hidden = false;
      errorBox.focus();
    }
  });
}

if (typeof document !== 'undefined' && document.getElementById('setup')) wire();

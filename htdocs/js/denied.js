/**
 * denied: the page a web server shows instead of a protected page it
 * would not serve (Apache's ErrorDocument 401 for tether's authorizer,
 * which cannot say why). It asks the API what happened: a database or
 * network outage is said as such, with a retry, and never sends anyone to
 * sign in; otherwise it goes to the sign-in page, which explains why the
 * session ended (or refreshes an expired access token) and comes back
 * here. deniedAction() is the pure decision.
 */

/**
 * What to do, given the status of GET /health and of GET /session-info
 * (0 when there was no answer). 'outage': the service cannot tell;
 * 'forbidden': signed in, but this folder is not open to the account
 * (going to sign in would come straight back here, forever); 'signin':
 * signed out, ended, or an access token to refresh.
 */
export function deniedAction(healthStatus, sessionStatus) {
  if (healthStatus !== 200 || sessionStatus === 0 || sessionStatus >= 500) return 'outage';
  if (sessionStatus === 200) return 'forbidden';
  return 'signin';
}

/** The sign-in page's URL with ?next= this page (a path of this site). */
export function signinUrl(signin, loc) {
  const back = `${loc.pathname}${loc.search}`;
  const sep = signin.includes('?') ? '&' : '?';
  return `${signin}${sep}next=${encodeURIComponent(back)}`;
}

function wire() {
  const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content;
  const base = meta('tether-api') || '/api/auth';
  const signin = meta('tether-signin') || '/';
  const $ = (id) => document.getElementById(id);
  const target = signinUrl(signin, location);
  $('signin').href = target;

  // Background: looking is not activity, it must not slide the idle timer.
  const get = async (path) => {
    try {
      const r = await fetch(`${base}${path}`, {
        cache: 'no-store', credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-Activity': 'background' },
      });
      return r.status;
    } catch {
      return 0;
    }
  };

  async function check() {
    $('retry').hidden = true;
    const health = await get('/health');
    const action = deniedAction(health, health === 200 ? await get('/session-info') : 0);
    if (action === 'signin') {
      $('status').textContent = 'You are not signed in. Taking you to the sign-in page…';
      location.replace(target);
      return;
    }
    if (action === 'forbidden') {
      $('title').textContent = 'Not for this account';
      $('status').textContent = 'You are signed in, but this part of the site is not open to your account.';
      $('signin').textContent = 'Go to the start page';
      $('signin').href = signin;
      return;
    }
    $('title').textContent = 'Temporarily unavailable';
    $('status').textContent = 'Sign-in cannot be checked right now. This is not a problem with your ' +
      'account or your session: try again in a moment.';
    $('retry').hidden = false;
  }
  $('retry').addEventListener('click', check);
  check();
}

if (typeof document !== 'undefined' && document.getElementById('retry')) wire();

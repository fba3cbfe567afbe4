<?php
// A page of an existing PHP app, guarded by tether: it reads who is signed
// in from the variables the authorizer handed the web server. It trusts
// only those (never a request header), and names the REDIRECT_ form a
// front controller sees after an internal redirect.
function tether_var($name) {
    foreach ([$name, 'REDIRECT_' . $name] as $k) {
        if (isset($_SERVER[$k]) && $_SERVER[$k] !== '') {
            return $_SERVER[$k];
        }
    }
    return null;
}
$id = tether_var('TETHER_USER_ID');
$email = tether_var('TETHER_EMAIL');
$name = tether_var('TETHER_DISPLAY_NAME');
$session = tether_var('TETHER_SESSION_ID');
// Set by Apache's mod_authnz_fcgi form (tether-protect-authnz.conf): the
// user id as the web server's own user.
$remote = tether_var('REMOTE_USER');
header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
$h = function ($s) { return htmlspecialchars((string)$s, ENT_QUOTES, 'UTF-8'); };
?><!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Protected — tether demo</title>
<link rel="stylesheet" href="/css/tether.css">
</head>
<body class="tether-page">
<main id="main">
  <div class="card">
    <h1>A protected PHP page</h1>
    <p>tether let this request through. The app did not check anything itself.</p>
    <dl>
      <dt>User id</dt><dd id="user-id"><?= $h($id) ?></dd>
      <dt>Email</dt><dd id="user-email"><?= $h($email) ?></dd>
      <dt>Name</dt><dd id="user-name"><?= $h($name) ?></dd>
      <dt>Session</dt><dd id="session-id"><?= $h($session) ?></dd>
<?php if ($remote !== null): ?>
      <dt>The web server's user (REMOTE_USER)</dt><dd id="remote-user"><?= $h($remote) ?></dd>
<?php endif; ?>
    </dl>
    <p><a href="hello.txt">A protected static file</a> · <a href="/app.html">Back to the app</a></p>
  </div>
</main>
</body>
</html>

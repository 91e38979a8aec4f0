// Calls to our own origin (the frontend proxies /api/<service>/... to the services).
//
// The session: users keeps the refresh token in an HttpOnly, SameSite=Strict cookie scoped to
// /api/users/auth, so no script (ours or an injected one) can read it, and it survives a new
// tab, a restart of the browser and an emailed link. The access token lives only in this
// module's memory and travels as a bearer header: every write but the session routes is
// authenticated by it, which a cross-site request cannot carry (no CSRF); the session routes
// themselves are guarded by SameSite and users' Origin check. A page load asks for a fresh
// access token with the cookie, only when this browser has signed in (the hint below), so an
// anonymous visitor of the status page costs users nothing.
const HINT = "polystatus.signed-in";
let access = null;
let me = null;
let restoring = null;

export function session() { return me ? { me } : null; }

function remember(signedIn) {
  if (signedIn) localStorage.setItem(HINT, "1"); else localStorage.removeItem(HINT);
}

export function adoptSession(tokens, user) {
  access = tokens.access_token;
  me = user;
  remember(true);
}

export function clearSession() {
  access = null;
  me = null;
  remember(false);
}

export function setMe(user) { me = user; }

async function refreshNow() {
  // One refresh at a time across this browser's tabs: they share the cookie, and the server
  // ends a session whose token is exchanged twice (beyond a few seconds' grace).
  const run = async () => {
    const response = await fetch("/api/users/auth/refresh", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: "{}" });
    if (!response.ok) { clearSession(); return false; }
    access = (await response.json()).access_token;
    return true;
  };
  return navigator.locks ? navigator.locks.request("polystatus-refresh", run) : run();
}

export function restoreSession() {
  if (!restoring) {
    restoring = (async () => {
      if (localStorage.getItem(HINT) && await refreshNow()) {
        try { me = await get("/api/users/auth/me"); } catch { clearSession(); }
      }
      return session();
    })();
  }
  return restoring;
}

// With two-factor sign-in on, the password's answer is a challenge: `{ mfa: token }` is returned
// and the page asks for a code, then calls signInSecondStep.
export async function signIn(email, password) {
  const tokens = await call("POST", "/api/users/auth/login", { email, password, session: "cookie" });
  if (tokens.mfa_required) return { mfa: tokens.mfa_token };
  return finishSignIn(tokens);
}

export async function signInSecondStep(token, { code, recoveryCode }) {
  const body = { mfa_token: token };
  if (code) body.code = code; else body.recovery_code = recoveryCode;
  return finishSignIn(await call("POST", "/api/users/auth/login/totp", body));
}

// Single sign-on ends with a redirect to /login?sso=done: users has set the session cookie on
// the way back, so the page takes the session from it, as a page load of a signed-in browser does.
export async function resumeSignIn() {
  if (!await refreshNow()) throw Object.assign(new Error("no session"), { code: "sso_failed" });
  return finishSignIn({ access_token: access });
}

// Whether the sign-in page offers single sign-on, and the name of its button; null when it does not
// (or users cannot say now: the password form is there either way).
export async function ssoOffer() {
  try {
    const offer = await get("/api/users/auth/oidc");
    return offer && offer.enabled ? offer : null;
  } catch {
    return null;
  }
}

// A passkey sign-in (./passkeys.js asks the device and users): the same session as a password's.
export async function signInWith(tokens) {
  return finishSignIn(await tokens);
}

async function finishSignIn(tokens) {
  access = tokens.access_token;
  const user = await get("/api/users/auth/me");
  adoptSession(tokens, user);
  // A page made private for signed-in people (PAGE_VISIBILITY) is opened by a cookie the
  // frontend sets from this token; elsewhere the call sets nothing.
  await call("POST", "/page-access/session").catch(() => null);
  return user;
}

// Signs out here; for a session single sign-on started, answers the identity provider's
// end-session URL (null otherwise), where the caller sends the browser to sign out there too.
export async function signOut() {
  let away = null;
  try {
    const response = await fetch("/api/users/auth/logout", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}" });
    if (response.status === 200) {
      const answer = await response.json().catch(() => null);
      if (answer && /^https?:\/\//.test(answer.logout_url || "")) away = answer.logout_url;
    }
    await fetch("/page-access/session", { method: "DELETE", credentials: "same-origin" });
  } finally {
    clearSession();
  }
  return away;
}

export async function call(method, path, body, retried = false) {
  const headers = { Accept: "application/json" };
  if (access) headers.Authorization = `Bearer ${access}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  // The access token expired (they last minutes): the cookie gets a new one, once. Only for an
  // access token refused as such: a wrong password or two-factor code is a 401 too.
  const code = data && data.error ? data.error.code : undefined;
  if (response.status === 401 && me && !retried && (code === "token_expired" || code === "token_invalid")) {
    if (await refreshNow()) return call(method, path, body, true);
  }
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    error.code = data && data.error ? data.error.code : undefined;
    error.data = data;
    throw error;
  }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});
export const put = (path, body) => call("PUT", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body ?? {});
export const del = (path) => call("DELETE", path);

// Calls to our own origin. Tokens live in sessionStorage and travel as a bearer header (no
// cookies, so no CSRF); the frontend proxies /api/<service>/... to the services.
export function session() {
  try { return JSON.parse(sessionStorage.getItem("session") || "null"); } catch { return null; }
}

export function saveSession(tokens, me) {
  sessionStorage.setItem("session", JSON.stringify({ ...tokens, me }));
}

export function clearSession() { sessionStorage.removeItem("session"); }

export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.access_token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && current && current.refresh_token && !path.includes("/auth/")) {
    const refreshed = await fetch("/api/users/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh_token }) });
    if (refreshed.ok) {
      saveSession(await refreshed.json(), current.me);
      return call(method, path, body);
    }
    clearSession();
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
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

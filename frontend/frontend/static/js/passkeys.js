// Passkeys (WebAuthn, issue 20): users answers its options as WebAuthn Level 3's JSON forms
// (bytes as base64url) and reads the browser's answer in the same form. Browsers that know
// PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON and
// credential.toJSON() do the conversions themselves; for the others the few byte fields are
// converted here, by the same rules (RFC 4648 section 5, no padding).
import { call } from "./api.js";
import { t } from "./i18n.js";

export const supported = () => typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

// Whether users' passkeys work on this page: offered, and this origin is one of WEBAUTHN_ORIGINS
// (the browser binds a passkey to its site: on 127.0.0.1 a localhost passkey is refused).
export const worksHere = (offer) => !!offer && offer.enabled === true && (offer.origins || []).includes(location.origin);

export function bytesFromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function base64urlFromBytes(buffer) {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  // in slices: String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const descriptors = (list) => (list || []).map((c) => ({ ...c, id: bytesFromBase64url(c.id) }));

function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return { ...json, challenge: bytesFromBase64url(json.challenge), user: { ...json.user, id: bytesFromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials) };
}

function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: bytesFromBase64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

function credentialJson(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: base64urlFromBytes(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = base64urlFromBytes(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = base64urlFromBytes(r.authenticatorData);
    response.signature = base64urlFromBytes(r.signature);
    response.userHandle = r.userHandle ? base64urlFromBytes(r.userHandle) : null;
  }
  return { id: credential.id, rawId: base64urlFromBytes(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: credential.getClientExtensionResults(), response };
}

// The browser's own refusals, in words: the person cancelled or waited too long (NotAllowedError),
// or this device holds one of their passkeys already (InvalidStateError, from excludeCredentials).
export function passkeyProblem(error) {
  if (error && error.name === "NotAllowedError") return t("passkey_cancelled");
  if (error && error.name === "InvalidStateError") return t("passkey_already_here");
  if (error && error.name === "SecurityError") return t("passkey_wrong_site");
  if (error && error.code === "passkey_unknown") return t("passkey_unknown");
  if (error && error.code === "passkey_cloned") return t("passkey_cloned");
  if (error && (error.code === "passkey_challenge" || error.code === "passkey_invalid")) return t("passkey_failed");
  return null;
}

// Add a passkey to the signed-in account: options from users, the device's prompt, then the answer.
export async function addPasskey(name) {
  const options = await call("POST", "/api/users/auth/passkeys/register/options", {});
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
  return call("POST", "/api/users/auth/passkeys/register", { name, credential: credentialJson(credential) });
}

// A sign-in with whichever passkey of this site the device offers (no email asked): the tokens,
// the refresh token in the session cookie as a password sign-in keeps it.
export async function passkeyAssertion() {
  const options = await call("POST", "/api/users/auth/passkeys/login/options", {});
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
  return call("POST", "/api/users/auth/passkeys/login", { credential: credentialJson(credential), session: "cookie" });
}

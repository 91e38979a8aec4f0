// What a signed-in visitor can do on an incident page: follow it. Signed out, a link to sign in
// that comes back here. (Subscribing to a component by e-mail: subscribe.js.)
import { call, get, session } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

function signInLink(key) {
  return h("a", { href: `/login?next=${encodeURIComponent(location.pathname)}` }, t(key));
}

export async function followBox(box, incidentId) {
  const me = session();
  if (!me) { replace(box, h("p", {}, signInLink("signin_to_follow"))); return; }
  let following = false;
  try { following = (await get("/api/users/users/me/follows")).incidents.includes(incidentId); } catch { following = false; }
  const note = h("span", { role: "status", class: "ok" });
  const draw = () => replace(box, h("p", { class: "crow" }, h("button", {
    class: following ? "btn" : "btn primary", type: "button", id: "follow", onclick: async (event) => {
      event.target.disabled = true;
      try {
        await call(following ? "DELETE" : "PUT", `/api/users/users/me/follows/${encodeURIComponent(incidentId)}`);
        following = !following;
        note.className = "ok";
        note.textContent = following ? t("following") : t("unfollowed");
      } catch (error) {
        note.className = "error";
        note.textContent = t("sub_failed", { message: error.message });
      }
      draw();
    } }, following ? t("unfollow") : t("follow")), note));
  if (following) note.textContent = t("following");
  draw();
}

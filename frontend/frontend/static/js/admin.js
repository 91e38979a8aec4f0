// The admin pages: everything a fresh install needs, in the browser. Each tab lives in its own
// module (admin-*.js) and draws itself from the API; after every action it is drawn again.
import { get } from "./api.js";
import { t } from "./i18n.js";
import { tabbedPage } from "./staff.js";
import { agentsTab } from "./admin-agents.js";
import { auditTab } from "./admin-audit.js";
import { channelsTab } from "./admin-channels.js";
import { checksTab } from "./admin-checks.js";
import { componentsTab } from "./admin-components.js";
import { deadLettersTab } from "./admin-deadletters.js";
import { flagsTab } from "./admin-flags.js";
import { heartbeatsTab } from "./admin-heartbeats.js";
import { keysTab } from "./admin-keys.js";
import { pageTokensTab } from "./admin-pagetokens.js";
import { providersTab } from "./admin-providers.js";
import { usersTab } from "./admin-users.js";

const TABS = {
  components: componentsTab, checks: checksTab, heartbeats: heartbeatsTab, providers: providersTab,
  channels: channelsTab, flags: flagsTab, users: usersTab, "api-keys": keysTab, "page-tokens": pageTokensTab,
  agents: agentsTab, "dead-letters": deadLettersTab, audit: auditTab,
};

export function adminPage(main) {
  return tabbedPage(main, { role: "admin", heading: t("a_heading"), label: t("a_sections"), prefix: "a_tab_", drawers: TABS,
    load: async (ctx) => { const listing = await get("/api/incidents/components"); ctx.components = listing.components; ctx.groups = listing.groups; } });
}

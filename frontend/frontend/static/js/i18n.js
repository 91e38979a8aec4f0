// English and French. The server picks the language (the `lang` cookie set by the header's
// switch, else the browser's Accept-Language) and embeds this page's strings, in that language
// only, as <script type="application/json" id="i18n"> (frontend/i18n/common.json + the page's
// area dictionary). Dates and numbers go through Intl, in the visitor's own time zone.
const embedded = document.getElementById("i18n");
const strings = embedded ? JSON.parse(embedded.textContent) : {};

export const lang = document.documentElement.lang === "fr" ? "fr" : "en";
export const locale = lang === "fr" ? "fr-FR" : "en-GB";

// t("reports15", { count: 3 }) → "3 reports in the last 15 min"; an unknown key is shown as is.
export function t(key, values) {
  const text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  return values ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole)) : text;
}

export function has(key) { return Object.prototype.hasOwnProperty.call(strings, key); }

export function formatDate(iso, options = { dateStyle: "medium", timeStyle: "short" }) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : new Intl.DateTimeFormat(locale, options).format(date);
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(locale, options).format(value);
}

// "2 h 5 min", "3 days": a duration in seconds, through Intl's units.
export function formatDuration(seconds) {
  const unit = (value, name) => new Intl.NumberFormat(locale, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return unit(s, "second");
  if (s < 3600) return unit(Math.round(s / 60), "minute");
  if (s < 86400) { const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60); return m ? `${unit(h, "hour")} ${unit(m, "minute")}` : unit(h, "hour"); }
  const d = Math.floor(s / 86400), h = Math.round((s % 86400) / 3600);
  return h ? `${unit(d, "day")} ${unit(h, "hour")}` : unit(d, "day");
}

// Server-rendered <time datetime="…"> elements are shown in the visitor's time zone.
export function localizeTimes(root = document) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    const style = node.dataset.style === "date" ? { dateStyle: "medium" } : undefined;
    node.textContent = formatDate(node.getAttribute("datetime"), style);
  }
}

// Kept for the pages written before the server rendered the header in the right language.
export function applyStatic() { document.documentElement.lang = lang; }

// French and English, chosen from the browser, switchable, remembered.
const TEXT = {
  en: {
    skip: "Skip to content", history: "History", console: "Console", admin: "Admin", signin: "Sign in", signout: "Sign out",
    loading: "Loading…", powered: "Powered by PolyStatus", active: "Active incidents", upcoming: "Upcoming maintenance",
    components: "Components", providers: "Third-party providers", checks: "Our checks", problem: "I have a problem",
    whatproblem: "What is the problem?", thanks: "Thanks, your report counts.", reports15: "reports in the last 15 min", report15: "report in the last 15 min",
    no_problems: "No problems", possible_problems: "Possible problems", problems_detected: "Problems detected",
    operational: "Operational", degraded_performance: "Degraded performance", partial_outage: "Partial outage",
    major_outage: "Major outage", under_maintenance: "Under maintenance", degraded: "Degraded", maintenance: "Maintenance",
    unknown: "Unknown", up: "Up", down: "Down", new: "New", uptime: "uptime", daysago: "90 days ago", today: "Today",
    missing: "Some information is temporarily unavailable:", follow: "Follow this incident", unfollow: "Unfollow",
    following: "You follow this incident.", subscribe: "Subscribe by email", unsubscribe: "Unsubscribe",
    subscribed: "Subscribed", signin_to_follow: "Sign in to follow", timeline: "Timeline", back: "Back to status",
    reports24: "Reports in the last 24 hours", baseline: "usual level", top: "Most reported problems", noreports: "No reports.",
    email: "Email", password: "Password", wrong: "Wrong email or password.", older: "Older", newer: "Newer",
    none_history: "No incidents.", updated: "Updated", affected: "Affected", nouptime: "no data", incidents_that_day: "Incidents",
    all_ok: "All Systems Operational",
  },
  fr: {
    skip: "Aller au contenu", history: "Historique", console: "Console", admin: "Administration", signin: "Se connecter", signout: "Se déconnecter",
    loading: "Chargement…", powered: "Propulsé par PolyStatus", active: "Incidents en cours", upcoming: "Maintenances prévues",
    components: "Composants", providers: "Fournisseurs tiers", checks: "Nos sondes", problem: "J'ai un problème",
    whatproblem: "Quel est le problème ?", thanks: "Merci, votre signalement est pris en compte.", reports15: "signalements ces 15 dernières minutes", report15: "signalement ces 15 dernières minutes",
    no_problems: "Aucun problème", possible_problems: "Problèmes possibles", problems_detected: "Problèmes détectés",
    operational: "Opérationnel", degraded_performance: "Performances dégradées", partial_outage: "Panne partielle",
    major_outage: "Panne majeure", under_maintenance: "En maintenance", degraded: "Dégradé", maintenance: "Maintenance",
    unknown: "Inconnu", up: "En ligne", down: "Hors ligne", new: "Nouveau", uptime: "disponibilité", daysago: "il y a 90 jours", today: "Aujourd'hui",
    missing: "Certaines informations sont momentanément indisponibles :", follow: "Suivre cet incident", unfollow: "Ne plus suivre",
    following: "Vous suivez cet incident.", subscribe: "S'abonner par e-mail", unsubscribe: "Se désabonner",
    subscribed: "Abonné", signin_to_follow: "Connectez-vous pour suivre", timeline: "Chronologie", back: "Retour au statut",
    reports24: "Signalements des dernières 24 heures", baseline: "niveau habituel", top: "Problèmes les plus signalés", noreports: "Aucun signalement.",
    email: "E-mail", password: "Mot de passe", wrong: "E-mail ou mot de passe incorrect.", older: "Plus anciens", newer: "Plus récents",
    none_history: "Aucun incident.", updated: "Mis à jour", affected: "Concerné", nouptime: "pas de données", incidents_that_day: "Incidents",
    all_ok: "Tous les systèmes sont opérationnels",
  },
};

export let lang = localStorage.getItem("lang") || ((navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en");

export function t(key) {
  return (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key;
}

export function applyStatic() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  const button = document.getElementById("lang");
  if (button) button.textContent = lang === "fr" ? "EN" : "FR";
}

export function toggle() {
  lang = lang === "fr" ? "en" : "fr";
  localStorage.setItem("lang", lang);
  applyStatic();
}

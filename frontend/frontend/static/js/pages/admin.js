// The admin pages (their code is in ../admin.js).
export { adminPage as default } from "../admin.js";

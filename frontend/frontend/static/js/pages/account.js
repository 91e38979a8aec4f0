// /account (drawn by ../account.js).
export { accountPage as default } from "../account.js";

// /subscribe/confirm (drawn by ../subscribe.js).
export { subscribeConfirmPage as default } from "../subscribe.js";

// /unsubscribe (drawn by ../subscribe.js).
export { unsubscribePage as default } from "../subscribe.js";

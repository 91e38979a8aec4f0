// /subscribe (drawn by ../subscribe.js).
export { subscribePage as default } from "../subscribe.js";

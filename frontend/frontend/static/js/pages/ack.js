// /ack (drawn by ../subscribe.js).
export { ackPage as default } from "../subscribe.js";

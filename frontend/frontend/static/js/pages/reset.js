// /reset (drawn by ../reset.js).
export { resetPage as default } from "../reset.js";

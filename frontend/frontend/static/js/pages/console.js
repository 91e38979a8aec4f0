// The staff console (its code is in ../console.js).
export { consolePage as default } from "../console.js";

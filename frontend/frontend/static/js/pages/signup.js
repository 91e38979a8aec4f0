// /signup (drawn by ../signup.js).
export { signupPage as default } from "../signup.js";

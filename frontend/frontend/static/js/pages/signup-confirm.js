// /signup/confirm (drawn by ../signup.js).
export { signupConfirmPage as default } from "../signup.js";

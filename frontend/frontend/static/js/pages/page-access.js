// A private page's door (templates/public/access.html): a plain form the server handles; the
// script only puts the cursor in the password field.
export default function pageAccess() {
  const field = document.getElementById("page-password");
  if (field) field.focus();
}

// One component's page: server-rendered; enhanced, refreshed every 30 s, and the e-mail
// subscription box for a signed-in visitor.
import { enhance, refreshEvery } from "../public.js";
import { subscribeBox } from "../subscribe.js";

export default function componentPage(main) {
  enhance(document);
  refreshEvery(main, 30);
  const box = document.getElementById("subscribe");
  if (box) subscribeBox(box, { id: box.dataset.component, name: box.dataset.name });
}

// One incident's page: server-rendered; enhanced, and the follow button for a signed-in visitor.
import { enhance } from "../public.js";
import { followBox } from "../follow.js";

export default function incidentPage() {
  enhance(document);
  const box = document.getElementById("follow-box");
  if (box) followBox(box, box.dataset.incident);
}

// The public status page: server-rendered; enhanced and refreshed every 30 s.
import { enhance, refreshEvery } from "../public.js";

export default function statusPage(main) {
  enhance(document);
  refreshEvery(main, 30);
}

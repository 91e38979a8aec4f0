// A server-rendered public page: times in the visitor's time zone.
import { enhance } from "../public.js";

export default function publicPage() {
  enhance(document);
}

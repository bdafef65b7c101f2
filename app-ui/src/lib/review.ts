// The chief's review screen: the reviewed/unreviewed choice as the Rust filter wants it.
import type { Filter } from "./bindings";

/** The review screen's choice: every record, only those not yet reviewed, or only reviewed. */
export type ReviewedChoice = "" | "no" | "yes";

/** The filter sent to `review`: the screen's filters plus the reviewed choice. */
export function reviewFilter(f: Filter, reviewed: ReviewedChoice): Filter {
  const out: Filter = { ...f };
  if (reviewed === "") delete out.reviewed;
  else out.reviewed = reviewed === "yes";
  return out;
}

// What the inspectors (size, graph, why, the report) are given: the image as read, and when it
// comes from a definition, the resolution its closure was chosen from.
import type { InspectedImage } from "./model.js";

/** What a definition adds to an image: the resolution the closure chose from. */
export interface Resolution {
  exportName: string;
  /** Packages asked for in contents. */
  roots: string[];
  /** Every package of the Depends closure, kept or not: name → version. */
  resolved: Map<string, string>;
  /** Dependency edges of the whole closure (from → to). */
  edges: [string, string][];
}

export interface Inspected {
  image: InspectedImage;
  /** Present when the image comes from a definition. */
  resolution?: Resolution;
}

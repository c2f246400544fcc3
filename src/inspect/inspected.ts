// What the inspectors (size, graph, why, the report) are given: the image as read, and when it
// comes from a definition, the resolution its closure was chosen from — the build's own value.
import type { Resolution } from "../debian/resolution.js";
import type { InspectedImage } from "./model.js";

/** What a definition adds to an image: which export it is, and the resolution the closure chose from. */
export interface FromDefinition {
  exportName: string;
  resolution: Resolution;
}

export interface Inspected {
  image: InspectedImage;
  /** Present when the image comes from a definition. */
  definition?: FromDefinition;
}

// What readers ask of any image, whatever its source.
import type { ImageConfigJson, ImageView } from "./types.js";

/** What a reader calls an image: its first tag, else where it came from, else its digest. */
export function imageName(image: ImageView): string {
  return image.repoTags[0] ?? image.origin ?? image.manifestDigest ?? "image";
}

/** The config's JSON. Every source checked that it is a JSON object. */
export function configJson(image: ImageView): ImageConfigJson {
  return JSON.parse(image.config.toString("utf8")) as ImageConfigJson;
}

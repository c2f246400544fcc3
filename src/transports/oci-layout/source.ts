// The OCI-directory source: an image layout folder (skopeo `oci:DIR`, cairn's -o DIR), read in
// place. Its checks are the image tar's: an unpacked oci-archive is this very layout.
import type { ImageSource } from "../../image/types.js";
import { readLayoutDir } from "../archive/source.js";

export function ociDirSource(dir: string): ImageSource {
  return { read: () => readLayoutDir(dir) };
}

// The registry as a place images live: pulled into the store (each blob verified by its digest)
// as a source, pushed as a sink. Both are the pull and push clients with nothing added.
import { isIndex, type Image, type ImageIndex, type ImageSource, type ImageView, type Sink } from "../../image/types.js";
import { pullImage, type PullOptions } from "./pull.js";
import { pushImage, pushIndex, type PushOptions, type PushResult } from "./push.js";

export function registrySource(ref: string, opts: PullOptions): ImageSource {
  return {
    async read(): Promise<ImageView> {
      const pulled = await pullImage(ref, opts);
      return { repoTags: [], origin: pulled.reference, manifestDigest: pulled.manifestDigest as ImageView["manifestDigest"], config: pulled.config, layers: pulled.layers };
    },
  };
}

/** A sink pushing to `ref`; `onPushed` hears what the registry said (digest, bytes uploaded). */
export function registrySink(ref: string, opts: PushOptions = {}, onPushed?: (r: PushResult) => void): Sink {
  return {
    async write(image: Image | ImageIndex): Promise<void> {
      // Not `onPushed?.(await …)`: an optional call skips evaluating its arguments, the push with them.
      const result = isIndex(image) ? await pushIndex(image, ref, opts) : await pushImage(image, ref, opts);
      onPushed?.(result);
    },
  };
}

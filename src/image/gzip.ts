// Layer compression with a pinned compressor (fflate, exact version in package.json): node's
// bundled zlib changes its output bytes between node releases, which would change layer digests.
// fflate's streaming deflate output depends on where push() boundaries fall, so the input is first
// re-cut into fixed GZIP_BLOCK pieces: the output is then a function of the input bytes alone.
//
// Header (checked by the tests against what fflate 0.8.3 writes): 1f 8b, CM 08, FLG 00, MTIME 0
// (we pass mtime: 0; fflate would otherwise stamp the clock), XFL 00 for levels 2-8 (02 at 9,
// 04 below 2), OS 03 (Unix) whatever the host.
import { Chunker } from "./tar.js";

export const GZIP_BLOCK = 1024 * 1024;

/** Gzip a byte stream deterministically. */
export async function* gzip(input: AsyncIterable<Uint8Array>, level = 6): AsyncGenerator<Uint8Array> {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new Error(`gzip level ${level} is not 0-9`);
  // Loaded on first use: a build whose layers are all cached compresses nothing.
  const { Gzip } = await import("fflate");
  const pending: Uint8Array[] = [];
  const gz = new Gzip({ level: level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9, mtime: 0 }, (data) => {
    if (data.length) pending.push(data);
  });
  const blocks = new Chunker(GZIP_BLOCK);
  for await (const chunk of input) {
    for (const block of blocks.push(chunk)) {
      gz.push(block, false);
      yield* pending.splice(0);
    }
  }
  // The last block (shorter, possibly empty) carries the final flag, so the stream's end is fixed too.
  let last: Uint8Array = new Uint8Array(0);
  for (const block of blocks.flush()) last = block;
  gz.push(last, true);
  yield* pending.splice(0);
}

// fetchurl() contents, in an image or in any derivation's inputs: each fetched once into the store
// by its sha256, checked on the way in, before the entries that point at them are made.
import type { ContentSpec, FetchedSpec } from "../define/spec.js";
import { fetchCall, locationOf } from "../define/call-site.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import type { BuildContext } from "./context.js";

/** A fetched source's sha256: every one has it once pinSources ran. */
export function pinnedHash(c: FetchedSpec): string {
  if (!c.sha256) throw new Error(`cairn bug: ${fetchCall(c)} was not pinned before it was fetched`);
  return c.sha256;
}

export async function fetchSources(contents: readonly ContentSpec[], ctx: BuildContext): Promise<void> {
  const wanted = new Map<string, FetchedSpec>();
  const walk = (cs: readonly ContentSpec[]) => {
    for (const c of cs) {
      if (c.kind === "fetched") wanted.set(pinnedHash(c), c);
      if (c.kind === "derivation") walk(c.inputs);
    }
  };
  walk(contents);
  for (const [sha256, c] of wanted) {
    if ((await ctx.store.hasBlob(sha256)) && (await ctx.store.blobIntact(sha256))) continue;
    const where = locationOf(c);
    const at = where ? `${where}: ` : "";
    if (ctx.offline) {
      throw new CairnError(ErrorCode.OFFLINE_MISSING, `${at}${fetchCall(c)}: --offline, and the cache lacks it.`, "Build once without --offline to fetch it.");
    }
    ctx.reporter.info(`cairn: fetching ${c.url}`);
    try {
      const { body } = await ctx.fetcher.stream(c.url, `${fetchCall(c)}`);
      await ctx.store.writeBlobStream(body, sha256, c.url);
    } catch (e) {
      if (isCairnError(e) && e.code === ErrorCode.BAD_CHECKSUM) {
        throw new CairnError(
          ErrorCode.BAD_CHECKSUM,
          `${at}${fetchCall(c)} gave other bytes than its sha256 ${sha256}${c.pinnedBy === "lock" ? " (pinned in cairn.lock)" : ""}: ${e.message}`,
          c.pinnedBy === "lock"
            ? "If the file was meant to change, delete its entry under sources.fetchurl in cairn.lock and build again to pin the new one; otherwise the server is not serving what was pinned."
            : "If the file was meant to change, put its new sha256 in the definition (the message gives it); otherwise the server is not serving what you pinned.",
          { cause: e, data: { ...(where ? { path: where } : {}), subject: c.url } },
        );
      }
      throw e;
    }
  }
}

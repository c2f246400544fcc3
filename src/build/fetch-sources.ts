// fetchurl() contents, in an image or in any derivation's inputs: each fetched once into the store
// by its sha256, checked on the way in, before the entries that point at them are made.
import type { ContentSpec, FetchedSpec } from "../define/spec.js";
import { locationOf } from "../define/call-site.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import type { BuildContext } from "./context.js";

export async function fetchSources(contents: readonly ContentSpec[], ctx: BuildContext): Promise<void> {
  const wanted = new Map<string, FetchedSpec>();
  const walk = (cs: readonly ContentSpec[]) => {
    for (const c of cs) {
      if (c.kind === "fetched") wanted.set(c.sha256, c);
      if (c.kind === "derivation") walk(c.inputs);
    }
  };
  walk(contents);
  for (const c of wanted.values()) {
    if ((await ctx.store.hasBlob(c.sha256)) && (await ctx.store.blobIntact(c.sha256))) continue;
    const where = locationOf(c);
    const at = where ? `${where}: ` : "";
    if (ctx.offline) {
      throw new CairnError(ErrorCode.OFFLINE_MISSING, `${at}fetchurl(${c.url}): --offline, and the cache lacks it.`, "Build once without --offline to fetch it.");
    }
    ctx.reporter.info(`cairn: fetching ${c.url}`);
    try {
      const { body } = await ctx.fetcher.stream(c.url, `fetchurl(${c.url})`);
      await ctx.store.writeBlobStream(body, c.sha256, c.url);
    } catch (e) {
      if (isCairnError(e) && e.code === ErrorCode.BAD_CHECKSUM) {
        throw new CairnError(
          ErrorCode.BAD_CHECKSUM,
          `${at}fetchurl(${c.url}) gave other bytes than its sha256 ${c.sha256}: ${e.message}`,
          "If the file was meant to change, put its new sha256 in the definition (the message gives it); otherwise the server is not serving what you pinned.",
          { cause: e, data: { ...(where ? { path: where } : {}), subject: c.url } },
        );
      }
      throw e;
    }
  }
}

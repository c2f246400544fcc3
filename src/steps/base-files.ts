// A base image's files as entries, for build steps that must see them: each layer unpacked once
// into the store (keyed by its digest), then the layers applied in order with their whiteouts.
// Only steps need this; a build without steps reads base layers for a few files alone (base.ts).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { flatten, readLayer } from "../image/flatten.js";
import type { FsEntry } from "../fs/types.js";
import type { Layer } from "../image/types.js";
import { BASE_IMAGE } from "../closure/select.js";
import type { StepContext } from "./context.js";
import { checkedTree } from "../store/tree-check.js";

const UNPACK_FORMAT = 3; // 3: the listing is sealed
const ENTRIES_FILE = "entries.json";

/** The base's final filesystem. */
export async function baseEntries(layers: readonly Layer[], ctx: StepContext): Promise<FsEntry[]> {
  return [...(await flatten(layers, (layer) => unpackLayer(layer, ctx))).values()];
}

/** A layer's entries (whiteouts included, as entries named .wh.*), contents in a store tree. */
async function unpackLayer(layer: Layer, ctx: StepContext): Promise<FsEntry[]> {
  const key = `base-files-${UNPACK_FORMAT}-${layer.digest.slice(7)}`;
  let entries: FsEntry[] = [];
  const dir = await checkedTree(ctx.store, key, async (tmp) => {
    await readLayer(layer, async (e, content) => {
      const meta = { path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, origin: BASE_IMAGE };
      if (e.type === "file") {
        const to = path.join(tmp, "files", e.path);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        const hash = createHash("sha256");
        const out = fs.createWriteStream(to);
        for await (const c of content) {
          hash.update(c);
          if (!out.write(c)) await new Promise<void>((r) => out.once("drain", () => r()));
        }
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
        // As for unpacked packages: on disk only "executable or not"; the entry keeps the real mode.
        fs.chmodSync(to, meta.mode & 0o111 ? 0o755 : 0o644);
        entries.push({ ...meta, type: "file", size: e.size, sha256: hash.digest("hex") });
      } else if (e.type === "dir") entries.push({ ...meta, type: "dir", size: 0 });
      else if (e.type === "symlink") entries.push({ ...meta, type: "symlink", size: 0, linkname: e.linkname ?? "" });
      else if (e.type === "hardlink") entries.push({ ...meta, type: "hardlink", size: 0, linkname: (e.linkname ?? "").replace(/^\.?\/+/, "") });
      // Device nodes and fifos in a base layer are for the engine; a step never needs them.
    });
    fs.writeFileSync(path.join(tmp, ENTRIES_FILE), JSON.stringify(entries));
  }, {
    listing: ENTRIES_FILE,
    onChanged: (what) => ctx.reporter.warn(`the cache's unpacked copy of base layer ${layer.digest} was changed (${what}); unpacking it again`),
  });
  entries = JSON.parse(fs.readFileSync(path.join(dir, ENTRIES_FILE), "utf8")) as FsEntry[];
  return entries.map((e) => (e.type === "file" ? { ...e, content: { kind: "path", path: path.join(dir, "files", e.path) } } : e));
}

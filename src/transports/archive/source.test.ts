import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as tarStream from "tar-stream";
import { ErrorCode, isCairnError } from "../../errors.js";
import { dockerArchive, localManifestDigest } from "./source.js";

async function tarFile(members: Record<string, string>): Promise<{ file: string; done: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "cairn-base-archive-"));
  const pack = tarStream.pack();
  for (const [name, body] of Object.entries(members)) pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const file = join(dir, "image.tar");
  writeFileSync(file, Buffer.concat(chunks));
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const badReference = (e: unknown) => isCairnError(e) && e.code === ErrorCode.BAD_REFERENCE;

test("a docker-archive whose manifest.json is not JSON, or not a list of images, is a BAD_REFERENCE (found by fuzzing)", async () => {
  for (const manifest of ["{not json", "{}", "null", '[{"Config":5,"Layers":[]}]', '[{"Config":"c.json","Layers":[7]}]']) {
    const t = await tarFile({ "manifest.json": manifest, "c.json": "{}" });
    try {
      await assert.rejects(dockerArchive(t.file), badReference, manifest);
    } finally {
      t.done();
    }
  }
});

test("an index.json naming a manifest digest that is not a string is a BAD_REFERENCE, not returned (found by fuzzing)", async () => {
  const t = await tarFile({ "index.json": '{"manifests":[{"digest":5}]}' });
  try {
    await assert.rejects(localManifestDigest(t.file), badReference);
  } finally {
    t.done();
  }
});

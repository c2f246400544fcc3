import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as tarStream from "tar-stream";
import { ErrorCode, isCairnError } from "../../errors.js";
import { readImageTar } from "./source.js";

async function withTar(members: Record<string, string>, fn: (file: string, work: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cairn-image-source-"));
  try {
    const pack = tarStream.pack();
    for (const [name, body] of Object.entries(members)) pack.entry({ name }, body);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    writeFileSync(join(dir, "image.tar"), Buffer.concat(chunks));
    mkdirSync(join(dir, "work"));
    await fn(join(dir, "image.tar"), join(dir, "work"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const badReference = (e: unknown) => isCairnError(e) && e.code === ErrorCode.BAD_REFERENCE;
const hex = "a".repeat(64);

test("image tars with damaged JSON members are a BAD_REFERENCE, not a SyntaxError or TypeError (found by fuzzing)", async () => {
  const cases: Record<string, string>[] = [
    { "manifest.json": "[{" }, // not JSON
    { "manifest.json": '[{"Config":"c.json","Layers":[]}]', "c.json": "" }, // an empty config
    { "manifest.json": '{"Config":"c.json"}' }, // not a list
    { "manifest.json": '[{"Config":"c.json","Layers":"l.tar"}]', "c.json": "{}" },
    { "manifest.json": '[{"Config":"c.json","Layers":["missing.tar"]}]', "c.json": "{}" }, // a layer it does not hold
    { "manifest.json": '[{"Config":"../../outside.json","Layers":[]}]' }, // a path out of the tar
    { "index.json": "null" },
    { "index.json": '{"manifests":[{"digest":7}]}' },
    { "index.json": `{"manifests":[{"digest":"sha256:${hex}"}]}`, [`blobs/sha256/${hex}`]: '{"layers":[null]}' },
  ];
  for (const members of cases) {
    await withTar(members, (file, work) => assert.rejects(readImageTar(file, work), badReference, JSON.stringify(members)));
  }
});

test("a docker-archive whose members are all there still reads", async () => {
  await withTar({ "manifest.json": '[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l.tar"]}]', "c.json": '{"os":"linux"}', "l.tar": "" }, async (file, work) => {
    const src = await readImageTar(file, work);
    assert.deepEqual(src.repoTags, ["x:1"]);
    assert.deepEqual(JSON.parse(src.config.toString("utf8")), { os: "linux" });
    assert.equal(src.layers.length, 1);
  });
});

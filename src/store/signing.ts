// Signing the store's "inputs → result" entries, as Nix signs its binary caches: ed25519 keys in
// PEM files; a reader uses an entry only when a key it trusts signed the entry's exact bytes. Blobs
// need no signature: they are addressed by their sha256, which every read checks.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { CairnError, ErrorCode } from "../errors.js";

export interface Signer {
  keyId: string;
  sign(bytes: Buffer): string;
}

export interface TrustedKeys {
  /** The ids of the trusted keys, for messages. */
  readonly ids: readonly string[];
  /** Whether `signature` (base64) over `bytes` is by the trusted key `keyId`. */
  verify(bytes: Buffer, keyId: string, signature: string): boolean;
}

/** A key's id: the first 16 hex of the sha256 of its public key (DER). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

/** Writes a new key pair: `file` (private, mode 0600) and `file.pub`; returns the key id. */
export async function generateKeyFiles(file: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  await writeFile(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST") throw new CairnError(ErrorCode.USAGE, `${file} already exists; cairn store keygen does not overwrite a key.`, "Pick another file name, or remove the old key first.");
    throw e;
  });
  await writeFile(`${file}.pub`, publicKey.export({ type: "spki", format: "pem" }));
  return keyIdOf(publicKey);
}

async function readKey(file: string, kind: "private" | "public"): Promise<KeyObject> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new CairnError(ErrorCode.USAGE, `Cannot read the store key ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}.`, "Make one with `cairn store keygen -o FILE`.");
  });
  try {
    const key = kind === "private" ? createPrivateKey(text) : createPublicKey(text);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (e) {
    throw new CairnError(ErrorCode.USAGE, `${file} is not an ed25519 ${kind} key in PEM (${(e as Error).message}).`, "Make one with `cairn store keygen -o FILE` (FILE signs, FILE.pub is what readers trust).");
  }
}

export async function loadSigner(file: string): Promise<Signer> {
  const key = await readKey(file, "private");
  const keyId = keyIdOf(createPublicKey(key));
  return { keyId, sign: (bytes) => sign(null, bytes, key).toString("base64") };
}

/** The public keys in these files, and the signer's own when there is one. */
export async function loadTrusted(files: readonly string[], signer?: string): Promise<TrustedKeys> {
  const keys = new Map<string, KeyObject>();
  for (const f of files) {
    const k = await readKey(f, "public");
    keys.set(keyIdOf(k), k);
  }
  if (signer) {
    const k = createPublicKey(await readKey(signer, "private"));
    keys.set(keyIdOf(k), k);
  }
  return {
    ids: [...keys.keys()],
    verify(bytes, keyId, signature) {
      const k = keys.get(keyId);
      if (!k) return false;
      try {
        return verify(null, bytes, k, Buffer.from(signature, "base64"));
      } catch {
        return false;
      }
    },
  };
}

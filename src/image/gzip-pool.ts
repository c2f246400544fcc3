// Layer compression on worker threads: the same pinned fflate and the same fixed 1 MiB blocks as
// gzip.ts (so the same bytes), but off the main thread, so tarring, hashing and compressing
// overlap and two layers compress at once on a 2-core machine.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { GZIP_BLOCK } from "./gzip.js";
import { Chunker } from "./tar.js";

const require = createRequire(import.meta.url);

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { Gzip } = require(workerData.fflate);
let gz, out = [];
parentPort.on("message", (m) => {
  if (m.start) { gz = new Gzip({ level: m.level, mtime: 0 }, (d) => { if (d.length) out.push(d); }); return; }
  gz.push(new Uint8Array(m.block), m.final);
  // fflate hands out views of ~1 MiB buffers; sent whole, each would be held that size until a GC.
  const chunks = out.map((c) => (c.byteLength < c.buffer.byteLength / 2 ? c.slice() : c)); out = [];
  parentPort.postMessage({ seq: m.seq, chunks }, chunks.map((c) => c.buffer));
});`;

/** Blocks handed to a worker before waiting for its output: bounds memory to a few MiB. */
const IN_FLIGHT = 4;

class GzipWorker {
  broken = false;
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (chunks: Uint8Array[]) => void; reject: (e: Error) => void }>();
  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fflate: require.resolve("fflate") } });
    this.worker.on("message", (m: { seq: number; chunks: Uint8Array[] }) => {
      const done = this.waiting.get(m.seq);
      this.waiting.delete(m.seq);
      done?.resolve(m.chunks);
    });
    this.worker.on("error", (e) => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
      this.broken = true;
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  /** An idle worker must not keep the process alive; a busy one must (its answers are awaited). */
  busy(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  async *compress(input: AsyncIterable<Uint8Array>, level: number): AsyncGenerator<Uint8Array> {
    this.worker.postMessage({ start: true, level });
    const blocks = new Chunker(GZIP_BLOCK);
    const pending: Promise<Uint8Array[]>[] = [];
    let seq = 0;
    const send = (block: Uint8Array, final: boolean) => {
      // Transferred, not copied, when the block is a whole buffer of its own (the Chunker's are).
      const copy = block.byteOffset === 0 && block.byteLength === block.buffer.byteLength ? block : block.slice();
      pending.push(new Promise((resolve, reject) => this.waiting.set(seq, { resolve, reject })));
      this.worker.postMessage({ seq: seq++, block: copy.buffer, final }, [copy.buffer as ArrayBuffer]);
    };
    for await (const chunk of input) {
      for (const block of blocks.push(chunk)) {
        send(block, false);
        while (pending.length >= IN_FLIGHT) yield* await pending.shift()!;
      }
    }
    let last: Uint8Array = new Uint8Array(0);
    for (const block of blocks.flush()) last = block;
    send(last, true);
    while (pending.length) yield* await pending.shift()!;
  }
}

const idle: GzipWorker[] = [];

/** Gzip a byte stream on a worker thread; byte-identical to gzip() from gzip.ts. */
export async function* gzipOffThread(input: AsyncIterable<Uint8Array>, level = 6): AsyncGenerator<Uint8Array> {
  const worker = idle.pop() ?? new GzipWorker();
  worker.busy(true);
  let completed = false;
  try {
    yield* worker.compress(input, level);
    completed = true;
  } finally {
    worker.busy(false);
    // A stream stopped halfway (its input failed, its reader gave up) leaves answers in flight
    // that would be taken for the next stream's: that worker is not reused.
    if (completed && !worker.broken) idle.push(worker);
    else void worker.terminate();
  }
}

/** Stop the idle workers (a command calls this when it is done; idle workers never hold the process). */
export async function closeGzipWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

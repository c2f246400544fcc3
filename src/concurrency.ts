// Bounded concurrency, for stages that hash, unpack or download many things at once.

/**
 * `fn` over `items`, at most `limit` at a time; results in input order. With `weight`, the
 * heaviest start first: a big item started last would run alone while the other slots sit idle.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>, weight?: (x: T) => number): Promise<R[]> {
  const out = new Array<R>(items.length);
  const order = items.map((_, i) => i);
  if (weight) {
    const w = items.map(weight);
    order.sort((a, b) => w[b]! - w[a]! || a - b);
  }
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let k = next++; k < items.length && !failed; k = next++) {
      const i = order[k]!;
      try {
        out[i] = await fn(items[i]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  // On a failure no new item starts, and the ones running finish before the error is thrown:
  // nothing keeps working (or holds a worker thread) after the command has reported it.
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
  return out;
}

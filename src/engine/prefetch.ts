/**
 * Iterate `source` one item ahead: while the consumer works on item n, item
 * n+1 is already being read. Reading and writing then overlap (the source
 * parses while the destination loads) and memory holds at most two batches.
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  let finished = false;
  try {
    for (;;) {
      const result = await pending;
      if (result.done) {
        finished = true;
        return;
      }
      pending = iterator.next();
      // The consumer may stop early; a failure of the read-ahead is then not its concern.
      pending.catch(() => undefined);
      yield result.value;
    }
  } finally {
    if (!finished) {
      await pending.catch(() => undefined);
      await iterator.return?.();
    }
  }
}

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

/** A prefetching read already under way, and how to stop it when its rows will not be wanted. */
export interface StartedRead<T> {
  readonly batches: AsyncIterable<T>;
  /** Abort the read and wait until the source has let go of it; never throws. */
  stop(): Promise<void>;
}

/**
 * Start reading `open(signal)` now, one item ahead like `prefetch`, before a
 * consumer exists: the source's first rows arrive while the caller prepares
 * their destination. Iterate `batches` once; if it never will be, call `stop`.
 * `signal` still cancels the read.
 */
export function startRead<T>(open: (signal: AbortSignal) => AsyncIterable<T>, signal: AbortSignal): StartedRead<T> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const inner = prefetch(open(controller.signal));
  let first: Promise<IteratorResult<T>> | undefined = inner.next();
  // Not awaited until the consumer comes (or never, when it is stopped): its failure is reported there.
  first.catch(() => undefined);
  const release = (): void => signal.removeEventListener('abort', onAbort);
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      const pending = first ?? inner.next();
      first = undefined;
      return pending.then(
        (result) => {
          if (result.done) release();
          return result;
        },
        (error: unknown) => {
          release();
          throw error;
        },
      );
    },
    return: async () => {
      first = undefined;
      release();
      return inner.return(undefined);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return {
    batches: iterator,
    stop: async () => {
      controller.abort();
      await first?.catch(() => undefined);
      await iterator.return?.().catch(() => undefined);
    },
  };
}

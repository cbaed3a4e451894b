/**
 * Fan-out of events to any number of `events(signal)` readers. A reader is
 * subscribed when `subscribe` is called (not at its first `next()`), so an
 * event emitted right after subscribing is never lost. Each reader buffers at
 * most `maxBuffered` events; past that the oldest are dropped (a slow reader
 * must not grow memory without bound).
 */
export class EventHub<T> {
  private readonly readers = new Set<Reader<T>>();

  constructor(private readonly maxBuffered = 10_000) {}

  get readerCount(): number {
    return this.readers.size;
  }

  emit(event: T): void {
    for (const r of this.readers) r.push(event);
  }

  subscribe(signal: AbortSignal): AsyncIterable<T> & AsyncIterator<T> {
    const reader = new Reader<T>(this.maxBuffered, () => this.readers.delete(reader));
    if (signal.aborted) reader.close();
    else {
      this.readers.add(reader);
      signal.addEventListener('abort', () => reader.close(), { once: true });
    }
    return reader;
  }
}

class Reader<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private closed = false;

  constructor(
    private readonly max: number,
    private readonly onClose: () => void,
  ) {}

  push(event: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.max) this.queue.shift();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose();
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.queue.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}

import { StringDecoder } from 'node:string_decoder';
import type { Json } from './values.js';

/**
 * Splits a byte stream into top-level JSON texts (objects or arrays), as OVSDB's JSON-RPC sends them with no
 * delimiter. Handles messages split across chunks, several messages in one chunk and multi-byte UTF-8
 * characters cut in half.
 */
export class JsonStreamParser {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;

  constructor(private readonly maxMessageBytes = 64 * 1024 * 1024) {}

  /** Feeds a chunk; returns the complete JSON values it finished. Throws on malformed input. */
  push(chunk: Buffer | string): Json[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: Json[] = [];
    let i = this.scanned;
    for (; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x22) {
        if (this.depth === 0) this.fail(`unexpected string at top level`);
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (this.depth === 0) this.fail(`unbalanced '${String.fromCharCode(c)}'`);
        this.depth--;
        if (this.depth === 0) {
          out.push(this.parse(this.buf.slice(this.start, i + 1)));
          this.start = -1;
        }
      } else if (this.depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.fail(`unexpected character '${String.fromCharCode(c)}' between messages`);
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = this.buf.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
      if (this.buf.length > this.maxMessageBytes)
        this.fail(`message larger than ${this.maxMessageBytes} bytes`);
    }
    return out;
  }

  /** Forgets any partial message (after a reconnect). */
  reset(): void {
    this.buf = '';
    this.scanned = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.start = -1;
  }

  private parse(text: string): Json {
    try {
      return JSON.parse(text) as Json;
    } catch (err) {
      this.reset();
      throw new Error(`invalid JSON from OVSDB peer: ${(err as Error).message}`);
    }
  }

  private fail(message: string): never {
    this.reset();
    throw new Error(`invalid JSON stream from OVSDB peer: ${message}`);
  }
}

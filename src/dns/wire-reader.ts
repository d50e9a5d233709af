// A bounded reader over rdata and messages: every read checks the remaining length first and
// raises DnsFormatError with the absolute byte offset, so hostile input cannot cause a RangeError.
import { DnsFormatError, type DnsName, nameFromWire, plainBytes } from './name.ts';

/**
 * Reads fields from `buf[start, end)`, refusing to read past `end`. `base` is added to offsets in
 * error messages when `buf` is a copy of rdata taken from a larger message.
 */
export class WireReader {
  pos: number;
  private readonly buf: Uint8Array;
  constructor(
    buf: Uint8Array,
    start: number,
    readonly end: number,
    private readonly base = 0,
    /** When true, bytes() returns views into `buf` instead of copies (for buffers the caller owns). */
    private readonly share = false,
  ) {
    this.buf = plainBytes(buf);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new DnsFormatError(`${what} cut short: needs ${n} bytes, ${this.end - this.pos} left`, this.base + this.pos);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** The next `n` bytes: a copy, or a view when the reader was made with `share`. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return this.share ? this.buf.subarray(start, this.pos) : this.buf.slice(start, this.pos);
  }

  /** Everything up to `end` (copy or view, as bytes()). */
  rest(): Uint8Array {
    return this.bytes(this.end - this.pos, 'data');
  }

  /** A name that must lie within this reader's range (pointers may reach back anywhere). */
  name(what: string, allowCompression: boolean): DnsName {
    try {
      const { name, next } = nameFromWire(this.buf, this.pos, { end: this.end, allowCompression });
      this.pos = next;
      return name;
    } catch (error) {
      if (error instanceof DnsFormatError) throw new DnsFormatError(`${what}: ${error.reason}`, this.base + error.offset);
      throw error;
    }
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new DnsFormatError(`${this.end - this.pos} unexpected bytes after ${what}`, this.base + this.pos);
    }
  }
}

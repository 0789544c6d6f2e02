/** Encodes what goes to the loader and into the kernel's maps: commands, map keys and values. */
import * as L from './layout.js';
import type { StructLayout } from './layout.js';
import { WireError } from './wire.js';

/** Encodes a track/untrack/stats command for the loader's stdin. */
export function encodeCommand(type: number, cmdId: bigint, cgroupId: bigint, session: number): Uint8Array {
  return commandFrame(L.Cmd, type, cmdId).set('cgroup_id', cgroupId).set('session', session).bytes;
}

/** Writes named fields of one struct into a buffer (the inverse of Reader). */
export class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(
    readonly layout: StructLayout,
    size = layout.size,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  private field(n: string): { offset: number; size: number } {
    const f = this.layout.fields[n] ?? L.Header.fields[n];
    if (!f) throw new WireError(`${this.layout.name} has no field ${n}`);
    return f;
  }
  set(n: string, v: number | bigint): this {
    const f = this.field(n);
    if (f.size === 1) this.view.setUint8(f.offset, Number(v));
    else if (f.size === 2) this.view.setUint16(f.offset, Number(v), true);
    else if (f.size === 4) this.view.setUint32(f.offset, Number(v) >>> 0, true);
    else this.view.setBigUint64(f.offset, BigInt(v), true);
    return this;
  }
  put(n: string, data: Uint8Array): this {
    const f = this.field(n);
    if (data.length > f.size) throw new WireError(`${data.length} bytes do not fit ${this.layout.name}.${n}`);
    this.bytes.set(data, f.offset);
    return this;
  }
}

/** A 32-bit map key or value, little-endian as the kernel stores it here. */
export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A command frame with its header filled in. */
export function commandFrame(layout: StructLayout, type: number, cmdId: bigint): Writer {
  return new Writer(layout)
    .set('version', L.WIRE_VERSION)
    .set('type', type)
    .set('size', layout.size)
    .set('cmd_id', cmdId);
}

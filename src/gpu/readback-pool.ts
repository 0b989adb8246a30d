/**
 * Staging buffers for reading results back without stalling: a buffer is taken, copied into,
 * mapped asynchronously, read, unmapped and returned to the pool for the next readback.
 */
export class ReadbackPool {
  readonly #device: GPUDevice;
  readonly #label: string;
  readonly #free: GPUBuffer[] = [];
  readonly #all = new Set<GPUBuffer>();

  constructor(device: GPUDevice, label: string) {
    this.#device = device;
    this.#label = label;
  }

  /** A staging buffer of at least `bytes` bytes (grown in powers of two, so few sizes exist). */
  acquire(bytes: number): GPUBuffer {
    const index = this.#free.findIndex((b) => b.size >= bytes);
    if (index >= 0) return this.#free.splice(index, 1)[0];
    let size = 256;
    while (size < bytes) size *= 2;
    const buffer = this.#device.createBuffer({
      label: `${this.#label}.staging`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.#all.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (buffer.mapState !== 'unmapped') buffer.unmap();
    this.#free.push(buffer);
  }

  get size(): number {
    return this.#all.size;
  }

  destroy(): void {
    for (const buffer of this.#all) buffer.destroy();
    this.#all.clear();
    this.#free.length = 0;
  }
}

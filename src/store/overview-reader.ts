/** The daemon's side of overview-worker.ts: each read sent to the worker thread, answered as a promise. */
import { Worker } from 'node:worker_threads';
import type { StoreOverview } from './overview.js';
import type { OverviewAnswer, OverviewCall } from './overview-worker.js';

type Method = OverviewCall['method'];

export class OverviewReader {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly dbPath: string) {}

  /** Runs StoreOverview[method](...args) on the worker. */
  read<M extends Method>(method: M, ...args: Parameters<StoreOverview[M]>): Promise<ReturnType<StoreOverview[M]>> {
    const worker = this.started();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies OverviewCall);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    /* beside this file in dist/src/store, and in the bundle (an entry of its own) */
    const w = new Worker(new URL('./overview-worker.js', import.meta.url), { workerData: { path: this.dbPath } });
    w.unref();
    w.on('message', (a: OverviewAnswer) => {
      const p = this.pending.get(a.id);
      this.pending.delete(a.id);
      if ('error' in a) p?.reject(new Error(a.error));
      else p?.resolve(a.result);
    });
    /* a worker that failed is replaced at the next read; what it had in hand fails, said */
    const fail = (e: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`the overview reader stopped: ${e.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit ${code}`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

/**
 * The page's side of the worker protocol: sends requests, routes replies to
 * the request they answer, and resolves each request when the worker is done.
 */
import { showError } from './elements';
import type { Reply, Request } from './protocol';

type Body<R> = R extends { id: number } ? Omit<R, 'id'> : never;
type Handler = (reply: Reply) => void;

/** Sends requests to the worker; each resolves when the worker has finished it. */
export class FitWorker {
  readonly #worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  readonly #pending = new Map<number, { handler: Handler; resolve: (stopped: boolean) => void; reject: (error: Error) => void }>();
  #nextId = 1;

  constructor() {
    this.#worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      const entry = this.#pending.get(reply.id);
      if (entry === undefined) return;
      if (reply.type === 'done') {
        this.#pending.delete(reply.id);
        entry.resolve(reply.stopped);
      } else if (reply.type === 'error') {
        this.#pending.delete(reply.id);
        entry.reject(new Error(reply.message));
      } else {
        entry.handler(reply);
      }
    };
    this.#worker.onerror = (event) => {
      // An error outside any request (the worker's code failed to load, say): every request fails.
      const message = `The fitting worker failed: ${event.message || 'it could not be started'}`;
      showError(message);
      for (const entry of this.#pending.values()) entry.reject(new Error(message));
      this.#pending.clear();
    };
  }

  /** The id the next request will get. */
  get nextId(): number {
    return this.#nextId;
  }

  /** Sends a request; `handler` sees its replies before it is done. Resolves with whether it was stopped. */
  send(body: Body<Exclude<Request, { type: 'stop' }>>, handler: Handler = () => undefined, transfer: Transferable[] = []): Promise<boolean> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { handler, resolve, reject });
      this.#worker.postMessage({ ...body, id } as Request, transfer);
    });
  }

  /** Stops every long request sent so far. */
  stopAll(): void {
    this.#worker.postMessage({ type: 'stop', id: this.#nextId - 1 } satisfies Request);
  }
}

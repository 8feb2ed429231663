/**
 * The event bus: fans finished records (commands and the events they caused)
 * out to observers — the recorder, reporters, progress, monitors — in the
 * order the simulator produced them. rxjs lives here, at the edge: translate(),
 * walks and cache lookups never touch it. Observers are synchronous; a
 * throwing observer is isolated and counted, the run goes on.
 */
import { filter, type Observable, Subject } from 'rxjs';
import type { LogRecord } from './log/records.js';

export class EventBus {
  readonly #records = new Subject<LogRecord>();
  #observerErrors = 0;
  /** Count of records published. */
  published = 0;

  /** Every record, in seq order. */
  get records$(): Observable<LogRecord> {
    return this.#records.asObservable();
  }

  /** Records of one type (commands and events share the type namespace). */
  ofType(type: string): Observable<LogRecord> {
    return this.#records.pipe(filter((r) => r.type === type));
  }

  get observerErrors(): number {
    return this.#observerErrors;
  }

  /** Subscribes an observer whose exceptions are contained (counted, not rethrown). */
  observe(next: (r: LogRecord) => void): { unsubscribe(): void } {
    return this.#records.subscribe({
      next: (r) => {
        try {
          next(r);
        } catch {
          this.#observerErrors++;
        }
      },
    });
  }

  publish(record: LogRecord): void {
    this.published++;
    this.#records.next(record);
  }

  /** Ends the stream so reporters can flush. */
  complete(): void {
    this.#records.complete();
  }
}

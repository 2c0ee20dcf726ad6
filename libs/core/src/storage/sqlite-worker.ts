import { Worker } from 'node:worker_threads';
import {
  decodeStored,
  jsonPage,
  type JsonPage,
  type PageShape,
} from './json-page.js';
import { bindable } from './node-sqlite.js';
import { withSqliteCode } from './sqlite-errors.js';

/** A request to the worker thread; `connection` names one of the connections it holds. */
type Request =
  | {
      op: 'open';
      connection: number;
      path: string;
      readOnly: boolean;
      busyTimeoutMs: number;
      pragmas: readonly string[];
    }
  | {
      op: 'all' | 'run' | 'each';
      connection: number;
      sql: string;
      parameters: unknown[];
    }
  | {
      op: 'page';
      connection: number;
      sql: string;
      parameters: unknown[];
      shape: PageShape;
    }
  | { op: 'close'; connection: number };

/** What the worker thread posts back for request `id`: a result, one row of `each`, or an error. */
interface Reply {
  id: number;
  result?: unknown;
  row?: unknown;
  error?: { message: string; errcode?: number; code?: string };
}

/**
 * The worker thread's code. It is self-contained (its source text becomes the worker), so it
 * names nothing from this module, but for the functions it is given (`json-page.ts`, their
 * source text too): `node:sqlite` connections by number, each with its statements prepared
 * once (least recently used ones dropped first past 64).
 */
function sqliteWorkerThread(
  decode: typeof decodeStored,
  page: typeof jsonPage,
): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  type Open = {
    database: InstanceType<typeof DatabaseSync>;
    statements: Map<
      string,
      ReturnType<InstanceType<typeof DatabaseSync>['prepare']>
    >;
  };
  const connections = new Map<number, Open>();
  const prepared = (open: Open, sql: string) => {
    let statement = open.statements.get(sql);
    if (statement) open.statements.delete(sql);
    else statement = open.database.prepare(sql);
    open.statements.set(sql, statement);
    if (open.statements.size > 64)
      open.statements.delete(open.statements.keys().next().value as string);
    return statement;
  };
  parentPort!.on('message', (message: { id: number; request: Request }) => {
    const { id, request } = message;
    try {
      if (request.op === 'open') {
        const database = new DatabaseSync(request.path, {
          readOnly: request.readOnly,
          timeout: request.busyTimeoutMs,
        });
        for (const pragma of request.pragmas) database.exec(pragma);
        connections.set(request.connection, {
          database,
          statements: new Map(),
        });
        return parentPort!.postMessage({ id });
      }
      const open = connections.get(request.connection);
      if (!open) throw new Error('SQLITE_MISUSE: the connection is closed');
      if (request.op === 'close') {
        connections.delete(request.connection);
        open.database.close();
        return parentPort!.postMessage({ id });
      }
      const statement = prepared(open, request.sql);
      const parameters = request.parameters as never[];
      if (request.op === 'all')
        return parentPort!.postMessage({
          id,
          result: statement.all(...parameters),
        });
      if (request.op === 'page') {
        // Rows as arrays: a third cheaper to read than objects. (Not `iterate`: stepping row
        // by row costs a third more than reading them all.)
        statement.setReturnArrays(true);
        try {
          const rows = statement.all(...parameters) as unknown as unknown[][];
          const columns = statement.columns().map((column) => column.name);
          return parentPort!.postMessage({
            id,
            result: page({ columns, rows }, request.shape, decode),
          });
        } finally {
          statement.setReturnArrays(false);
        }
      }
      if (request.op === 'run')
        return parentPort!.postMessage({
          id,
          result: Number(statement.run(...parameters).changes),
        });
      for (const row of statement.iterate(...parameters))
        parentPort!.postMessage({ id, row });
      parentPort!.postMessage({ id });
    } catch (caught) {
      const error = caught as Error & { errcode?: number; code?: string };
      parentPort!.postMessage({
        id,
        error: {
          message: error.message,
          errcode: error.errcode,
          code: error.code,
        },
      });
    }
  });
}

/** The worker thread's young generation, at most (see `SqliteWorker.started`). */
const WORKER_YOUNG_GENERATION_MB = 4;

interface Pending {
  /** The thread the request went to: only its death fails the request. */
  worker: Worker;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  onRow?: (row: unknown) => void;
}

/**
 * A thread of its own for SQLite work whose cost grows with the data (lists, counts, checksums,
 * snapshots), so that it never holds up the event loop. It runs `node:sqlite`, the same copy of
 * SQLite as the node's other connections (a worker thread shares the process). Started on first
 * use (~25 ms); it does not keep the process alive while idle, and it ends once it holds no
 * connection and answers no request, which gives back its heap (~13 MiB of an idle node's RSS);
 * a thread that died is started again.
 */
export class SqliteWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextConnection = 1;
  /** Counts the threads started: a connection belongs to the thread that opened it. */
  private generation = 0;
  /** Connections open (or opening) in the current thread. */
  private connections = 0;

  /** Whether a thread runs now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Opens a connection in the worker thread. */
  async open(
    path: string,
    options: { readOnly: boolean; busyTimeoutMs: number },
    pragmas: readonly string[],
  ): Promise<SqliteWorkerConnection> {
    const connection = this.nextConnection++;
    // Counted from now: the thread must not end between the open and its first statement.
    const worker = this.started();
    const generation = this.generation;
    this.connections++;
    try {
      await this.request({ op: 'open', connection, path, ...options, pragmas });
    } catch (error) {
      this.closed(generation, worker);
      throw error;
    }
    return new SqliteWorkerConnection(this, connection, generation);
  }

  /** Closes a connection of `generation`; a thread with nothing left to do ends. */
  async close(connection: number, generation: number): Promise<void> {
    if (!this.runs(generation)) return;
    const worker = this.worker!;
    try {
      await this.request({ op: 'close', connection });
    } finally {
      this.closed(generation, worker);
    }
  }

  /** Ends the thread; requests in flight fail. */
  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  /** Whether the thread that opened connections of `generation` still runs. */
  runs(generation: number): boolean {
    return this.worker !== null && this.generation === generation;
  }

  request(request: Request, onRow?: (row: unknown) => void): Promise<unknown> {
    const worker = this.started();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject, onRow });
      worker.postMessage({ id, request });
    });
  }

  /** A connection of the thread of `generation` is gone; the thread ends if idle. */
  private closed(generation: number, worker: Worker): void {
    if (!this.runs(generation) || --this.connections > 0) return;
    if (this.pending.size > 0) return;
    this.worker = null;
    this.connections = 0;
    worker.removeAllListeners();
    void worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const source = `(${sqliteWorkerThread.toString()})(${decodeStored.toString()}, ${jsonPage.toString()})`;
    const worker = new Worker(source, {
      eval: true,
      // Its objects are rows on their way to the main thread: a small young generation keeps
      // the thread at a few MiB (V8's default let it commit ~70 MiB under list load).
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    worker.unref();
    this.generation++;
    this.connections = 0;
    worker.on('message', (reply: Reply) => this.settle(worker, reply));
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) =>
      this.fail(
        worker,
        new Error(`SQLITE_MISUSE: the SQLite worker thread exited (${code})`),
      ),
    );
    this.worker = worker;
    return worker;
  }

  private settle(worker: Worker, reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.row !== undefined) return pending.onRow?.(reply.row);
    this.pending.delete(reply.id);
    if (this.pending.size === 0) worker.unref();
    if (!reply.error) return pending.resolve(reply.result);
    const { message, errcode, code } = reply.error;
    pending.reject(
      withSqliteCode(
        Object.assign(new Error(message), { errcode, code }),
      ) as Error,
    );
  }

  /** The thread died: what it was doing fails, and the next request starts another. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    for (const [id, pending] of this.pending) {
      if (pending.worker !== worker) continue;
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}

/** A connection held by the worker thread; its calls run there, in the order made. */
export class SqliteWorkerConnection {
  constructor(
    private readonly worker: SqliteWorker,
    private readonly connection: number,
    private readonly generation: number,
  ) {}

  /** False once its thread has died (a fault, not a statement's): open another. */
  get open(): boolean {
    return this.worker.runs(this.generation);
  }

  async all<T>(sql: string, parameters: readonly unknown[] = []): Promise<T[]> {
    return (await this.call('all', sql, parameters)) as T[];
  }

  /** The rows of a query as a page of the answer, serialized in the worker thread. */
  async page(
    sql: string,
    parameters: readonly unknown[],
    shape: PageShape,
  ): Promise<JsonPage> {
    return (await this.worker.request({
      op: 'page',
      connection: this.connection,
      sql,
      parameters: parameters.map(bindable),
      shape,
    })) as JsonPage;
  }

  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  async run(sql: string, parameters: readonly unknown[] = []): Promise<number> {
    return (await this.call('run', sql, parameters)) as number;
  }

  /** Calls `onRow` with each row as the worker steps to it. */
  async each<T>(
    sql: string,
    parameters: readonly unknown[],
    onRow: (row: T) => void,
  ): Promise<void> {
    await this.call('each', sql, parameters, onRow as (row: unknown) => void);
  }

  /** Closes it (nothing to do once its thread has died); the thread ends if it has no other. */
  close(): Promise<void> {
    return this.worker.close(this.connection, this.generation);
  }

  private call(
    op: 'all' | 'run' | 'each',
    sql: string,
    parameters: readonly unknown[],
    onRow?: (row: unknown) => void,
  ): Promise<unknown> {
    return this.worker.request(
      {
        op,
        connection: this.connection,
        sql,
        parameters: parameters.map(bindable),
      },
      onRow,
    );
  }
}

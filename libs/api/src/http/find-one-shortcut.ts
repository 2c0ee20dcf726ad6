import {
  Inject,
  Injectable,
  Scope,
  type ExceptionFilter,
  type Type,
} from '@nestjs/common';
import {
  ExternalContextCreator,
  HttpAdapterHost,
  ModuleRef,
} from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { ENTITY_ID_PATTERN } from '@clusterlite/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The entity controller of each table, by table name (what `ApiModule` built). */
export const ENTITY_CONTROLLERS = Symbol('clusterlite.entity-controllers');

/** What the shortcut calls on an entity controller: its `GET /{table}/:id` handler. */
interface FindOneHandler {
  findOne(request: Request, response: Response): Promise<unknown>;
}

type GuardedFindOne = (
  request: Request,
  response: Response,
  next: NextFunction,
) => Promise<unknown>;

/**
 * `GET /{table}/{id}`, the most frequent request, answered ahead of Nest's router: the
 * Express router would try the path against every route of the node first, and Nest's
 * router adds its own promise chain around the handler. The shortcut calls the same
 * controller handler, through Nest's `ExternalContextCreator`, so the same guards (access
 * control, rate limit) and interceptors run with the same execution context (class and
 * handler); errors go to the same exception filter, a 304 through the same adapter `reply`,
 * and a row as `res.json()` sends it. Anything it does not recognise as a plain read of a row
 * (another method, HEAD, an id with escapes, a table name in capitals, a trailing slash) goes
 * on to Nest. test/e2e/find-one-shortcut.e2e-spec.ts compares both ways.
 */
@Injectable()
export class FindOneShortcut {
  private routes: Map<string, GuardedFindOne> | null = null;

  constructor(
    @Inject(ENTITY_CONTROLLERS)
    private readonly controllers: ReadonlyMap<string, Type<FindOneHandler>>,
    private readonly contexts: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * The Express middleware, to be installed where Nest's router will be (just before
   * `app.init()`); `filter` is the application's exception filter.
   */
  middleware(filter: ExceptionFilter): RequestHandler {
    return (request, response, next) => {
      if (request.method !== 'GET') return next();
      const target = rowOf(request.url);
      const findOne = target && this.routesByTable().get(target.table);
      if (!findOne) return next();
      request.params = { id: target.id };
      // What Nest's router does before a GET handler: the default status.
      response.status(200);
      findOne(request, response, next)
        .then((row) =>
          row === undefined
            ? this.adapterHost.httpAdapter.reply(response, row)
            : sendJson(response, row),
        )
        // As Nest's router proxy hands an error to the exception filters.
        .catch((error: unknown) =>
          filter.catch(
            error,
            new ExecutionContextHost([request, response, next]),
          ),
        );
    };
  }

  /**
   * The guarded handlers, made on the first request: by then every global guard and
   * interceptor is registered, as when Nest's router made its own. They are the singletons;
   * a controller made per request (one that injects a request-scoped provider) is left to
   * Nest's router, which makes one for each request. Request-scoped guards or interceptors
   * would need the same; the node has none.
   */
  private routesByTable(): Map<string, GuardedFindOne> {
    if (this.routes) return this.routes;
    this.routes = new Map();
    for (const [table, type] of this.controllers) {
      if (this.moduleRef.introspect(type).scope !== Scope.DEFAULT) continue;
      const controller = this.moduleRef.get(type, { strict: true });
      // The method itself, as Nest's router takes it: guards read their metadata from it.
      const findOne = Reflect.get(type.prototype, 'findOne') as (
        ...args: unknown[]
      ) => unknown;
      this.routes.set(
        table,
        this.contexts.create(
          controller,
          findOne,
          'findOne',
          undefined,
          undefined,
          undefined,
          undefined,
          { guards: true, interceptors: true, filters: false },
        ) as GuardedFindOne,
      );
    }
    return this.routes;
  }
}

/**
 * What `response.json(row)` sends with Express's default JSON settings (as the node has
 * them), written at once: the same content type, length and bytes, without looking the
 * settings up again, parsing the content type back, or a body freshness check that the
 * endpoint's own If-None-Match already made.
 */
function sendJson(response: Response, row: unknown): void {
  const json = JSON.stringify(row);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json));
  response.end(json);
}

/** The table and id of `/{table}/{id}` (query aside), when the id is a plain one; else null. */
function rowOf(url: string): { table: string; id: string } | null {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const slash = path.indexOf('/', 1);
  if (slash === -1) return null;
  const id = path.slice(slash + 1);
  return ENTITY_ID_PATTERN.test(id)
    ? { table: path.slice(1, slash), id }
    : null;
}

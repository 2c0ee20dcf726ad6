import {
  Inject,
  Injectable,
  Scope,
  type ExceptionFilter,
  type Type,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import {
  ExternalContextCreator,
  HttpAdapterHost,
  ModuleRef,
  ModulesContainer,
} from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { RouteParamsFactory } from '@nestjs/core/router/route-params-factory.js';
import { ENTITY_ID_PATTERN } from '@clusterlite/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ENTITY_CONTROLLERS } from './find-one-shortcut.js';

/** The write handlers of an entity controller the shortcut calls, by HTTP method. */
const HANDLERS = { POST: 'create', PUT: 'replace', PATCH: 'patch' } as const;
type WriteMethod = keyof typeof HANDLERS;

type GuardedWrite = (
  request: Request,
  response: Response,
  next: NextFunction,
) => Promise<unknown>;

/** Nest's route parameters (`@Body()`, `@Param()`, `@Req()`, ...) from the raw arguments. */
const routeParams = new RouteParamsFactory();
const paramsFactory = {
  exchangeKeyForValue: (
    type: number,
    data: string,
    [req, res, next]: [Request, Response, NextFunction],
  ): unknown => routeParams.exchangeKeyForValue(type, data, { req, res, next }),
};

/**
 * `POST /{table}`, `PUT /{table}/{id}` and `PATCH /{table}/{id}` answered ahead of Nest's
 * router, as `FindOneShortcut` answers reads: the Express router would try the path against
 * every route of the node first, and Nest's router adds its promise chain and `res.json()`
 * (content-type and freshness look-ups) around the handler. The shortcut calls the same
 * controller handler through Nest's `ExternalContextCreator` with Nest's own route parameters,
 * so the same guards (access control, rate limit, `JsonBodyGuard`), interceptors and pipes
 * (the global ValidationPipe on PUT/PATCH bodies) run with the same execution context; errors
 * go to the same exception filter. The route's status (`@HttpCode(202)`) is set first, as
 * Nest's router sets it; the handler may set another (201/200 with `Prefer`). Anything else
 * (DELETE, an id with escapes, a table name in capitals, a trailing slash, a request-scoped
 * controller) goes on to Nest. test/e2e/write-shortcut.e2e-spec.ts compares both ways.
 */
@Injectable()
export class WriteShortcut {
  private routes: Map<string, GuardedWrite> | null = null;

  constructor(
    @Inject(ENTITY_CONTROLLERS)
    private readonly controllers: ReadonlyMap<string, Type<unknown>>,
    private readonly contexts: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
    private readonly modules: ModulesContainer,
  ) {}

  /** The Express middleware, installed where Nest's router will be; `filter` is the app's filter. */
  middleware(filter: ExceptionFilter): RequestHandler {
    return (request, response, next) => {
      const method = request.method;
      if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH')
        return next();
      const target = targetOf(request.url, method === 'POST');
      const write =
        target && this.routesByKey().get(`${method} ${target.table}`);
      if (!write) return next();
      request.params = target.id === null ? {} : { id: target.id };
      response.status(202);
      write(request, response, next)
        .then((body) =>
          body === undefined
            ? this.adapterHost.httpAdapter.reply(response, body)
            : sendJson(response, body),
        )
        .catch((error: unknown) =>
          filter.catch(
            error,
            new ExecutionContextHost([request, response, next]),
          ),
        );
    };
  }

  /** The guarded handlers by `METHOD table`, made on the first request (see FindOneShortcut). */
  private routesByKey(): Map<string, GuardedWrite> {
    if (this.routes) return this.routes;
    this.routes = new Map();
    // ExternalContextCreator looks for the host's module among providers; a controller is
    // found among controllers, so that guards of its own (JsonBodyGuard) resolve in its module.
    const contexts = Object.create(this.contexts) as ExternalContextCreator;
    contexts.getContextModuleKey = (type) => {
      for (const [key, module] of this.modules)
        if (type && module.controllers.has(type)) return key;
      return this.contexts.getContextModuleKey(type);
    };
    for (const [table, type] of this.controllers) {
      if (this.moduleRef.introspect(type).scope !== Scope.DEFAULT) continue;
      const controller = this.moduleRef.get(type, { strict: true }) as object;
      for (const [method, name] of Object.entries(HANDLERS) as [
        WriteMethod,
        string,
      ][]) {
        // The method itself, as Nest's router takes it: guards read their metadata from it.
        const handler = Reflect.get(type.prototype as object, name) as (
          ...args: unknown[]
        ) => unknown;
        this.routes.set(
          `${method} ${table}`,
          contexts.create(
            controller,
            handler,
            name,
            ROUTE_ARGS_METADATA,
            paramsFactory as never,
            undefined,
            undefined,
            { guards: true, interceptors: true, filters: false },
          ) as GuardedWrite,
        );
      }
    }
    return this.routes;
  }
}

/** As `response.json(body)` sends a JSON object with Express's default settings, at once. */
function sendJson(response: Response, body: unknown): void {
  const json = JSON.stringify(body);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json));
  response.end(json);
}

/**
 * The table (and id) of `/{table}` for a create or `/{table}/{id}` otherwise, query aside,
 * when the path is exactly that with a plain id; else null.
 */
function targetOf(
  url: string,
  create: boolean,
): { table: string; id: string | null } | null {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const slash = path.indexOf('/', 1);
  if (create) return slash === -1 ? { table: path.slice(1), id: null } : null;
  if (slash === -1) return null;
  const id = path.slice(slash + 1);
  return ENTITY_ID_PATTERN.test(id)
    ? { table: path.slice(1, slash), id }
    : null;
}

import { Logger, type INestApplication, type LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { NodeConfig } from '@clusterlite/core';
import {
  BodyValidationPipe,
  POSITION_HEADER,
  ProblemDetailsFilter,
  RouteShortcuts,
} from '@clusterlite/api';
import { EventLogTransport } from '@clusterlite/event-log';
import { ProjectionService, ResumeGuard } from '@clusterlite/projection';
import { EntityRegistry, closeRequestSchemas } from '@clusterlite/registry';
import cors from 'cors';
import type { NextFunction, Request, Response } from 'express';
import { serveConsoleAssets } from './console/console-assets.js';
import { AccessModule } from './access/access.module.js';
import { BEARER_SCHEME, declareRoles } from './access/openapi-security.js';

const LEVELS: LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'log',
  'debug',
  'verbose',
];

export function logLevelsFor(config: NodeConfig): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1);
}

/**
 * Everything around the modules that makes a node: body limits, CORS, error
 * format, validation, OpenAPI docs and the projection's transport. Called by
 * `createNodeApp()`, which `main.ts` and the end-to-end tests share.
 */
export async function configureNode(
  app: NestExpressApplication,
  config: NodeConfig,
): Promise<void> {
  // ETags are row versions, set by the entity routes; Express's body hashes would blur that.
  app.set('etag', false);
  app.disable('x-powered-by');
  // Who the client is behind a proxy (rate limits and feeds per client count by address).
  app.set('trust proxy', trustProxySetting(config.trustProxy));
  // Which node answered, behind any load balancer.
  const nodeHeader = (
    _request: Request,
    response: Response,
    next: NextFunction,
  ) => {
    response.setHeader('X-ClusterLite-Node', config.nodeId);
    next();
  };
  const corsOptions = {
    origin: corsOrigins(config),
    // Joined once: the cors package joins an array on every request.
    exposedHeaders: [
      'Location',
      'ETag',
      'Link',
      'Retry-After',
      'X-Total-Count',
      'X-Total-Count-Capped',
      'Idempotent-Replayed',
      POSITION_HEADER,
      'Preference-Applied',
      'X-ClusterLite-Upstream',
      'X-ClusterLite-Node',
    ].join(','),
  };
  const filter = new ProblemDetailsFilter();
  const shortcuts = app.get(RouteShortcuts);
  // Reads by id first of all, with the same headers as below (the middleware Nest's
  // enableCors installs: the cors package, with the same options).
  app.use(shortcuts.readsFirst(filter, [nodeHeader, cors(corsOptions)]));
  app.use(nodeHeader);
  app.useBodyParser('json', {
    limit: config.bodyLimit,
    type: ['application/json', 'application/*+json'],
    // Any JSON value parses; the write routes then say which kind they expect (`null` is valid JSON).
    strict: false,
  });
  // Body-parser errors (malformed JSON, too large) happen before routing; answer them as problems too.
  app.use(
    (
      error: unknown,
      request: Request,
      response: Response,
      next: NextFunction,
    ) => {
      if (!error) return next();
      filter.catch(error, {
        getType: () => 'http',
        switchToHttp: () => ({
          getRequest: () => request,
          getResponse: () => response,
          getNext: () => next,
        }),
      } as never);
    },
  );
  app.enableCors(corsOptions);
  serveConsoleAssets(app);
  app.useGlobalFilters(filter);
  // ValidationPipe (whitelist, forbidNonWhitelisted, transform) with a fast way for valid bodies.
  app.useGlobalPipes(new BodyValidationPipe());
  setUpOpenApi(app);
  AccessModule.announce(config);
  app.enableShutdownHooks();
  // Where Nest's router goes (app.init() adds it): after every middleware, ahead of every route.
  app.use(shortcuts.middleware(filter));
  await app.init();
  const transport = app.get(EventLogTransport);
  app.connectMicroservice(
    {
      strategy: transport.server(
        app.get(ProjectionService),
        app.get(ResumeGuard),
      ),
    },
    { inheritAppConfig: false },
  );
  await transport.consumeWhenReady(() => app.startAllMicroservices());
}

/**
 * The one line a node prints once it listens: where, in which mode, with which file, and
 * where its docs and console are. Embedded mode says that it does not replicate.
 */
export function announceNode(config: NodeConfig, port: number): void {
  const url = `http://localhost:${port}`;
  const mode =
    config.mode === 'embedded'
      ? 'embedded mode (no Kafka: does NOT replicate; set KAFKA_BROKERS to run as a cluster node)'
      : `cluster mode (Kafka ${config.kafkaBrokers.join(',')} over ${config.kafkaSecurity}, group ${config.consumerGroup})`;
  const line = `${config.nodeId} listening on ${url} · ${mode} · file ${config.dbPath} · docs ${url}/docs · console ${url}/_console/`;
  const logger = new Logger('ClusterLite');
  if (config.mode === 'embedded') logger.warn(line);
  else logger.log(line);
  if (config.kafkaSasl?.mechanism === 'plain' && !config.kafkaTls)
    logger.warn(
      'KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true sends the password in clear text',
    );
}

/**
 * Swagger UI at /docs and the document at /docs-json and /docs-yaml. The document is built on
 * the first request for it, not at start: scanning every route and holding the result costs a
 * node memory it does not need until someone reads the docs. Built once, then served as is.
 */
function setUpOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    // The token typed into Authorize survives a reload of the page.
    swaggerOptions: { persistAuthorization: true },
  });
}

/** The node's OpenAPI document: every route, the roles each needs, closed request schemas. */
function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ClusterLite')
      .setDescription(
        'A distributed SQLite database behind a generic REST API. Writes are events on a replicated log; ' +
          "every node applies every event to its own SQLite file. A write answers `202` with the event's " +
          '`position`; send it back on a read (`ClusterLite-Position` header or `position` query parameter) ' +
          'to read your writes through any node. Errors are RFC 9457 problem details.',
      )
      .setVersion('1')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key of the node (API_KEYS), or a JWT signed with JWT_SECRET (HS256) whose `role` claim is `read`, `write` or `admin`. Without either the node is open.',
        },
        BEARER_SCHEME,
      )
      .build(),
  );
  declareRoles(document);
  closeRequestSchemas(
    document.components?.schemas,
    app.get(EntityRegistry).all(),
  );
  return document;
}

/**
 * Origins allowed to call the node from a browser. Open nodes allow any, as the
 * original did (invariant 8). With API keys only the origins CORS_ORIGIN lists
 * explicitly; `*` then allows none, so no web page a user visits can use the
 * user's key.
 */
function corsOrigins(config: NodeConfig): string[] | '*' | false {
  if (!config.accessControl)
    return config.corsOrigin === '*' ? '*' : config.corsOrigin.split(',');
  const listed = config.corsOrigin
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '' && origin !== '*');
  return listed.length > 0 ? listed : false;
}

/** TRUST_PROXY as Express takes it: `true`/`false`, a hop count, or addresses and subnet names. */
function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

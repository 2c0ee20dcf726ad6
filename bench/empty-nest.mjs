// The HTTP stack's ceiling for `npm run bench`: a Nest 12 application on Express (the
// platform the nodes use) with one empty route, GET /ping → 200 {"ok":true}. No database,
// no Kafka, no validation pipe, no body parser, Nest's logger off.
//
//   PORT=9000 node bench/empty-nest.mjs      (prints "listening <port>" when ready)
//
// Plain .mjs: the decorators are applied by hand, exactly as TypeScript would.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class PingController {
  ping() {
    return { ok: true };
  }
}
Controller()(PingController);
Get('ping')(
  PingController.prototype,
  'ping',
  /** @type {PropertyDescriptor} */ (
    Object.getOwnPropertyDescriptor(PingController.prototype, 'ping')
  ),
);
Reflect.defineMetadata(
  'design:paramtypes',
  [],
  PingController.prototype,
  'ping',
);

class PingModule {}
Module({ controllers: [PingController] })(PingModule);

/** @type {import('@nestjs/platform-express').NestExpressApplication} */
const app = await NestFactory.create(PingModule, {
  logger: false,
  bodyParser: false,
});
app.disable('x-powered-by');
app.set('etag', false);
const port = Number(process.env.PORT ?? 0);
await app.listen(port, '127.0.0.1');
const address = app.getHttpServer().address();
process.stdout.write(
  `listening ${typeof address === 'object' && address ? address.port : port}\n`,
);

const shutdown = () => void app.close().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  Sse,
  type MessageEvent,
  UseGuards,
  applyDecorators,
  type Type,
} from '@nestjs/common';
import { ApiExtraModels, ApiTags, PartialType } from '@nestjs/swagger';
import type { EntityDefinition } from '@clusterlite/registry';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import {
  CreateDocs,
  PatchDocs,
  RemoveDocs,
  ReplaceDocs,
} from './openapi/write-route-docs.js';
import {
  ChangesDocs,
  EventFateDocs,
  FindOneDocs,
  HistoryDocs,
  ListDocs,
} from './openapi/read-route-docs.js';
import type { RouteDocsContext } from './openapi/route-docs-context.js';
import { EntityReadEndpoints } from './entity-read-endpoints.js';
import { EntityWriteEndpoints } from './entity-write-endpoints.js';
import { ProblemDetailsDto } from './http/problem-details.js';
import { endpointRequest, send } from './http/endpoint-http.js';
import { JsonBodyGuard } from './json-body.guard.js';
import { type TableTopics } from './parameter-schemas.js';
import { EntityChangeDto, WriteAcceptedDto } from './entity-http.dto.js';

/**
 * Builds the CRUD controller of one table. The class is made at runtime, so
 * its handlers get `design:paramtypes` set by hand: ValidationPipe and the
 * OpenAPI scanner read the body and query DTOs from there.
 */
export function createEntityController(
  definition: EntityDefinition,
  topics: TableTopics,
): Type<unknown> {
  const { table, createDto, replaceDto, patchDto, rowDto } = definition;
  const label = definition.target.name;
  // What a list answers with `fields=`: any subset of a row's columns.
  const selectionDto = PartialType(rowDto as Type<object>);
  Object.defineProperty(selectionDto, 'name', { value: `${label}Selection` });
  const docs: RouteDocsContext = { definition, topics, label, selectionDto };

  @ApiTags(table)
  @ApiExtraModels(
    ProblemDetailsDto,
    EntityChangeDto,
    WriteAcceptedDto,
    rowDto,
    selectionDto,
    createDto,
  )
  @Controller(table)
  class EntityController {
    constructor(
      @Inject(EntityReadEndpoints) private readonly reads: EntityReadEndpoints,
      @Inject(EntityWriteEndpoints)
      private readonly writes: EntityWriteEndpoints,
    ) {}

    @Post()
    @HttpCode(202)
    @CreateDocs(docs)
    @UseGuards(JsonBodyGuard)
    create(
      @Body() body: unknown,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.writes.create(definition, body, endpointRequest(request)),
      );
    }

    @Get()
    @ListDocs(docs)
    list(
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.reads.list(definition, query, endpointRequest(request)),
      );
    }

    @Sse('_changes')
    @ChangesDocs(docs)
    changes(
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
    ): Observable<MessageEvent> {
      return this.reads.changes(definition, query, request);
    }

    @Get('_events/:eventId')
    @EventFateDocs()
    eventFate(@Param('eventId') eventId: string) {
      return this.reads.eventFate(definition, eventId);
    }

    /** Also called by `RouteShortcuts`, with the same guards, ahead of Nest's router. */
    @Get(':id')
    @FindOneDocs(docs)
    findOne(
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.reads.findOne(
          definition,
          request.params.id as string,
          request.query,
          endpointRequest(request),
        ),
      );
    }

    history(
      @Param('id') id: string,
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.reads.history(definition, id, query, endpointRequest(request)),
      );
    }

    @Put(':id')
    @HttpCode(202)
    @ReplaceDocs(docs)
    @UseGuards(JsonBodyGuard)
    replace(
      @Param('id') id: string,
      @Body() body: object,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.writes.replace(definition, id, body, endpointRequest(request)),
      );
    }

    @Patch(':id')
    @HttpCode(202)
    @PatchDocs(docs)
    @UseGuards(JsonBodyGuard)
    patch(
      @Param('id') id: string,
      @Body() body: object,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.writes.patch(definition, id, body, endpointRequest(request)),
      );
    }

    @Delete(':id')
    @HttpCode(202)
    @RemoveDocs(docs)
    remove(
      @Param('id') id: string,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return send(
        response,
        this.writes.remove(definition, id, endpointRequest(request)),
      );
    }
  }

  if (definition.keepsHistory) {
    // Only tables that keep history have the route.
    const descriptor = Object.getOwnPropertyDescriptor(
      EntityController.prototype,
      'history',
    )!;
    applyDecorators(Get(':id/history'), HistoryDocs(docs))(
      EntityController.prototype,
      'history',
      descriptor,
    );
  }

  const handlerParameters: Record<string, unknown[]> = {
    // Validated by the endpoint, which also takes arrays (bulk).
    create: [Object, Object, Object],
    list: [Object, Object, Object],
    changes: [Object, Object],
    // Read queries are checked by the endpoint (one optional parameter; the pipe would cost more than the read).
    history: [String, Object, Object, Object],
    eventFate: [String],
    findOne: [Object, Object],
    replace: [String, replaceDto, Object, Object],
    patch: [String, patchDto, Object, Object],
    remove: [String, Object, Object],
  };
  for (const [handler, types] of Object.entries(handlerParameters)) {
    Reflect.defineMetadata(
      'design:paramtypes',
      types,
      EntityController.prototype,
      handler,
    );
  }
  Object.defineProperty(EntityController, 'name', {
    value: `${label}Controller`,
  });
  return EntityController;
}

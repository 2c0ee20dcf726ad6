import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
  RequestValidationError,
  checkPageQuery,
} from '@clusterlite/api';
import {
  DeadLetterRedriveError,
  NodeConfig,
  SqliteReader,
  decodeEvent,
  decodeStored,
  nextPageAfter,
  uuidV7,
  type DeadLetterRecord,
  type PageShape,
} from '@clusterlite/core';
import { CommandService } from '@clusterlite/command';
import { parseDeadLetterId } from '@clusterlite/projection';
import { EntityRegistry } from '@clusterlite/registry';
import type { Response } from 'express';

/** A dead letter's id: its position on the log, `topic:partition:offset`. */
const DEAD_LETTER_ID = /^[A-Za-z0-9._-]+:\d{1,9}:\d{1,15}$/;
const DEFAULT_DEAD_LETTER_PAGE = 100;
const MAX_DEAD_LETTER_PAGE = 1000;
/** A dead letter's columns, in answer order: the message is stored as base64. */
const DEAD_LETTER_COLUMNS: PageShape['columns'] = [
  ['id', 'value'],
  ['reason', 'value'],
  ['payload', 'base64'],
  ['redrivenBy', 'value'],
];

class DeadLetterDto {
  @ApiProperty({
    example: 'clusterlite.products:0:41',
    description: 'Its position on the log: topic:partition:offset',
  })
  id: string;
  @ApiProperty({ example: 'unknown field "color"' }) reason: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The message as text (UTF-8)',
  })
  payload: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Event id of the re-drive, once every node applies it; null until then',
  })
  redrivenBy: string | null;
}

class RedriveReceiptDto {
  @ApiProperty({ example: 'clusterlite.products:0:41' }) deadLetter: string;
  @ApiProperty({ description: 'The new event id' }) eventId: string;
  @ApiProperty({
    example: 'clusterlite.products:0:57',
    description: 'Position of the new event on the log',
  })
  position: string;
}

/**
 * Dead letters of this node, and their re-drive: the event goes back through
 * the log as a new event (same content, new event id, `redriveOf`), so every
 * node applies it in log order.
 */
@ApiTags('cluster')
@Controller('_cluster/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly reader: SqliteReader,
    private readonly commands: CommandService,
    private readonly registry: EntityRegistry,
    private readonly config: NodeConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Messages this node set aside (invariant 6)',
    description:
      'In log order, a page at a time (`limit`, or fewer when they pass MAX_PAGE_CHARS characters): follow `Link: rel="next"`.',
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_DEAD_LETTER_PAGE,
      default: DEFAULT_DEAD_LETTER_PAGE,
    },
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description:
      'Dead letters after this one (the `Link` of the previous page)',
    schema: { type: 'string', pattern: DEAD_LETTER_ID.source },
  })
  @ApiOkResponse({
    type: [DeadLetterDto],
    headers: {
      Link: {
        description: 'Next page, when there may be one: `<...>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  @ApiResponse({
    status: 400,
    description:
      'An unknown parameter, a limit out of range or an `after` that is no id',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  })
  async list(
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    const { limit, after } = parseDeadLetterPage(query);
    // Read and serialized in the SQLite worker thread: the list grows with what was set aside.
    const page = await this.reader.readPage<{ id: string }>(
      'SELECT "topic" || \':\' || "partition" || \':\' || "offset" AS "id", "reason", "payload", "redrivenBy" ' +
        'FROM "_clusterlite_dead_letters" WHERE ("topic", "partition", "offset") > (?, ?, ?) ' +
        'ORDER BY "topic", "partition", "offset" LIMIT ?',
      [
        after?.topic ?? '',
        after?.partition ?? -1,
        Number(after?.offset ?? -1),
        limit,
      ],
      {
        columns: DEAD_LETTER_COLUMNS,
        fields: null,
        maxChars: this.config.maxPageChars,
      },
    );
    const last = nextPageAfter(page, limit);
    if (last) {
      const next = new URLSearchParams({
        limit: String(limit),
        after: last.id,
      });
      response.setHeader(
        'Link',
        `</_cluster/dead-letters?${next.toString()}>; rel="next"`,
      );
    }
    response.type('application/json');
    return page.json;
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Sends a dead-lettered event back through the log as a new event, to the topic of its table',
  })
  @ApiAcceptedResponse({ type: RedriveReceiptDto })
  @ApiParam({
    name: 'id',
    description:
      'The dead letter, as `GET /_cluster/dead-letters` names it: topic:partition:offset',
    schema: { type: 'string', pattern: DEAD_LETTER_ID.source },
  })
  @ApiResponse({
    status: 400,
    description: 'The id is not topic:partition:offset',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  })
  @ApiResponse({
    status: 404,
    description: 'No dead letter with this id',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  })
  @ApiResponse({
    status: 409,
    description: 'Already re-driven, or the message is not an event',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  })
  async retry(@Param('id') id: string): Promise<RedriveReceiptDto> {
    if (!DEAD_LETTER_ID.test(id))
      throw new RequestValidationError([
        { field: 'id', messages: ['id must be topic:partition:offset'] },
      ]);
    const source = parseDeadLetterId(id);
    const [row]: DeadLetterRecord[] = source
      ? await this.reader.readByKey<DeadLetterRecord>(
          'SELECT * FROM "_clusterlite_dead_letters" WHERE "topic" = ? AND "partition" = ? AND "offset" = ?',
          [source.topic, source.partition, source.offset],
        )
      : [];
    if (!row) {
      throw new DeadLetterRedriveError(
        'dead-letter-not-found',
        `No dead letter "${id}" on this node`,
      );
    }
    if (row.redrivenBy) {
      throw new DeadLetterRedriveError(
        'dead-letter-already-redriven',
        `Dead letter "${id}" was already re-driven by event ${row.redrivenBy}`,
      );
    }
    let original;
    try {
      original = decodeEvent(
        decodeStored('base64', row.payload) as string | null,
      );
    } catch (error) {
      throw new DeadLetterRedriveError(
        'dead-letter-not-an-event',
        `Dead letter "${id}" is not an event (${(error as Error).message}); it cannot be re-driven`,
      );
    }
    const definition = this.registry.resolve(original.table);
    if (!definition) {
      throw new DeadLetterRedriveError(
        'dead-letter-not-an-event',
        `Dead letter "${id}" is an event of table "${original.table}", which this node does not have`,
      );
    }
    const event = {
      ...original,
      eventId: uuidV7(),
      // Nodes whose code has an older schema of the table stop instead of dead-lettering it again.
      schemaVersion: Math.max(original.schemaVersion, definition.schemaVersion),
      redriveOf: id,
    };
    const position = await this.commands.resend(
      this.config.topicFor(definition.table),
      event,
    );
    return { deadLetter: id, eventId: event.eventId, position: position.token };
  }
}

/** `?limit=&after=` of the list, checked: 400 naming each parameter that is wrong. */
function parseDeadLetterPage(query: Record<string, unknown>): {
  limit: number;
  after: ReturnType<typeof parseDeadLetterId>;
} {
  const { limit, errors } = checkPageQuery(
    query,
    ['limit', 'after'],
    DEFAULT_DEAD_LETTER_PAGE,
    MAX_DEAD_LETTER_PAGE,
  );
  const raw = query.after;
  const after =
    typeof raw === 'string' && DEAD_LETTER_ID.test(raw)
      ? parseDeadLetterId(raw)
      : null;
  if (typeof raw === 'string' && !after)
    errors.push({
      field: 'after',
      messages: ['after must be a dead letter id: topic:partition:offset'],
    });
  if (errors.length > 0) throw new RequestValidationError(errors);
  return { limit, after };
}

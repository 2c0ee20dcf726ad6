import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
  RequestValidationError,
} from '@clusterlite/api';
import {
  DeadLetterRedriveError,
  NodeConfig,
  SqliteReader,
  decodeEvent,
  uuidV7,
  type DeadLetterRecord,
} from '@clusterlite/core';
import { CommandService } from '@clusterlite/command';
import { parseDeadLetterId } from '@clusterlite/projection';
import { EntityRegistry } from '@clusterlite/registry';

/** A dead letter's id: its position on the log, `topic:partition:offset`. */
const DEAD_LETTER_ID = /^[A-Za-z0-9._-]+:\d{1,9}:\d{1,15}$/;

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
  @ApiOperation({ summary: 'Messages this node set aside (invariant 6)' })
  @ApiOkResponse({ type: [DeadLetterDto] })
  async list(): Promise<DeadLetterDto[]> {
    // In the SQLite worker thread: the list grows with what was set aside.
    const rows = await this.reader.read<DeadLetterRecord>(
      'SELECT * FROM "_clusterlite_dead_letters" ORDER BY "topic", "partition", "offset"',
    );
    return rows.map((row) => toDto(row));
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
      original = decodeEvent(textOf(row.payload));
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

function textOf(payload: string | null): string | null {
  return payload === null
    ? null
    : Buffer.from(payload, 'base64').toString('utf8');
}

function toDto(row: DeadLetterRecord): DeadLetterDto {
  return {
    id: `${row.topic}:${row.partition}:${row.offset}`,
    reason: row.reason,
    payload: textOf(row.payload),
    redrivenBy: row.redrivenBy ?? null,
  };
}

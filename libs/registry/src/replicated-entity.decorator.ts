export interface ReplicatedEntityOptions {
  /** Shown as the description of the table's tag in the OpenAPI document. */
  description?: string;
  /**
   * Keep every event's data, so `GET /{table}/{id}/history` can show how each
   * row came to be. Default: false (outcomes are recorded either way).
   */
  history?: boolean;
  /**
   * The table's schema version, carried by every event of the table. Raise it
   * (with a migration) when a change adds something old code cannot store, such
   * as a field: a node on older code then stops that table's topic, without
   * dead-lettering, until it is upgraded. Default 1.
   */
  schemaVersion?: number;
}

export interface ReplicatedEntityMetadata extends ReplicatedEntityOptions {
  table: string;
}

export const ENTITY_METADATA = Symbol('clusterlite:entity');

/** Table names are identifiers in SQL and topic names in Kafka: keep them plain. */
export const TABLE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Declares a class as a replicated table. Its `@Field()` properties become
 * columns; ClusterLite derives the TypeORM entity, the DTOs, the REST routes
 * and their OpenAPI docs from it.
 *
 * @example
 * @ReplicatedEntity('users', { description: 'People who use the system' })
 * export class User {
 *   @Field({ example: 'John Doe' }) name: string;
 * }
 */
export function ReplicatedEntity(
  table: string,
  options: ReplicatedEntityOptions = {},
): ClassDecorator {
  if (!TABLE_NAME_PATTERN.test(table)) {
    throw new Error(
      `@ReplicatedEntity('${table}'): a table name is 1-63 lower-case letters, digits or "_", starting with a letter`,
    );
  }
  if (
    options.schemaVersion !== undefined &&
    !(Number.isSafeInteger(options.schemaVersion) && options.schemaVersion >= 1)
  ) {
    throw new Error(
      `@ReplicatedEntity('${table}'): schemaVersion must be a positive integer`,
    );
  }
  return (target) => {
    Reflect.defineMetadata(ENTITY_METADATA, { ...options, table }, target);
  };
}

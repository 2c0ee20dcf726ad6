import { Injectable, type Type } from '@nestjs/common';
import { EntityDefinition } from './entity-definition.js';

/** Every replicated table this node knows, by table name. */
@Injectable()
export class EntityRegistry {
  private readonly definitions = new Map<string, EntityDefinition>();

  constructor(entities: readonly Type<unknown>[] = []) {
    for (const entity of entities) this.register(entity);
  }

  register(entity: Type<unknown>): EntityDefinition {
    const definition = new EntityDefinition(entity);
    if (this.definitions.has(definition.table)) {
      throw new Error(`Table "${definition.table}" is declared twice`);
    }
    this.definitions.set(definition.table, definition);
    return definition;
  }

  /** The table's definition, or undefined for a name that is not registered. */
  resolve(table: string): EntityDefinition | undefined {
    return this.definitions.get(table);
  }

  all(): EntityDefinition[] {
    return [...this.definitions.values()];
  }
}

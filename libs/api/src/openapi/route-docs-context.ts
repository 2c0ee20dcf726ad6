import { applyDecorators, type Type } from '@nestjs/common';
import type { EntityDefinition } from '@clusterlite/registry';
import type { TableTopics } from '../parameter-schemas.js';

/** What the OpenAPI docs of a table's routes are made from. */
export interface RouteDocsContext {
  definition: EntityDefinition;
  topics: TableTopics;
  /** The entity class name, e.g. `User`. */
  label: string;
  /** What a list answers with `fields=`: any subset of a row's columns. */
  selectionDto: Type<unknown>;
}

/**
 * Applies decorators as if written one above the other on a method: the last
 * one first, as TypeScript does, so the OpenAPI document keeps its order.
 */
export const stacked = (
  ...decorators: Array<ClassDecorator | MethodDecorator | PropertyDecorator>
) => applyDecorators(...decorators.reverse());

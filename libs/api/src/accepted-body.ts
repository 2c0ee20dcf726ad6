import type { Type } from '@nestjs/common';
import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
} from 'class-validator';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/** One rule of a property, with the constraint functions class-validator would call for it. */
interface Rule {
  metadata: ValidationMetadata;
  validators: ((value: unknown, args: ValidationArguments) => unknown)[];
}

interface PropertyRules {
  name: string;
  conditions: ValidationMetadata[];
  rules: Rule[];
}

/** How a DTO's body is checked on the fast path; null: the DTO takes the full path always. */
type Acceptor = ((body: Record<string, unknown>) => object | null) | null;

const ACCEPTORS = new WeakMap<Type<unknown>, Acceptor>();

/**
 * The instance `plainToInstance(dto, body)` would make, when class-validator (with
 * `whitelist` and `forbidNonWhitelisted`) would find no error in it; otherwise null, and the
 * caller takes the full path (class-transformer and class-validator), which then finds the
 * errors and words them. Null is never wrong, only slower: the fast path accepts a body only
 * when it is sure, so every error body is the full path's own.
 *
 * It is sure for a body of declared keys whose values are strings, numbers, booleans, null or
 * arrays of those (what class-transformer copies as they are), for a DTO with plain
 * validation rules (synchronous constraints, `IsOptional`/`ValidateIf`, `IsDefined`; no nested
 * validation, no class-transformer decorators, no property initializers). It calls the same
 * constraint functions, with the same arguments, in the same way (`each` over arrays).
 */
export function acceptedBody(dto: Type<unknown>, body: unknown): object | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return null;
  let acceptor = ACCEPTORS.get(dto);
  if (acceptor === undefined) {
    acceptor = compileAcceptor(dto);
    ACCEPTORS.set(dto, acceptor);
  }
  return acceptor ? acceptor(body as Record<string, unknown>) : null;
}

function compileAcceptor(dto: Type<unknown>): Acceptor {
  const storage = getMetadataStorage();
  // What ValidationExecutor asks for: no schema, no groups, `always` off.
  const metadatas = storage.getTargetValidationMetadatas(dto, '', false, false);
  // No rules at all: class-validator answers "an unknown value" (forbidUnknownValues).
  if (metadatas.length === 0) return null;
  if (!copiesAsIs(dto)) return null;
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyRules[] = [];
  for (const [name, group] of Object.entries(grouped)) {
    if (name === '__proto__' || name === 'constructor') return null;
    const conditions: ValidationMetadata[] = [];
    const rules: Rule[] = [];
    for (const metadata of group) {
      switch (metadata.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          conditions.push(metadata);
          break;
        case ValidationTypes.IS_DEFINED:
        case ValidationTypes.CUSTOM_VALIDATION: {
          const constraints = storage.getTargetValidatorConstraints(
            metadata.constraintCls,
          );
          if (constraints.some((constraint) => constraint.async)) return null;
          rules.push({
            metadata,
            validators: constraints.map((constraint) => {
              const instance = constraint.instance as {
                validate(value: unknown, args: ValidationArguments): unknown;
              };
              return (value, args) => instance.validate(value, args);
            }),
          });
          break;
        }
        case ValidationTypes.WHITELIST:
          break;
        default:
          // Nested or promise validation: the full path.
          return null;
      }
    }
    // IS_DEFINED rules run before the others, as in ValidationExecutor.performValidations.
    rules.sort(
      (a, b) =>
        Number(b.metadata.type === ValidationTypes.IS_DEFINED) -
        Number(a.metadata.type === ValidationTypes.IS_DEFINED),
    );
    properties.push({ name, conditions, rules });
  }
  const declared = new Set(properties.map((property) => property.name));
  const prototype = dto.prototype as object;
  return (body) => {
    for (const key in body) {
      if (!Object.hasOwn(body, key)) continue;
      if (!declared.has(key) || !copiedAsIs(body[key])) return null;
    }
    // As plainToInstance makes it: an instance of the DTO with the body's own keys.
    const object = Object.assign(Object.create(prototype) as object, body);
    for (const property of properties)
      if (!passes(object, property)) return null;
    return object;
  };
}

function passes(object: object, property: PropertyRules): boolean {
  const value = (object as Record<string, unknown>)[property.name];
  for (const condition of property.conditions) {
    const applies = (
      condition.constraints[0] as (object: object, value: unknown) => boolean
    )(object, value);
    if (!applies) return true;
  }
  for (const { metadata, validators } of property.rules) {
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    const args: ValidationArguments = {
      targetName: object.constructor ? object.constructor.name : '',
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    for (const validate of validators) {
      if (metadata.each && Array.isArray(value)) {
        for (const item of value)
          if (!isTrue(validate(item, args))) return false;
      } else if (!isTrue(validate(value, args))) return false;
    }
  }
  return true;
}

/** A constraint's answer taken as class-validator takes it; a promise is not sure. */
function isTrue(result: unknown): boolean {
  return (
    !!result &&
    !(
      typeof result === 'object' &&
      typeof (result as Promise<unknown>).then === 'function'
    )
  );
}

/** A value class-transformer copies as it is (an array into a new array of the same items). */
function copiedAsIs(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      if (!Array.isArray(value)) return false;
      for (const item of value as unknown[])
        if (
          item !== null &&
          typeof item !== 'string' &&
          typeof item !== 'number' &&
          typeof item !== 'boolean'
        )
          return false;
      return true;
    default:
      return false;
  }
}

/**
 * Whether plainToInstance makes an instance that is the body's keys and values: no
 * class-transformer decorators on the DTO, and no property initializer that a body
 * lacking the key would leave set.
 */
function copiesAsIs(dto: Type<unknown>): boolean {
  const transformer = defaultMetadataStorage;
  if (
    transformer.getExposedMetadatas(dto).length > 0 ||
    transformer.getExcludedMetadatas(dto).length > 0 ||
    transformer.getStrategy(dto) !== 'none'
  )
    return false;
  let instance: object;
  try {
    instance = new (dto as Type<object>)();
  } catch {
    return false;
  }
  for (const key of Object.getOwnPropertyNames(instance))
    if ((instance as Record<string, unknown>)[key] !== undefined) return false;
  const names = Object.keys(
    getMetadataStorage().groupByPropertyName(
      getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false),
    ),
  );
  return names.every(
    (name) =>
      transformer.findTypeMetadata(dto, name) === undefined &&
      [0, 1, 2].every(
        (kind) =>
          transformer.findTransformMetadatas(dto, name, kind).length === 0,
      ),
  );
}

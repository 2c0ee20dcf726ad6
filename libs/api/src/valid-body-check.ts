import {
  ValidationTypes,
  getMetadataStorage,
  type ValidationArguments,
} from 'class-validator';

/** What the check found: certainly valid, or let class-validator decide (and word the errors). */
type Verdict = 'valid' | 'ask-class-validator';

/** One validation rule of a property, with the validators it runs. */
interface Rule {
  each: boolean;
  validateIf: ((object: object, value: unknown) => boolean) | undefined;
  constraints: unknown[];
  validators: {
    async: boolean;
    validate(value: unknown, args: ValidationArguments): unknown;
  }[];
}

interface PropertyRules {
  property: string;
  /** IsOptional, ValidateIf: when one says no, nothing else of the property is checked. */
  conditions: ((object: object, value: unknown) => boolean)[];
  rules: Rule[];
}

type Check = (instance: object) => Verdict;

const checks = new WeakMap<object, Check | null>();

/**
 * A quick yes for a body class-validator would accept, from the same decorators and the same
 * validator functions, without its per-call walk (metadata lookups, grouping, error objects).
 * It never says no: anything it is not sure of (a failed rule, a promise, a Set or Map under
 * `each`, a decorator kind it does not know) goes to `validate()`, which decides and words the
 * errors exactly as before. It follows ValidationExecutor with the options of the endpoints
 * (whitelist, forbidNonWhitelisted, no groups): unknown keys, conditions, then rules.
 */
export function quickValidity(dto: object, instance: object): Verdict {
  let check = checks.get(dto);
  if (check === undefined) {
    check = compile(dto);
    checks.set(dto, check);
  }
  return check ? check(instance) : 'ask-class-validator';
}

function compile(dto: object): Check | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(
    dto as new () => object,
    undefined as unknown as string,
    false,
    false,
    undefined,
  );
  if (metadatas.length === 0) return null;
  const byProperty = new Map<string, PropertyRules>();
  for (const metadata of metadatas) {
    let entry = byProperty.get(metadata.propertyName);
    if (!entry) {
      entry = { property: metadata.propertyName, conditions: [], rules: [] };
      byProperty.set(metadata.propertyName, entry);
    }
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      entry.conditions.push(
        metadata.constraints[0] as (object: object, value: unknown) => boolean,
      );
    } else if (
      metadata.type === ValidationTypes.CUSTOM_VALIDATION ||
      metadata.type === ValidationTypes.IS_DEFINED
    ) {
      const validators = storage
        .getTargetValidatorConstraints(metadata.constraintCls)
        .map((constraint) => ({
          async: constraint.async,
          validate: (value: unknown, args: ValidationArguments) =>
            constraint.instance.validate(value, args),
        }));
      entry.rules.push({
        each: metadata.each === true,
        validateIf: (
          metadata as {
            validateIf?: (object: object, value: unknown) => boolean;
          }
        ).validateIf,
        constraints: metadata.constraints,
        validators,
      });
    } else {
      // Nested objects, promises, whitelist-only markers: class-validator's call.
      return null;
    }
  }
  const properties = [...byProperty.values()];
  return (instance) => {
    for (const key of Object.keys(instance))
      if (!byProperty.has(key)) return 'ask-class-validator';
    for (const { property, conditions, rules } of properties) {
      const value = (instance as Record<string, unknown>)[property];
      if (!conditions.every((condition) => condition(instance, value)))
        continue;
      for (const rule of rules) {
        if (rule.validateIf && !rule.validateIf(instance, value)) continue;
        if (rule.each && (value instanceof Set || value instanceof Map))
          return 'ask-class-validator';
        const each = rule.each && Array.isArray(value);
        for (const validator of rule.validators) {
          if (validator.async) return 'ask-class-validator';
          const args = {
            targetName: instance.constructor?.name,
            property,
            object: instance,
            value,
            constraints: rule.constraints,
          } as ValidationArguments;
          // Under `each`, every item of an array is checked (as class-validator does).
          const valid = each
            ? (value as unknown[]).every(
                (item) => validator.validate(item, args) === true,
              )
            : validator.validate(value, args) === true;
          if (!valid) return 'ask-class-validator';
        }
      }
    }
    return 'valid';
  };
}

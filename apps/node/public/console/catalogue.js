// @ts-check
/**
 * The tables the console shows and the fields of their forms. An admin key
 * (or an open node) reads them from `GET /_cluster/entities`. That route is
 * admin-only, like all of `/_cluster`; with a read or write key the console
 * builds the same catalogue from the public OpenAPI document (`/docs-json`),
 * whose component schemas the registry generates from the same decorated
 * classes: a user with a read key sees and pages the same tables.
 */
import { api, tokenOf } from './api.js';

/**
 * @typedef {{ name: string, type: string, required: boolean, unique: boolean, maxLength: number | null,
 *   format: string | null, description: string | null, example: unknown }} FieldDescription
 * @typedef {{ table: string, name: string, description: string | null, path: string, changes: string,
 *   fields: FieldDescription[] }} EntityDescription
 */

/**
 * The tables, and the role of the tab's key as the refusal names it (admin
 * when the catalogue answered; null on an open node, which takes no key).
 * @returns {Promise<{ entities: EntityDescription[], role: string | null } | { problem: any }>}
 */
export async function loadCatalogue() {
  const catalogue = await api('GET', '/_cluster/entities');
  if (catalogue.ok)
    return { entities: catalogue.data, role: tokenOf() ? 'admin' : null };
  if (catalogue.status !== 403) return { problem: catalogue.problem };
  const document = await api('GET', '/docs-json');
  if (!document.ok) return { problem: document.problem };
  return {
    entities: entitiesOf(document.data),
    role: catalogue.problem.role ?? null,
  };
}

/**
 * Every table of an OpenAPI document: a collection path (`/users`) that has a
 * change feed (`/users/_changes`) and a create body (`CreateUserDto`), whose
 * properties are the declared fields in declaration order.
 * @returns {EntityDescription[]}
 */
export function entitiesOf(document) {
  const paths = document.paths || {};
  const schemas = (document.components && document.components.schemas) || {};
  const entities = [];
  for (const [path, operations] of Object.entries(paths)) {
    const table = /^\/([^/{}]+)$/.exec(path);
    if (!table || !paths[path + '/_changes'] || !operations.post) continue;
    const body =
      operations.post.requestBody &&
      operations.post.requestBody.content['application/json'];
    const name = schemaName(body && body.schema);
    const create = name && schemas[name];
    if (!create) continue;
    const required = create.required || [];
    entities.push({
      table: table[1],
      name: name.replace(/^Create(.+)Dto$/, '$1'),
      description: null,
      path,
      changes: path + '/_changes',
      fields: Object.entries(create.properties || {}).map(([field, property]) =>
        fieldOf(field, property, required),
      ),
    });
  }
  return entities;
}

/** The schema a `$ref` names, also inside `oneOf` (a create body is one object or an array of them). */
function schemaName(schema) {
  if (!schema) return null;
  if (schema.$ref) return schema.$ref.split('/').pop();
  const single = (schema.oneOf || []).find((candidate) => candidate.$ref);
  return single ? single.$ref.split('/').pop() : null;
}

/** @returns {FieldDescription} */
function fieldOf(name, property, required) {
  const list = property.type === 'array';
  const item = list ? property.items || {} : property;
  return {
    name,
    type: list ? item.type + '[]' : property.type,
    required: required.includes(name),
    // Not in the schema; the description says so where it matters ("Unique stock-keeping unit").
    unique: false,
    maxLength: item.maxLength ?? null,
    format: property.format ?? null,
    description: property.description ?? null,
    example: property.example ?? null,
  };
}

import type { Filter, SortKey } from '@clusterlite/registry';

/*
 * The SQL of a list's WHERE clause: filters and the keyset cursor. Columns are the
 * registry's (quoted identifiers); every value is a bound parameter.
 */

/** ` WHERE …` joining the conditions, or nothing. */
export function whereOf(conditions: string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/** SQL for one filter; the column is the registry's, the values are bound. */
export function filterSql(filter: Filter): [string, unknown[]] {
  const column = filter.column.column;
  const [value] = filter.values;
  switch (filter.operator) {
    case 'eq':
      return [`${column} = ?`, [value]];
    case 'ne':
      return [`${column} IS NOT ?`, [value]];
    case 'gt':
      return [`${column} > ?`, [value]];
    case 'gte':
      return [`${column} >= ?`, [value]];
    case 'lt':
      return [`${column} < ?`, [value]];
    case 'lte':
      return [`${column} <= ?`, [value]];
    case 'in':
      return [
        `${column} IN (${filter.values.map(() => '?').join(', ')})`,
        filter.values,
      ];
    case 'prefix':
      return [`substr(${column}, 1, length(?)) = ?`, [value, value]];
    case 'contains':
      return filter.column.type === 'string[]'
        ? [
            `EXISTS (SELECT 1 FROM json_each(${column}) WHERE json_each.value = ?)`,
            [value],
          ]
        : [`instr(${column}, ?) > 0`, [value]];
    case 'is':
      return [`${column} IS ${value === 'null' ? 'NULL' : 'NOT NULL'}`, []];
  }
}

/**
 * Rows after the cursor in the sort order. SQLite puts NULLs first when
 * ascending and last when descending; the comparisons follow that.
 */
export function keysetSql(
  sort: SortKey[],
  cursor: unknown[],
): [string, unknown[]] {
  const alternatives: string[] = [];
  const parameters: unknown[] = [];
  sort.forEach((key, index) => {
    const parts: string[] = [];
    for (let earlier = 0; earlier < index; earlier++) {
      parts.push(`${sort[earlier].column.column} IS ?`);
      parameters.push(cursor[earlier]);
    }
    const column = key.column.column;
    const value = cursor[index];
    if (!key.descending) {
      if (value === null) parts.push(`${column} IS NOT NULL`);
      else {
        parts.push(`${column} > ?`);
        parameters.push(value);
      }
    } else if (value === null) {
      parts.push('0');
    } else {
      parts.push(`(${column} < ? OR ${column} IS NULL)`);
      parameters.push(value);
    }
    alternatives.push(`(${parts.join(' AND ')})`);
  });
  return [`(${alternatives.join(' OR ')})`, parameters];
}

import { BadRequestException } from '@nestjs/common';
import { ENTITY_ID_PATTERN } from '@clusterlite/core';

/** The id of a row or an event from the path, checked: a 400 otherwise. */
export function checkId(id: string): string {
  if (!ENTITY_ID_PATTERN.test(id)) {
    throw new BadRequestException(
      'An id is 1-128 characters: letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
    );
  }
  return id;
}

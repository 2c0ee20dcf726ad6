import type { LinkObject } from '@nestjs/swagger';

/**
 * OpenAPI links from an answer whose body names a row (`id`) to the operations
 * on that row, so a client or a tester can go create → read → update →
 * delete by the document alone. Operation ids are Nest's default,
 * `<Controller>_<handler>`, of the table's generated controller.
 *
 * @example ApiResponse({ status: 201, type: rowDto, links: rowLinks('User') })
 */
export function rowLinks(
  label: string,
  options: { eventId?: boolean } = {},
): Record<string, LinkObject> {
  const onRow = (handler: string, description: string): LinkObject => ({
    operationId: `${label}Controller_${handler}`,
    parameters: { id: '$response.body#/id' },
    description,
  });
  return {
    GetRow: onRow('findOne', 'Read the row'),
    ReplaceRow: onRow('replace', 'Replace the row'),
    UpdateRow: onRow('patch', 'Update some fields of the row'),
    DeleteRow: onRow('remove', 'Delete the row'),
    ...(options.eventId
      ? {
          EventFate: {
            operationId: `${label}Controller_eventFate`,
            parameters: { eventId: '$response.body#/eventId' },
            description: 'What became of the write on a node',
          },
        }
      : {}),
  };
}

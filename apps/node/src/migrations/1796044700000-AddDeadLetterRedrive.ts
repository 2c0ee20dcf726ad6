import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * AddDeadLetterRedrive, written by hand (the generator covers the entity tables only):
 * - `_clusterlite_dead_letters.redrivenBy`, the event that re-drove the dead letter
 */
export class AddDeadLetterRedrive1796044700000 implements MigrationInterface {
  name = 'AddDeadLetterRedrive1796044700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Files made by `synchronize` on this code already have it.
    const [{ present }]: { present: number }[] = await queryRunner.query(
      `SELECT COUNT(*) AS "present" FROM pragma_table_info('_clusterlite_dead_letters') WHERE "name" = 'redrivenBy'`,
    );
    if (present === 0) {
      await queryRunner.query(
        'ALTER TABLE "_clusterlite_dead_letters" ADD COLUMN "redrivenBy" text',
      );
    }
  }

  down(): Promise<void> {
    return Promise.reject(
      new Error(
        'Migrations roll forward: write a new migration to undo this one',
      ),
    );
  }
}

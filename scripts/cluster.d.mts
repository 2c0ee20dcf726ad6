/** Type declarations for scripts/cluster.mjs: the `npm run cluster` command, and the supervisor's cluster API re-exported. */
export * from '../tools/supervisor/cluster.mjs';

/** The CLI; resolves with an exit code on failure, runs until a signal otherwise. */
export declare function main(argv?: string[]): Promise<number>;

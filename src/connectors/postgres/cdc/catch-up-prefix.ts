/** Prefix of the logical messages that mark a WAL position (catch-up end, heartbeats). */
export const CATCH_UP_PREFIX = 'ferry-cdc-catch-up';

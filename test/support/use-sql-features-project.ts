import { afterAll, beforeAll } from 'vitest';
import { openSqlFeaturesProject, type SqlFeaturesProject } from './sql-features-project.js';

/**
 * Opens a {@link SqlFeaturesProject} before the file's tests and drops it after them.
 * The returned handle delegates to the open project, so it can be taken at module
 * level; reading it before `beforeAll` has run throws rather than returning undefined.
 */
export function useSqlFeaturesProject(prefix: string): SqlFeaturesProject {
  let opened: SqlFeaturesProject | undefined;
  const current = (): SqlFeaturesProject => {
    if (!opened) throw new Error(`sql features project "${prefix}" is not open yet (use it inside a test)`);
    return opened;
  };
  beforeAll(async () => {
    opened = await openSqlFeaturesProject(prefix);
  });
  afterAll(async () => {
    await opened?.drop();
  });
  return {
    get pg() {
      return current().pg;
    },
    get dir() {
      return current().dir;
    },
    writeSync: (name, text) => current().writeSync(name, text),
    run: (sync, extra) => current().run(sync, extra),
    runResult: (sync, extra) => current().runResult(sync, extra),
    duck: (sql) => current().duck(sql),
    drop: () => current().drop(),
  };
}

import type { CdcSettings } from '../../src/config/cdc-schema.js';
import type { ConnectionConfig, Project, ProjectDefaults, SourceLocation, SyncConfig } from '../../src/config/project.js';

/** What a test chooses about one side of the sync: the connector and its settings. */
export type ConnectionSpec = Pick<ConnectionConfig, 'type' | 'settings'>;

/** A project built in code rather than loaded from YAML: one sync from connection `src` to `dst`. */
export interface SrcDstProjectSpec {
  /** The sync's name; the project itself is always `p` with an in-memory state store. */
  readonly sync: string;
  readonly dir: string;
  /** Where every entry claims to be defined; its file is the sync's file. */
  readonly at: SourceLocation;
  readonly source: ConnectionSpec;
  readonly destination: ConnectionSpec;
  readonly syncDefaults: SyncConfig['defaults'];
  readonly streams: SyncConfig['streams'];
  readonly cdc?: CdcSettings;
  readonly defaults: ProjectDefaults;
}

/** Builds the {@link Project} that `runSync` reads, so a test can skip writing ferry.yml and a sync file. */
export function srcDstProject(spec: SrcDstProjectSpec): Project {
  const { at } = spec;
  const sync: SyncConfig = {
    name: spec.sync,
    file: at.file,
    source: 'src',
    destination: 'dst',
    defaults: spec.syncDefaults,
    streams: spec.streams,
    ...(spec.cdc ? { cdc: spec.cdc } : {}),
    tags: [],
    location: at,
  };
  return {
    name: 'p',
    dir: spec.dir,
    state: 'sqlite::memory:',
    connections: new Map([
      ['src', { name: 'src', ...spec.source, location: at }],
      ['dst', { name: 'dst', ...spec.destination, location: at }],
    ]),
    syncs: new Map([[spec.sync, sync]]),
    defaults: spec.defaults,
  };
}

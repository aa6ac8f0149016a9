/**
 * The files `ferry init` writes. Comments explain every key; the settings that
 * are not commented out form a working project: an SQLite source
 * (`data/app.db`) copied into a local DuckDB warehouse (`warehouse.duckdb`).
 */

const plainName = (name: string): string => (/^[A-Za-z0-9_.-]+$/.test(name) ? name : JSON.stringify(name));

export function projectFileText(name: string): string {
  return `# Ferry project. \`ferry validate\` checks this file and syncs/*.yml; \`ferry run\` runs the syncs.
# Editor completion and docs: \`ferry schema > ferry.schema.json\`, then make this the first line:
#   # yaml-language-server: $schema=./ferry.schema.json

# Project name, shown by \`ferry status\` (default: the folder name).
name: ${plainName(name)}

# Where Ferry records runs, checkpoints and logs:
# sqlite:<path relative to this folder> (the default), or postgres://user:\${PGPASSWORD}@host/db for teams.
state: sqlite:.ferry/state.db

defaults:
  # Streams of one sync copied at the same time, 1 to 64 (\`ferry run --threads N\` overrides).
  threads: 4
  # Rows per batch on the data path; a stream's batch_size overrides it.
  batch_size: 10000

# Named endpoints; syncs use them as source and destination. \`type\` picks the connector,
# the other keys are its settings. Any value may use \${VAR} or \${VAR:-default}, taken from the
# environment or from .env in this folder (the environment wins); write $\${ for a literal \${.
connections:
  # The source: an SQLite database file, relative to this folder.
  app:
    type: sqlite
    path: data/app.db
  # The destination: a local DuckDB warehouse, created on the first run.
  warehouse:
    type: duckdb
    path: warehouse.duckdb
  # A PostgreSQL database, its URL (with the password) from the environment or .env:
  # pg:
  #   type: postgres
  #   url: \${PG_URL:-postgres://postgres@127.0.0.1:5432/app}
`;
}

export const EXAMPLE_SYNC = `# A sync copies streams (tables, queries, files) from a source connection to a destination.
# It is named after this file: \`ferry run example\`.
# Editor completion: \`ferry schema --sync > sync.schema.json\`, then make this the first line:
#   # yaml-language-server: $schema=../sync.schema.json

# Free text shown by \`ferry status\`.
description: Every table of data/app.db into the DuckDB warehouse
# Connection names from ferry.yml.
source: app
destination: warehouse
# Labels to pick syncs by: \`ferry run --select tag:daily\`.
tags: [daily]
# Cron expression; stored for now, \`ferry serve\` will run it.
# schedule: "0 * * * *"

# Settings for every stream below; a stream overrides any of them.
defaults:
  # full_refresh: read every row on every run.
  # incremental: read only rows whose \`cursor\` is >= the last value delivered.
  mode: full_refresh
  # replace: load, then swap the table in atomically. append: add the rows.
  # truncate: empty the table and insert, keeping the table. merge: upsert on primary_key.
  # mirror: merge, then delete rows the source no longer has (full_refresh only).
  write: replace
  # Columns Ferry adds to every row: _ferry_synced_at (the run's start) and _ferry_run_id.
  # metadata_columns: [synced_at, run_id]
  # Destination schema for targets (default: the destination connection's schema).
  # target_schema: raw

# Streams: a map of name -> settings, or a list of {name: ..., <settings>}.
streams:
  # Every table of the source. Patterns like main.* or public.order* select fewer.
  "*": {}

  # An entry for a table overrides what the wildcard gave it, for example:
  # orders:
  #   mode: incremental
  #   cursor: updated_at                  # a column that grows when a row changes; needed by incremental
  #   cursor_start: "2020-01-01"          # lower bound of the very first run
  #   null_cursor: exclude                # rows with a NULL cursor: exclude | include | fail
  #   write: merge
  #   primary_key: [id]                   # or one column: id (default: the source's key)
  #   columns: [id, status, updated_at]   # keep only these; globs allowed
  #   exclude_columns: [secret_*]         # drop these; globs allowed
  #   target: "analytics.{stream_table}"  # placeholders {stream_schema} {stream_table} {stream} {target_schema}
  #   where: "status <> 'test'"           # SQL predicate added to the read
  #   schema_change: evolve               # shorthand for schema_contract.columns: evolve (add new columns) | freeze (fail the run)
  #   schema_contract:                    # what the stream may change in its target (like dlt); or one mode for all: freeze
  #     tables: evolve                    # target missing: evolve (create) | freeze (fail) | discard_row/discard_value (skip its rows)
  #     data_type: freeze                 # a type the target cannot hold: freeze (fail) | discard_row | discard_value (NULL) | evolve (variant column)
  #   batch_size: 5000                    # rows per batch for this stream
  #   strict_types: true                  # refuse the stream if a column would land in another type (docs/fidelity.md)
  #   filters:                            # row filters, ANDed, applied by the source; ne keeps NULL rows
  #     - { column: status, op: not_in, value: [test, cancelled] }   # eq ne gt gte lt lte in not_in
  #   hooks:                              # SQL run on the destination after this stream
  #     after:
  #       - analyze analytics.orders      # run_on: success (default) | failure | always
  #
  # A query instead of a table; the key names the stream. {name} is a watermark:
  # big_orders:
  #   sql: select * from orders where total > 1000 and updated_at > {last_loaded}
  #   watermarks:                         # its first cell, as a typed literal; default when no row/NULL
  #     last_loaded: { sql: "select max(updated_at) from raw.big_orders", default: "1970-01-01" }
  #
  # For a files source, a path or glob in its folder:
  # exported_orders:
  #   path: exports/*.csv
  #
  # Keep a copy in step with the source, deletes included:
  # customers:
  #   write: mirror
  #   mirror_delete: soft                 # hard (default): delete | soft: set _ferry_deleted_at instead
  #   mirror_scope: "tenant_id = 7"       # only target rows matching this may be deleted
  #   mirror_max_delete_percent: 10       # refuse runs that would delete more (default: no limit)
  #   mirror_allow_empty: false           # an empty source read is refused unless true
  #
  # Leave out a table the wildcard matched:
  # legacy_table:
  #   enabled: false
`;

export const ENV_EXAMPLE = `# Copy to .env (which git ignores) and fill in. ferry.yml and syncs/*.yml use these as \${NAME}
# or \${NAME:-default}; variables set in the environment win over .env.
# PG_URL=postgres://user:password@127.0.0.1:5432/app
`;

/** Lines \`ferry init\` makes sure .gitignore has: state, local warehouses, secrets. */
export const GITIGNORE_LINES = ['.ferry/', '*.duckdb', '*.duckdb.wal', '.env'] as const;

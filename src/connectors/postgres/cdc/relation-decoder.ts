import type { Pgoutput } from 'pg-logical-replication';
import type { CapturedTable, RowChange, TableChange } from '../../../core/change-capture.js';
import { DataError } from '../../../core/errors.js';
import type { Column, Value } from '../../../core/schema.js';
import { decoderFor, type FieldDecoder } from '../copy-text.js';
import { logicalTypeOf } from '../type-map.js';

/** A pgoutput tuple as the raw-text parser leaves it: text, null, or undefined (unchanged TOAST). */
type RawTuple = Readonly<Record<string, string | null | undefined>>;

interface DecodedRelation {
  readonly stream: string;
  /** Relation columns the stream keeps, in relation order. */
  readonly columns: readonly Column[];
  readonly decoders: readonly FieldDecoder[];
  readonly keyIndex: readonly number[];
}

/**
 * Turns pgoutput messages into TableChanges with canonical values. Relation
 * messages (sent before a table's first change and after every DDL on it)
 * define the columns; a column the stream did not know at plan time is new
 * and kept, so the destination can evolve under the stream's contract.
 */
export class RelationDecoder {
  readonly #tables: ReadonlyMap<string, CapturedTable>;
  readonly #relations = new Map<number, DecodedRelation>();

  constructor(tables: readonly CapturedTable[], defaultSchema: string) {
    this.#tables = new Map(tables.map((t) => [`${t.table.schema ?? defaultSchema}.${t.table.name}`, t]));
  }

  relation(message: Pgoutput.MessageRelation): void {
    const table = this.#tables.get(`${message.schema}.${message.name}`);
    if (!table) return;
    const known = new Set(table.knownColumns);
    const planned = new Set(table.columns.map((c) => c.name));
    const columns = message.columns
      .filter((c) => planned.has(c.name) || !known.has(c.name))
      .map((c): Column => {
        const plannedColumn = table.columns.find((p) => p.name === c.name);
        return plannedColumn ?? { name: c.name, type: logicalTypeOf({ oid: c.typeOid, typmod: c.typeMod, typname: c.typeName ?? '' }), nullable: true };
      });
    const keyIndex = table.primaryKey.map((k) => columns.findIndex((c) => c.name === k));
    if (keyIndex.some((i) => i < 0)) {
      throw new DataError(`key column(s) ${table.primaryKey.join(', ')} of ${table.stream} are no longer in the table`, { stream: table.stream });
    }
    this.#relations.set(message.relationOid, { stream: table.stream, columns, decoders: columns.map(decoderFor), keyIndex });
  }

  /** The changes one insert, update or delete message makes (an update that moves the key is a delete plus an upsert). */
  changes(message: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete): TableChange[] {
    const relation = this.#relations.get(message.relation.relationOid);
    if (!relation) return [];
    const wrap = (change: RowChange): TableChange => ({ stream: relation.stream, columns: relation.columns, change });
    if (message.tag === 'delete') {
      return [wrap({ op: 'delete', key: this.#key(relation, (message.old ?? message.key) as RawTuple | null) })];
    }
    const row = this.#row(relation, message.new as RawTuple);
    if (message.tag === 'update') {
      const before = (message.key ?? message.old) as RawTuple | null;
      if (before !== null) {
        const oldKey = this.#key(relation, before);
        const newKey = relation.keyIndex.map((i) => row[i] ?? null);
        if (!sameKey(oldKey, newKey)) return [wrap({ op: 'delete', key: oldKey }), wrap({ op: 'upsert', row })];
      }
    }
    return [wrap(message.tag === 'insert' ? { op: 'upsert', row, insert: true } : { op: 'upsert', row })];
  }

  /** The stream of a relation in a truncate message, if captured. */
  streamOf(relationOid: number): string | undefined {
    return this.#relations.get(relationOid)?.stream;
  }

  columnsOf(relationOid: number): readonly Column[] {
    return this.#relations.get(relationOid)?.columns ?? [];
  }

  #row(relation: DecodedRelation, tuple: RawTuple): (Value | undefined)[] {
    return relation.columns.map((column, i) => {
      const text = tuple[column.name];
      if (text === undefined || text === null) return text;
      return decode(relation, i, text);
    });
  }

  #key(relation: DecodedRelation, tuple: RawTuple | null): Value[] {
    return relation.keyIndex.map((i) => {
      const column = relation.columns[i];
      const text = column ? tuple?.[column.name] : undefined;
      if (text === undefined || text === null) {
        throw new DataError(`a change of ${relation.stream} came without its key column ${column?.name ?? '?'}`, {
          stream: relation.stream,
          hint: 'the table needs REPLICA IDENTITY FULL or a primary key matching the stream key',
        });
      }
      return decode(relation, i, text);
    });
  }
}

function decode(relation: DecodedRelation, index: number, text: string): Value {
  const decoder = relation.decoders[index];
  const column = relation.columns[index];
  try {
    return decoder ? decoder(text) : text;
  } catch (error) {
    throw new DataError(`cannot decode column ${column?.name ?? index} of ${relation.stream}: ${error instanceof Error ? error.message : String(error)}`, { stream: relation.stream, cause: error });
  }
}

function sameKey(a: readonly Value[], b: readonly Value[]): boolean {
  return a.every((v, i) => keyText(v) === keyText(b[i] ?? null));
}

function keyText(value: Value): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return `${typeof value}:${String(value)}`;
}

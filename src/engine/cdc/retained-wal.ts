import type { SlotStatus } from '../../core/change-capture.js';
import type { CdcSettings } from '../../config/cdc-schema.js';

/** The retained-WAL warning of `cdc.max_retained_wal_mb`, or null when within it (or unset). */
export function retainedWarning(sync: string, settings: CdcSettings, slot: SlotStatus): string | null {
  if (settings.max_retained_wal_mb === undefined || !slot.exists) return null;
  const limit = BigInt(settings.max_retained_wal_mb) * 1024n * 1024n;
  if (slot.retainedBytes <= limit) return null;
  return `replication slot ${slot.slot} retains ${slot.retainedBytes / (1024n * 1024n)} MB of WAL (limit ${settings.max_retained_wal_mb} MB): run this sync more often, resume it if it is paused, or drop the slot with ferry cdc drop ${sync} if it is no longer used`;
}

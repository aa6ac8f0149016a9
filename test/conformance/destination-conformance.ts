import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCheckpointCases } from './checkpoint-cases.js';
import type { DestinationHarness, DestinationUnderTest, RegisterCase } from './destination-harness.js';
import { describeMergeCases } from './merge-cases.js';
import { describeMetadataCases } from './metadata-cases.js';
import { describeMirrorCases } from './mirror-cases.js';
import { describeSchemaChangeCases } from './schema-change-cases.js';
import { describeValueCases } from './value-cases.js';
import { describeWriteModeCases } from './write-mode-cases.js';

/**
 * One conformance suite for every destination: the same cases, the same
 * assertions, each reading what landed back through the connector's own
 * source. Which cases run is decided by the harness's capabilities (a
 * destination without `merge` simply has no merge cases), never by its name.
 *
 * @example
 * describeDestination('sqlite', sqliteHarness);
 */
export function describeDestination(name: string, harness: DestinationHarness): void {
  describe(`${name} destination conformance`, () => {
    let opened: DestinationUnderTest | undefined;
    const under = (): DestinationUnderTest => {
      if (opened === undefined) throw new Error(`the ${name} harness did not open`);
      return opened;
    };
    beforeAll(async () => {
      opened = await harness.open();
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    const test: RegisterCase = (title, body) => it(title, body);
    const { capabilities } = harness;
    test('declares the capabilities its cases were chosen by', async () => {
      expect(under().destination.capabilities).toEqual(capabilities);
    });
    describeValueCases(test, under, harness.refuses);
    describeWriteModeCases(test, under, capabilities);
    if (capabilities.writes.includes('merge')) describeMergeCases(test, under, capabilities);
    if (capabilities.writes.includes('append')) describeCheckpointCases(test, under, capabilities);
    if (harness.tableSchemas && capabilities.writes.includes('append')) describeSchemaChangeCases(test, under, capabilities.writes);
    if (capabilities.writes.includes('mirror')) describeMirrorCases(test, under);
    describeMetadataCases(test, under, capabilities, harness.tableSchemas);
  });
}

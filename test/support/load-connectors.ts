import { builtinConnectors } from '../../src/connectors/registry.js';

// Tests build sources and destinations straight from connector definitions, synchronously;
// the engine loads a connector's modules on first use (ConnectorDefinition.load), tests up front.
await Promise.all([...builtinConnectors.values()].map((connector) => connector.load?.()));

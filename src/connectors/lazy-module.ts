import { FerryError } from '../core/errors.js';

/** A module a connector imports on first need (see `ConnectorDefinition.load`). */
export interface LazyModule<M> {
  /** Import the module once; later calls return at once. */
  load(): Promise<void>;
  /** The imported module; throws if `load()` has not completed. */
  get(): M;
}

export function lazyModule<M>(connector: string, importer: () => Promise<M>): LazyModule<M> {
  let loaded: M | undefined;
  let loading: Promise<void> | undefined;
  return {
    load() {
      loading ??= importer().then((module) => {
        loaded = module;
      });
      return loading;
    },
    get() {
      if (loaded === undefined) throw new FerryError(`the ${connector} connector was used before it was loaded (await its load() first)`);
      return loaded;
    },
  };
}

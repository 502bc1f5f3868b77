import type { Catalog } from '@credo/core';

/**
 * The coordinator validates sweep files against the same registries as local mode. It reaches
 * them through @credo/runtime's catalog, loaded lazily so that this package's dependency on the
 * numeric packages stays one import.
 */
export { defaultCatalog as defaultCatalogForServices } from '@credo/runtime';
export type { Catalog };

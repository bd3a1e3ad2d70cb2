/** tacet's library API: the same core the CLI uses. */
export * from './errors.js';
export * from './timeline/rational.js';

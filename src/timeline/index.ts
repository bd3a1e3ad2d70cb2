/** The timeline module: rationals, timebases, the v3 Timeline model, runs to clips, v1/v2/v3 JSON. */
export * from './rational.js';
export * from './model.js';
export * from './timebase.js';
export * from './clips.js';
export { JsonFloat, formatNimFloat32, formatNimFloat64, parseJsonStrict, prettyNimJson } from './jsontext.js';
export type { JsonIn, JsonOut } from './jsontext.js';
export * from './json.js';
export * from './settings.js';
export * from './concat.js';

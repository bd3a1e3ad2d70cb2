/** The pure edit step: time and threshold values, `--edit` expressions, margin and smoothing. */
export { parseTime, parseRangeTime, parseTimePair, splitNumberUnit, type NumberWithUnit } from './time.js';
export { parseThreshold } from './threshold.js';
export {
  parseEdit,
  collectLevelRequests,
  evaluateEdit,
  type EditExpr,
  type AudioLevelRequest,
  type EditContext,
} from './expr.js';
export { applyMargin } from './margin.js';
export { applySmoothing } from './smooth.js';

/**
 * The pure edit step: time and threshold values, `--edit` expressions, margin and smoothing, actions
 * and ranges → runs, and the `--stats` summary.
 */
export {
  parseTime,
  parseTimeValue,
  timeValueToFrames,
  parseRangeTime,
  parseTimePair,
  splitNumberUnit,
  type NumberWithUnit,
  type TimeValue,
} from './time.js';
export { parseThreshold } from './threshold.js';
export {
  parseEdit,
  collectLevelRequests,
  evaluateEdit,
  subtitleMask,
  subtitleRegExp,
  escapeRegExp,
  type EditExpr,
  type MotionRegion,
  type LevelRequest,
  type FrameLevelRequest,
  type AudioLevelRequest,
  type MotionLevelRequest,
  type BlackdetectLevelRequest,
  type SubtitleRequest,
  type SubtitleCue,
  type StreamCounts,
  type EditContext,
} from './expr.js';
export { applyMargin } from './margin.js';
export { applySmoothing } from './smooth.js';
export {
  parseActions,
  parseSpeedValue,
  speedToActions,
  speedToActionText,
  NIL_ACTIONS,
  type ActionGroup,
} from './actions.js';
export {
  parseEditRequest,
  levelRequestsOf,
  planRuns,
  planActions,
  actionRuns,
  evaluateLabels,
  marginAndSmooth,
  normalizeRange,
  parseRange,
  parseRangeTimeValue,
  defaultActionsFor,
  MAX_LABEL,
  type EditRequest,
  type EditPlan,
  type PlannedRange,
  type RangeKind,
  type RangeTime,
  type ActionPlan,
} from './plan.js';
export { formatStats, assTimecode } from './stats.js';

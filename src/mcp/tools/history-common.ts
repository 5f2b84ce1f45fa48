import { FAMILIES } from '../../store/series.js';
import { InvalidQueryError, StoreUnavailableError, UnknownSeriesError, type History } from '../../store/types.js';
import { parseDuration } from '../../shared/duration.js';
import { ToolError } from './types.js';

/** What the tools that read history share: the window argument, the store's presence, its errors as tool errors. */

/** "15m", "6h", "7d" to milliseconds, within what any store keeps. */
export function parseWindow(text: string, what = 'window'): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000)
    throw new ToolError(`invalid ${what} "${text}": give a duration such as 15m, 6h or 7d`, 'INVALID_ARGUMENT');
  return ms;
}

export function requireHistory(history: History | undefined): History {
  if (!history) throw new ToolError('no history store is running in this process', 'NO_HISTORY');
  return history;
}

/** Store failures as short tool errors: an unknown series lists what exists, an unreachable store says so. */
export function historyError(e: unknown): never {
  if (e instanceof UnknownSeriesError) {
    const known = e.known;
    const listed = `${known.slice(0, 80).join(', ')}${known.length > 80 ? ', …' : ''}`;
    const families = FAMILIES.map((f) => f.family).join(', ');
    throw new ToolError(
      `unknown series "${e.series}". Available (${known.length}): ${listed}. Series families: ${families}.`,
      'UNKNOWN_SERIES',
    );
  }
  if (e instanceof StoreUnavailableError) throw new ToolError(e.message, 'STORE_UNAVAILABLE');
  if (e instanceof InvalidQueryError) throw new ToolError(e.message, 'INVALID_ARGUMENT');
  throw e;
}

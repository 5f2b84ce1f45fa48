import { EventRing } from '../shared/event-ring.js';
import type { HealthEvent } from './schema.js';

/** The monitor's bounded list of transitions. Events are frozen: every reader shares the same objects. */
export class EventLog extends EventRing<HealthEvent> {
  override push(event: HealthEvent): void {
    super.push(Object.freeze(event));
  }
}

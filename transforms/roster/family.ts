import type { RosterEvent } from '../../core/events/roster.js';
import { tables } from '../../core/tables.js';
import { type EntityFamily, entitiesWithEventsIn, type Projection } from '../history/transform.js';
import { computeMembership } from './membership.js';
import { parseRosterMessage } from './parse.js';
import { shiftsProjection } from './shifts.js';
import { insertRosterEvents, loadRosterHistories, membershipRow } from './sink.js';

export const rosterFamily: EntityFamily<RosterEvent> = {
  name: 'roster',
  parse: parseRosterMessage,
  entityId: (e) => e.agentId,
  storeEvents: insertRosterEvents,
  loadHistories: loadRosterHistories,
  entitiesWithEventsBetween: entitiesWithEventsIn(tables.rosterEvents, 'agent_id'),
};

export const membershipProjection: Projection<RosterEvent> = {
  table: tables.agentMembership,
  rowFor(history) {
    const membership = computeMembership(history);
    return membership ? membershipRow(membership) : null;
  },
};

/** Every table derived per agent from its roster history; each is rewritten when the history grows. */
export const rosterProjections: Projection<RosterEvent>[] = [membershipProjection, shiftsProjection];

import type { TicketEvent, Tier } from '../../core/events/ticket.js';

// Escalations of one ticket, fed its events in order (see ticket-facts.ts). A tier escalation is
// one move to a higher support tier. Sources often report such a move twice: an explicit
// `ticket.escalated {kind: tier}` and the assignment that realises it (the BPIC importer and the
// simulator emit both at the same instant, and same-instant ordering puts the assignment first).
// Pairing rule, so one move counts once:
// - the first tier-raising assignment after an explicit tier escalation, reaching at least the
//   announced tier (any raise when none was announced), realises it: not counted again;
// - an explicit tier escalation whose target is the tier the latest unpaired raise reached (or
//   that names no target) describes that raise: not counted again;
// - otherwise each counts once. Functional and management escalations always count.
// The first known tier (on creation or first assignment) is not an escalation; a move down and up
// again is a second escalation.

export type EscalationKind = 'tier' | 'functional' | 'management';

export interface Escalation {
  at: number;
  kind: EscalationKind;
  /** Tier before and after ('' when unknown). */
  fromTier: Tier | '';
  toTier: Tier | '';
  /** What reported it first: a tier-raising assignment or an explicit escalation event. */
  source: 'assignment' | 'event';
}

const rank: Record<Tier, number> = { L1: 1, L2: 2, L3: 3 };

export class EscalationTracker {
  readonly escalations: Escalation[] = [];
  tier: Tier | undefined;
  /** Max tier ever held. */
  maxTier: Tier | undefined;
  /** An explicit tier escalation not yet realised by an assignment. */
  private awaiting: Escalation | null = null;
  /** The latest tier raise by an assignment that no explicit event has described yet. */
  private unpairedRaise: Escalation | null = null;

  /** The tier an assignment (or the creation) puts the ticket in. */
  onTier(at: number, tier: Tier | undefined): void {
    if (tier === undefined) return;
    const before = this.tier;
    this.tier = tier;
    if (this.maxTier === undefined || rank[tier] > rank[this.maxTier]) this.maxTier = tier;
    if (before === undefined || rank[tier] <= rank[before]) {
      if (before !== undefined && rank[tier] < rank[before]) this.unpairedRaise = null;
      return;
    }
    const awaiting = this.awaiting;
    if (awaiting && (awaiting.toTier === '' || rank[tier] >= rank[awaiting.toTier])) {
      if (awaiting.toTier === '') awaiting.toTier = tier;
      this.awaiting = null;
      this.unpairedRaise = null;
      return;
    }
    const e: Escalation = { at, kind: 'tier', fromTier: before, toTier: tier, source: 'assignment' };
    this.escalations.push(e);
    this.unpairedRaise = e;
  }

  onEscalated(at: number, e: Extract<TicketEvent, { type: 'ticket.escalated' }>): void {
    if (e.kind !== 'tier') {
      this.escalations.push({
        at,
        kind: e.kind,
        fromTier: this.tier ?? '',
        toTier: this.tier ?? '',
        source: 'event',
      });
      return;
    }
    const raise = this.unpairedRaise;
    if (raise && (e.toTier === undefined || e.toTier === raise.toTier)) {
      this.unpairedRaise = null; // the event describes the raise already counted
      return;
    }
    const esc: Escalation = {
      at,
      kind: 'tier',
      fromTier: this.tier ?? '',
      toTier: e.toTier ?? '',
      source: 'event',
    };
    this.escalations.push(esc);
    this.unpairedRaise = null;
    // Wait for the assignment that realises it, unless the ticket is already at that tier.
    const reached = e.toTier !== undefined && this.tier !== undefined && rank[this.tier] >= rank[e.toTier];
    this.awaiting = reached ? null : esc;
  }
}

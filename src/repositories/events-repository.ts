import { jsonTexts } from '../db/dialect.js'
import { events } from '../db/schema.js'
import type { Sql } from '../db/sql.js'
import { BadRequestError } from '../errors.js'
import { decodeCursor } from '../lib/cursor.js'
import { type Page, takePage } from '../lib/pages.js'
import { type EventCreateInput, type EventOut, type EventPatchInput, endsNotBeforeStart } from '../schemas/events.js'
import type { DisputesRepository } from './disputes-repository.js'
import { createRecordStore } from './record-store.js'
import { patched } from './records.js'

type Row = typeof events.$inferSelect

/** What a summary row says of its event. */
export interface EventHead {
  id: string
  title: string
  occurred_on: string
}

/** The row as the API shows an event; the events list (event-list-query) shows it the same way. */
export function toEvent(row: Row): EventOut {
  return {
    id: row.id,
    title: row.title,
    occurred_on: row.occurredOn,
    ended_on: row.endedOn,
    location: row.location ?? null,
    description: row.description,
    tags: row.tags,
    external_ids: row.externalIds,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  }
}

/** `disputes`: where a new event gets its empty dispute block, and an edited one is queued for a fresh one. */
export function createEventsRepository(sql: Sql, disputes: Pick<DisputesRepository, 'recordEmpty' | 'queue' | 'storedWritten'>) {
  // The event's revision is the seq of its latest change (claims.created, event.updated, …): one number with the change log.
  // Of the events named in a JSON array (touchMany): one statement however many.
  const bump = `UPDATE events SET revision = (SELECT MAX(seq) FROM changes WHERE event_id = events.id) WHERE id IN (${jsonTexts(sql.dialect, '?')})`
  const drop = `DELETE FROM stored_summaries WHERE event_id IN (${jsonTexts(sql.dialect, '?')})`
  // Ids are slugs, never empty: '' sorts before them all.
  const withFigures = `SELECT e.id, e.title, e.occurred_on FROM events AS e
    WHERE e.id > @after AND EXISTS (
      SELECT 1 FROM claims AS c
      WHERE c.event_id = e.id AND c.stated_at <= @asOf AND c.kind = 'figure' AND (CAST(@metric AS TEXT) IS NULL OR c.metric = @metric)
        AND NOT EXISTS (SELECT 1 FROM retractions AS r WHERE r.claim_id = c.id))
    ORDER BY e.id LIMIT @limit`
  const addRevision = `INSERT INTO event_revisions (event_id, seq, at, type, snapshot)
     VALUES (@eventId, (SELECT COALESCE(MAX(seq), 0) + 1 FROM event_revisions WHERE event_id = @eventId), @at, @type, @snapshot)`

  /** After a change to events or their claims is recorded: see touch below. */
  async function touchMany(ids: readonly string[]): Promise<void> {
    const named = JSON.stringify(ids)
    await sql.run(bump, [named])
    // Every change of revision drops the event's stored "now" summary (disputes-repository nowState relies on it).
    await sql.run(drop, [named])
    disputes.storedWritten(ids)
  }
  const touch = (id: string): Promise<void> => touchMany([id])

  const store = createRecordStore(sql, {
    table: events,
    name: 'event',
    toOut: toEvent,
    nameOf: (input: EventCreateInput) => input.title,
    inserted: (input) => ({
      title: input.title,
      occurredOn: input.occurred_on,
      endedOn: input.ended_on ?? null,
      location: input.location ?? null,
      description: input.description ?? null,
      tags: input.tags ?? [],
      externalIds: input.external_ids ?? {},
    }),
    updated: (patch: EventPatchInput, current) => {
      const occurredOn = patch.occurred_on ?? current.occurred_on
      const endedOn = patched(patch.ended_on, current.ended_on)
      // The schema checks the two dates when both are in the patch; here, against what is stored.
      if (!endsNotBeforeStart({ occurred_on: occurredOn, ended_on: endedOn })) {
        const field = patch.ended_on === undefined ? 'occurred_on' : 'ended_on'
        throw new BadRequestError('ended_on would be before occurred_on.', [
          {
            path: `/${field}`,
            in: 'body',
            message: field === 'ended_on' ? `must not be before occurred_on (${occurredOn})` : `must not be after ended_on (${endedOn})`,
          },
        ])
      }
      return {
        title: patch.title ?? current.title,
        occurredOn,
        endedOn,
        location: patched(patch.location, current.location),
        description: patched(patch.description, current.description),
        tags: patch.tags ?? current.tags,
        externalIds: patch.external_ids ?? current.external_ids,
      }
    },
    // The event's revision moves; its stored summary (it shows the title and place) is computed live until
    // refreshed: an empty dispute block for a new event, a queued refresh for an edited one; and its history.
    // Queued before touched (disputes-repository: a refresh of the event under way is waited for).
    written: async (event, id, type, now) => {
      if (type === 'event.created') {
        await touch(id)
        await disputes.recordEmpty(id, now)
      } else {
        await disputes.queue(id)
        await touch(id)
      }
      await sql.run(addRevision, { eventId: id, at: now, type, snapshot: JSON.stringify(event) })
    },
  })

  return {
    ...store,

    /** The seq of the latest change to the event or its claims (its revision); undefined for an unknown event. */
    revisionOf(id: string): Promise<number | undefined> {
      return sql.value<number>('SELECT revision FROM events WHERE id = ?', [id])
    },

    /** Every recorded state of the event's metadata, oldest first (its history, contract §11). */
    async revisions(id: string): Promise<Array<{ seq: number; at: string; type: string; event: EventOut }>> {
      const rows = await sql.all<{ seq: number; at: string; type: string; snapshot: string }>(
        'SELECT seq, at, type, snapshot FROM event_revisions WHERE event_id = ? ORDER BY seq',
        [id],
      )
      return rows.map((r) => ({ seq: r.seq, at: r.at, type: r.type, event: JSON.parse(r.snapshot) as EventOut }))
    },

    /**
     * After a change to the event or its claims is recorded (recordChange):
     * its revision becomes that change's seq, for caches and ETags, and its
     * stored summary no longer shows it.
     */
    touch,

    /** touch for several events (bulk ingest): the same two statements however many. */
    touchMany,

    /**
     * GET /summaries: events in id order that have a figure claim, not
     * retracted, stated by `asOf` (of `metric`, when given), a keyset page at a time.
     */
    async pageWithFigures(opts: {
      asOf: string
      metric?: string | undefined
      limit: number
      cursor?: string | undefined
    }): Promise<Page<EventHead>> {
      const after = opts.cursor ? (decodeCursor(opts.cursor, 1)[0] as string) : ''
      const rows = await sql.all<EventHead>(withFigures, { after, asOf: opts.asOf, metric: opts.metric ?? null, limit: opts.limit + 1 })
      return takePage(
        rows,
        opts.limit,
        (row) => row,
        (e) => [e.id],
      )
    },
  }
}

export type EventsRepository = ReturnType<typeof createEventsRepository>

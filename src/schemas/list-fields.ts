/**
 * The query fields every list and export shares (contract §10): `limit`,
 * `cursor`, and the format choice (`format`, `hxl`, `raw`). lib/formats
 * answers in the format they choose.
 */
import { z } from 'zod'
import { FORMATS } from '../lib/formats.js'
import { choice } from './choice.js'
import { Cursor, Limit, Raw, flag } from './common.js'

export const formatFields = {
  format: choice(
    FORMATS,
    'The default is json. Wins over the Accept header (application/json, application/x-ndjson, text/csv).',
  ).optional(),
  hxl: flag(false, 'CSV only: adds a row of HXL hashtags (hxlstandard.org) under the header.'),
  raw: Raw,
}

/** `limit` without a default: for NDJSON and CSV, leaving it out means every row. */
export const ExportLimit = Limit.unwrap().optional().meta({
  description:
    'Items per page (default 50, at most 1000). As NDJSON or CSV without `limit`, every row from the cursor on is streamed, with no Link header.',
})

/** The query fields of every list, with the format choice. */
export const listFields = { limit: ExportLimit, cursor: Cursor.optional(), ...formatFields }

/** A resource's own list query (its filters) with the list fields; `limit` loses its default. */
export function withListFields(query: z.ZodType) {
  if (!(query instanceof z.ZodObject)) throw new TypeError('A list query must be an object schema.')
  return query.extend(listFields)
}

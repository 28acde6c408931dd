/**
 * What each resource looks like as CSV (contract §10): the columns, in order,
 * and the HXL hashtag of each (hxlstandard.org; an empty tag where none fits).
 */
import { z } from 'zod'
import type { Metric } from '../engine/types.js'
import { type Column, column, columnsOf } from '../lib/formats.js'
import { choice } from './choice.js'

/** The HXL attribute of each metric (#affected alone already means "affected"). */
const METRIC_ATTRIBUTE: Record<Metric, string> = {
  killed: '+killed',
  injured: '+injured',
  casualties: '+casualties',
  missing: '+missing',
  captured: '+captured',
  detained: '+detained',
  displaced: '+displaced',
  affected: '',
}

/** `#affected+killed+min`: the metric's attribute only when the rows are known to share it (a `metric` filter). */
function affected(metric: Metric | undefined, ...attributes: string[]): string {
  return `#affected${metric ? METRIC_ATTRIBUTE[metric] : ''}${attributes.map((a) => `+${a}`).join('')}`
}

/**
 * A claim's input fields in contract order (§1), so that a CSV export can be
 * posted back as it is to POST /claims/bulk.
 */
export const CLAIM_INPUT_FIELDS = [
  'event_id',
  'kind',
  'source_id',
  'via',
  'stated_at',
  'metric',
  'population',
  'party',
  'qualifier',
  'value',
  'low',
  'high',
  'best',
  'stance',
  'actor_ids',
  'certainty',
  'role',
  'quote',
  'url',
  'language',
  'note',
  'external_id',
  'supersedes',
] as const

/** The read-only fields `view=full` appends. */
export const CLAIM_OUTPUT_FIELDS = [
  'id',
  'recorded_at',
  'status',
  'superseded_by',
  'retraction_at',
  'retraction_reason',
  'interval_low',
  'interval_high',
  'point',
] as const

type ClaimField = (typeof CLAIM_INPUT_FIELDS)[number] | (typeof CLAIM_OUTPUT_FIELDS)[number]

function claimHxl(metric: Metric | undefined): Record<ClaimField, string> {
  return {
    event_id: '#event+id',
    kind: '#meta+kind',
    source_id: '#meta+source',
    via: '#meta+source+via',
    stated_at: '#date+reported',
    metric: '#impact+type',
    population: '#group+code',
    party: '#org+id+party',
    qualifier: '#meta+qualifier',
    value: affected(metric, 'value'),
    low: affected(metric, 'low'),
    high: affected(metric, 'high'),
    best: affected(metric, 'best'),
    stance: '#meta+stance',
    actor_ids: '#org+id+named',
    certainty: '#meta+certainty',
    role: '#description+role',
    quote: '#description+quote',
    url: '#meta+url',
    language: '#meta+lang',
    note: '#description+notes',
    external_id: '#meta+id+external',
    supersedes: '#meta+supersedes',
    id: '#meta+id',
    recorded_at: '#date+recorded',
    status: '#status',
    superseded_by: '#meta+superseded_by',
    retraction_at: '#date+retracted',
    retraction_reason: '#description+retraction',
    interval_low: affected(metric, 'min'),
    interval_high: affected(metric, 'max'),
    point: affected(metric),
  }
}

const NESTED: Partial<Record<ClaimField, string[]>> = {
  retraction_at: ['retraction', 'at'],
  retraction_reason: ['retraction', 'reason'],
  interval_low: ['interval', 'low'],
  interval_high: ['interval', 'high'],
}

/** `view` chooses the CSV columns of claims; JSON and NDJSON always carry every field. */
export const ClaimView = choice(
  ['input', 'full'],
  'CSV columns. `input` (default): the claim input fields in contract order, so that the file can be posted back as it is to POST /claims/bulk. ' +
    '`full`: then the read-only fields id, recorded_at, status, superseded_by, retraction_at, retraction_reason, interval_low, interval_high, point.',
).optional()

/** The claim input fields; with `full`, the read-only fields after them. */
export function claimColumns(opts: { full: boolean; metric?: Metric | undefined }): Column[] {
  const hxl = claimHxl(opts.metric)
  const fields: readonly ClaimField[] = opts.full ? [...CLAIM_INPUT_FIELDS, ...CLAIM_OUTPUT_FIELDS] : CLAIM_INPUT_FIELDS
  return fields.map((name) => column(name, hxl[name], NESTED[name]))
}

/** A figure group and its summary's numbers, as GET /summaries and a timeline's CSV show them. */
function groupColumns(metric: Metric | undefined): Column[] {
  return [
    column('metric', '#impact+type'),
    column('population', '#group+code'),
    column('party', '#org+id+party'),
    column('sources', '#meta+sources'),
    column('range_low', affected(metric, 'min')),
    column('range_high', affected(metric, 'max')),
    column('median', affected(metric)),
    column('level', '#status+disagreement'),
    column('spread', '#meta+spread'),
    column('ratio', '#meta+ratio'),
    column('relative_spread', '#meta+relative_spread'),
  ]
}

/** The bias-aware estimate's columns, in GET /events/{id}/estimates and GET /summaries?adjusted=true. */
export const ADJUSTED_COLUMNS = [
  column('adjusted_value', '#affected+adjusted'),
  column('adjusted_low', '#affected+adjusted+min'),
  column('adjusted_high', '#affected+adjusted+max'),
]

/** The columns of GET /summaries, in contract order, then as_of; also GET /events/{id}/summary as CSV. */
export function summaryColumns(metric?: Metric): Column[] {
  return [
    column('event_id', '#event+id'),
    column('event_title', '#event+name'),
    column('occurred_on', '#date+occurred'),
    ...groupColumns(metric),
    column('attribution_status', '#status+attribution'),
    column('as_of', '#date+as_of'),
  ]
}

/**
 * The columns of a timeline as CSV (GET /events/{id}/timeline): one row per
 * step, its moment first, then the group and the summary's columns of
 * GET /summaries, the agreement band and the counted claims' ids.
 */
export function timelineColumns(metric: Metric): Column[] {
  return [
    column('at', '#date+as_of'),
    ...groupColumns(metric),
    column('consistent', '#meta+consistent'),
    column('agreement_low', affected(metric, 'agreement', 'min')),
    column('agreement_high', affected(metric, 'agreement', 'max')),
    column('agreement_sources', '#meta+sources+agreement'),
    column('claim_ids', '#meta+id+claims'),
  ]
}

const SHARED_HXL: Record<string, string> = {
  notes: '#description+notes',
  description: '#description',
  url: '#meta+url',
  created_at: '#date+created',
  updated_at: '#date+updated',
}

const RESOURCE_HXL: Record<string, Record<string, string>> = {
  sources: {
    id: '#org+id',
    name: '#org+name',
    aliases: '#org+name+alt',
    kind: '#org+type',
    country: '#country+code',
    affiliated_actor_id: '#org+id+affiliated',
  },
  actors: {
    id: '#org+id',
    name: '#org+name',
    aliases: '#org+name+alt',
    kind: '#org+type',
    parent_id: '#org+id+parent',
  },
  events: {
    id: '#event+id',
    title: '#event+name',
    occurred_on: '#date+occurred',
    ended_on: '#date+end',
    location_place: '#loc+name',
    location_admin1: '#adm1+name',
    location_country: '#country+code',
    location_lat: '#geo+lat',
    location_lon: '#geo+lon',
    tags: '#meta+tags',
    external_ids: '#meta+id+external',
  },
}

/** Sources, actors and events: every field of the output schema, nested objects flattened. */
export function resourceColumns(plural: string, schema: z.ZodType): Column[] {
  return columnsOf(schema, { ...SHARED_HXL, ...RESOURCE_HXL[plural] })
}

/**
 * The 2022 Ukraine losses data (fixtures/ukraine-losses-2022.json, see
 * fixtures/README.md) as Reckon records: realistic, daily-revised, wildly
 * disagreeing figures for tests and benchmarks.
 */
import { readFileSync } from 'node:fs'
import type { Fixture } from './load-fixture.js'
import { CLAIM_INPUT_FIELDS } from '../schemas/csv-columns.js'

interface Row {
  days: number
  loss_type: string
  claim_source: string
  count: number
  minimum: boolean
  maximum: boolean
}

export const UKRAINE_EVENT_ID = 'russian-invasion-of-ukraine-2022'

/**
 * Claims of this dataset as a CSV body for POST /claims/bulk, with the
 * contract's columns that any of them fills (none of its cells holds a
 * comma or a quote).
 */
export function ukraineClaimsCsv(claims: ReadonlyArray<Record<string, unknown>>): string {
  const columns = CLAIM_INPUT_FIELDS.filter((field) => claims.some((c) => c[field] !== undefined))
  const cell = (value: unknown) => (value === undefined ? '' : String(value))
  return `${columns.join(',')}\n${claims.map((c) => columns.map((k) => cell(c[k])).join(',')).join('\n')}\n`
}

const SOURCES: Record<string, { id: string; name: string; kind: string; country?: string; affiliated_actor_id?: string }> = {
  'UA Source': {
    id: 'ukrainian-officials',
    name: 'Ukrainian officials',
    kind: 'government',
    country: 'UA',
    affiliated_actor_id: 'ukraine',
  },
  'RU Source': { id: 'russian-officials', name: 'Russian officials', kind: 'government', country: 'RU', affiliated_actor_id: 'russia' },
  'US Source': { id: 'us-officials', name: 'United States officials', kind: 'government', country: 'US' },
  'GB Source': { id: 'uk-officials', name: 'United Kingdom officials', kind: 'government', country: 'GB' },
  'United Nations': { id: 'united-nations', name: 'United Nations', kind: 'igo' },
  OSI: { id: 'open-source-intelligence', name: 'Open-source intelligence', kind: 'monitor' },
  Other: { id: 'other-sources', name: 'Other sources', kind: 'other' },
}

const ACTORS = [
  { id: 'russia', name: 'Russia', kind: 'state' },
  { id: 'ukraine', name: 'Ukraine', kind: 'state' },
  { id: 'russian-forces', name: 'Russian armed forces', kind: 'armed_forces', parent_id: 'russia' },
  { id: 'ukrainian-forces', name: 'Ukrainian armed forces', kind: 'armed_forces', parent_id: 'ukraine' },
]

const METRIC: Record<string, string> = { Deaths: 'killed', Injuries: 'injured', Casualties: 'casualties' }

/** "Military Deaths-Russia" → killed, combatants, russian-forces. */
function group(lossType: string): { metric: string; population: string; party: string } {
  const m = /^(Military|Civilian) (Deaths|Injuries|Casualties)-(Russia|Ukraine)$/.exec(lossType)
  if (!m) throw new Error(`unknown loss_type "${lossType}"`)
  const [, who, what, country] = m as unknown as [string, string, string, string]
  const state = country === 'Russia' ? 'russia' : 'ukraine'
  return {
    metric: METRIC[what] as string,
    population: who === 'Military' ? 'combatants' : 'civilians',
    party: who === 'Military' ? `${state === 'russia' ? 'russian' : 'ukrainian'}-forces` : state,
  }
}

function day(days: number): string {
  return new Date(Date.UTC(2022, 1, 24 + days)).toISOString().slice(0, 10)
}

export function readUkraineRows(): Row[] {
  return JSON.parse(readFileSync(new URL('../../fixtures/ukraine-losses-2022.json', import.meta.url), 'utf8')) as Row[]
}

export function ukraineDataset(rows: Row[] = readUkraineRows()): Fixture {
  const claims: object[] = []
  const used = new Set<number>()
  const key = (r: Row) => `${r.days}|${r.loss_type}|${r.claim_source}`
  rows.forEach((row, i) => {
    if (used.has(i)) return
    const source = SOURCES[row.claim_source]
    if (!source) throw new Error(`unknown claim_source "${row.claim_source}"`)
    const base = { kind: 'figure', source_id: source.id, stated_at: day(row.days), ...group(row.loss_type), external_id: `radford-${i}` }
    // A lower and an upper bound from one source on one day make a range.
    const partner =
      row.minimum || row.maximum
        ? rows.findIndex((r, j) => j > i && !used.has(j) && key(r) === key(row) && (row.minimum ? r.maximum : r.minimum))
        : -1
    const other = rows[partner]
    if (other) {
      used.add(partner)
      const [low, high] = row.minimum ? [row.count, other.count] : [other.count, row.count]
      if (low <= high) {
        claims.push({ ...base, qualifier: 'range', low, high })
        return
      }
      used.delete(partner)
    }
    claims.push({ ...base, qualifier: row.minimum ? 'at_least' : row.maximum ? 'at_most' : 'exact', value: row.count })
  })
  return {
    actors: ACTORS,
    sources: Object.values(SOURCES),
    event: {
      id: UKRAINE_EVENT_ID,
      title: 'Russian invasion of Ukraine (2022): cumulative human losses',
      occurred_on: '2022-02-24',
      location: { country: 'UA' },
      tags: ['war'],
      external_ids: { pnas_radford_2023: 'replication-data-pnas' },
    },
    claims,
  }
}

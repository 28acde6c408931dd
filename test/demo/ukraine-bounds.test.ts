/** The Ukraine dataset's rows → claims (demo/ukraine.ts): a lower and an upper bound of one day pair into a range only when they make one. */
import t from 'tap'
import { ukraineDataset } from '../../src/demo/ukraine.js'

type Rows = NonNullable<Parameters<typeof ukraineDataset>[0]>

const row = (count: number, bound: 'minimum' | 'maximum' | null, days = 0): Rows[number] => ({
  days,
  loss_type: 'Military Deaths-Russia',
  claim_source: 'UA Source',
  count,
  minimum: bound === 'minimum',
  maximum: bound === 'maximum',
})

const group = {
  kind: 'figure',
  source_id: 'ukrainian-officials',
  stated_at: '2022-02-24',
  metric: 'killed',
  population: 'combatants',
  party: 'russian-forces',
}

t.test('a lower bound with a higher upper bound of the same day and source is one range claim', async (t) => {
  t.strictSame(ukraineDataset([row(100, 'minimum'), row(150, 'maximum')]).claims, [
    { ...group, external_id: 'radford-0', qualifier: 'range', low: 100, high: 150 },
  ])
})

t.test('a lower bound above the upper bound is not a range (contract §1: 0 ≤ low ≤ high): each stays a claim of its own', async (t) => {
  t.strictSame(ukraineDataset([row(150, 'minimum'), row(100, 'maximum'), row(90, null, 1)]).claims, [
    { ...group, external_id: 'radford-0', qualifier: 'at_least', value: 150 },
    { ...group, external_id: 'radford-1', qualifier: 'at_most', value: 100 },
    { ...group, stated_at: '2022-02-25', external_id: 'radford-2', qualifier: 'exact', value: 90 },
  ])
})

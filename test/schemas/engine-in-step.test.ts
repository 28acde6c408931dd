/**
 * The engine's types and the response schemas describe the same objects:
 * this file does not compile when their types drift apart, and the test
 * fails when a schema would drop or change a field the engine computes.
 */
import t from 'tap'
import type { z } from 'zod'
import { summarizeEvent } from '../../src/engine/event-summary.js'
import type { AttributionSummary as EngineAttribution, FigureSummary as EngineFigure } from '../../src/engine/types.js'
import { AttributionSummary, FigureSummary } from '../../src/schemas/summary.js'
import { attribution, day, directory, figure } from '../engine/fixtures/claims.js'

type Assert<T extends true> = T
export type FigureInStep = Assert<EngineFigure extends z.input<typeof FigureSummary> ? true : false>
export type AttributionInStep = Assert<EngineAttribution extends z.input<typeof AttributionSummary> ? true : false>

t.test('a summary the engine computes passes through the response schemas unchanged', async (t) => {
  const claims = [
    figure({ id: 'c1', source_id: 's1', stated_at: day('2017-04-05'), qualifier: 'exact', value: 58 }),
    figure({ id: 'c2', source_id: 's2', stated_at: day('2017-04-05'), qualifier: 'at_least', value: 70 }),
    figure({ id: 'c3', source_id: 's1', stated_at: day('2017-04-05'), qualifier: 'exact', value: 11, population: 'children' }),
    attribution({ id: 'c4', source_id: 's1', stated_at: day('2017-04-05'), stance: 'accuses', actor_ids: ['a1'] }),
    attribution({ id: 'c5', source_id: 's2', stated_at: day('2017-04-05'), stance: 'denies', actor_ids: ['a1'], certainty: 'suspected' }),
  ]
  const summary = summarizeEvent(claims, day('2017-04-07'), directory([{ id: 's1' }, { id: 's2' }], [{ id: 'a1' }]))
  t.equal(summary.figures.length, 2)
  for (const f of summary.figures) t.strictSame(FigureSummary.parse(f), f, `${f.metric}/${f.population}`)
  t.strictSame(AttributionSummary.parse(summary.attribution), summary.attribution)
})

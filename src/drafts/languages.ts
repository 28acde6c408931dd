/** The languages drafts can be made from (drafts/language.ts); English first. */
import { english } from './english.js'
import type { DraftLanguage } from './language.js'

const LANGUAGES = { en: english } satisfies Record<string, DraftLanguage>

export const DRAFT_LANGUAGES = Object.keys(LANGUAGES) as [keyof typeof LANGUAGES, ...Array<keyof typeof LANGUAGES>]
export type DraftLanguageCode = keyof typeof LANGUAGES

export function draftLanguage(code: DraftLanguageCode): DraftLanguage {
  return LANGUAGES[code]
}

/**
 * The canonical form of an enum value as sent (contract §1): spreadsheets
 * capitalise ("Killed") and people write "at least" for `at_least`. The
 * request schemas accept values in that form (schemas/choice), and the error
 * handler and the format negotiation read them the same way.
 */

/** The canonical form of what was sent: ASCII letters lowered, spaces as "_" (nothing else, so choicePattern in schemas/choice is exact). */
export function canonical(text: string): string {
  return text.replace(/[A-Z ]/g, (c) => (c === ' ' ? '_' : c.toLowerCase()))
}

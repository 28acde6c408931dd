/**
 * CSV cells a spreadsheet would run as formulas, made text by a leading
 * apostrophe on export (lib/formats) and read back on import (lib/bulk-body),
 * so that the default CSV export of claims is both safe to open and the file
 * POST /claims/bulk takes back unchanged.
 */

/**
 * What a spreadsheet takes for the start of a formula (OWASP, CSV injection):
 * `=`, `+`, `-`, `@`, and a tab or carriage return before one of them, after
 * any apostrophes already there.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/

/**
 * A text cell a spreadsheet would run as a formula, with a leading apostrophe
 * that makes it text. Reversible (fromSpreadsheetSafe removes exactly one):
 * a text that already begins with apostrophes before such a character gets
 * one more, so a file exported this way is posted back to POST /claims/bulk
 * as it was stored.
 */
export function spreadsheetSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
}

/** The text a spreadsheet-safe cell stands for: one apostrophe fewer before a formula character. */
export function fromSpreadsheetSafe(text: string): string {
  return /^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text
}

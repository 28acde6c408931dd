/**
 * `known_at` (contract §11): the claims as the database held them at a
 * moment — recorded by then, and retracted only if retracted by then.
 */
import type { Claim } from './types.js'

export function asKnownAt(claims: readonly Claim[], knownAt: string): Claim[] {
  return claims
    .filter((c) => c.recorded_at <= knownAt)
    .map((c) => (c.retraction !== null && c.retraction.at > knownAt ? { ...c, retraction: null } : c))
}
